import { ClientTls } from '../tls-settings';
import { Member } from './ensemble-model';
import { SaslModel, TlsModel } from './security-model';

/** The zoo.cfg inputs the model has resolved. */
export interface ZooCfgInputs {
  readonly tickTime: number;
  readonly initLimit: number;
  readonly syncLimit: number;
  readonly dataDir: string;
  /** Set only when the transaction log has its own volume. */
  readonly dataLogDir?: string;
  readonly clientPort: number;
  readonly quorumPort: number;
  readonly electionPort: number;
  readonly adminPort: number;
  readonly maxClientCnxns: number;
  readonly minSessionTimeout: number;
  readonly maxSessionTimeout: number;
  readonly globalOutstandingLimit: number;
  readonly snapCount: number;
  readonly preAllocSizeKb: number;
  readonly snapSizeLimitInKb: number;
  readonly autopurgeSnapRetainCount: number;
  readonly autopurgePurgeInterval: number;
  readonly fourLetterWords: readonly string[];
  /** The native Prometheus provider's port, when the image has the provider. */
  readonly nativeMetricsPort?: number;
  /** The voters. */
  readonly members: readonly Member[];
  readonly observers: readonly Member[];
  /** TLS, when quorum or client TLS is on. */
  readonly tls?: TlsModel;
  /** The TLS client port, when client TLS is on. */
  readonly secureClientPort?: number;
  /** SASL, when client or quorum SASL is on. */
  readonly sasl?: SaslModel;
  /**
   * Membership 'dynamic': no server list (each member's start script appends the dynamic file it
   * chose to its copy of zoo.cfg on the data volume, where ZooKeeper rewrites it), reconfig on, and
   * even a single voter runs in a quorum, so that others can join it.
   */
  readonly dynamicMembership?: boolean;
}

/**
 * The zoo.cfg entries the construct manages, in file order. ZooKeeper turns unknown keys into
 * `zookeeper.<key>` system properties, so keys like `4lw.commands.whitelist` work from here too.
 */
export function managedZooCfgEntries(cfg: ZooCfgInputs): [string, string][] {
  const entries: [string, string | number | boolean | undefined][] = [
    ['tickTime', cfg.tickTime],
    ['initLimit', cfg.initLimit],
    ['syncLimit', cfg.syncLimit],
    ['dataDir', cfg.dataDir],
    ['dataLogDir', cfg.dataLogDir],
    ['clientPort', cfg.clientPort],
    // TLS-only clients: the plaintext port serves the probes and the exporter over loopback only.
    ['clientPortAddress', cfg.tls?.client === ClientTls.ONLY ? '127.0.0.1' : undefined],
    ['maxClientCnxns', cfg.maxClientCnxns],
    ['minSessionTimeout', cfg.minSessionTimeout],
    ['maxSessionTimeout', cfg.maxSessionTimeout],
    ['globalOutstandingLimit', cfg.globalOutstandingLimit],
    ['snapCount', cfg.snapCount],
    ['preAllocSize', cfg.preAllocSizeKb],
    ['snapSizeLimitInKb', cfg.snapSizeLimitInKb],
    ['autopurge.snapRetainCount', cfg.autopurgeSnapRetainCount],
    ['autopurge.purgeInterval', cfg.autopurgePurgeInterval],
    // Only what the probes need: cons/wchc/dump are expensive and crst/srst change state.
    ['4lw.commands.whitelist', cfg.fourLetterWords.join(',')],
    // The AdminServer has no authentication and prints every system property: loopback only.
    ['admin.enableServer', true],
    ['admin.serverAddress', '127.0.0.1'],
    ['admin.serverPort', cfg.adminPort],
    ...nativeMetricsEntries(cfg.nativeMetricsPort),
    // Peers bind on all addresses: a pod's own DNS name may not resolve yet when it starts, and
    // service-mesh sidecars redirect traffic to the pod IP.
    ['quorumListenOnAllIPs', true],
    // Retry the election port bind forever instead of exiting after three failures.
    ['electionPortBindRetry', 0],
    // Static membership: zoo.cfg is a read-only ConfigMap, and reconfiguration would rewrite it.
    ['reconfigEnabled', cfg.dynamicMembership === true],
    // A one-member static ensemble runs as a standalone server, which takes no server list
    // (ZooKeeper logs an error for a list of one and ignores it).
    ['standaloneEnabled', cfg.dynamicMembership !== true],
    ...(cfg.tls === undefined ? [] : tlsEntries(cfg.tls, cfg.secureClientPort)),
    ...(cfg.sasl === undefined ? [] : saslEntries(cfg.sasl)),
    ...(cfg.members.length === 1 || cfg.dynamicMembership ? [] : [...cfg.members, ...cfg.observers].map((m) => serverLine(m, cfg))),
  ];
  return entries
    .filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined)
    .map(([key, value]) => [key, String(value)]);
}

/**
 * `server.<myid>=<host>:<quorum port>:<election port>`, with `:observer` for observers: every member
 * lists every other with its role, and a server takes its own role from its own line.
 */
function serverLine(member: Member, cfg: ZooCfgInputs): [string, string] {
  const address = `${member.fqdn}:${cfg.quorumPort}:${cfg.electionPort}`;
  return [`server.${member.myid}`, member.role === 'observer' ? `${address}:observer` : address];
}

function nativeMetricsEntries(port: number | undefined): [string, string | number | boolean][] {
  if (port === undefined) return [];
  return [
    ['metricsProvider.className', 'org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider'],
    ['metricsProvider.httpHost', '0.0.0.0'],
    ['metricsProvider.httpPort', port],
    ['metricsProvider.exportJvmInfo', true],
  ];
}

/**
 * TLS entries. Each side reads PKCS#12 stores with the password from a file (`passwordPath`, new in
 * 3.8.0), never the password itself; hostname verification is written out although it is
 * ZooKeeper's default, so that it cannot be mistaken for off. Stores are reloaded when their file
 * is replaced (the tls-sync program replaces them when the Secret changes): `sslQuorumReloadCertFiles`
 * for the quorum, `client.certReload` for clients. The latter came with ZOOKEEPER-3806 (3.9.0); its
 * 3.8 backport (ZOOKEEPER-4546) was merged after 3.8.4, and 3.8.0 has no such property: those
 * serve clients the certificate they started with (see docs/tls.md).
 */
function tlsEntries(tls: TlsModel, secureClientPort: number | undefined): [string, string | number | boolean][] {
  const stores = (prefix: string): [string, string | boolean][] => [
    [`${prefix}keyStore.location`, tls.paths.keyStore],
    [`${prefix}keyStore.type`, 'PKCS12'],
    [`${prefix}keyStore.passwordPath`, tls.paths.passwordFile],
    [`${prefix}trustStore.location`, tls.paths.trustStore],
    [`${prefix}trustStore.type`, 'PKCS12'],
    [`${prefix}trustStore.passwordPath`, tls.paths.passwordFile],
    [`${prefix}hostnameVerification`, true],
  ];
  // During the steps between plaintext and TLS-only quorum traffic (portUnification), the stores
  // are in place and sslQuorum says which way a member connects.
  const quorum: [string, string | number | boolean][] = !tls.quorum && !tls.quorumPortUnification ? [] : [
    ['sslQuorum', tls.quorum],
    ...(tls.quorumPortUnification ? [['portUnification', true] as [string, boolean]] : []),
    ['sslQuorumReloadCertFiles', true],
    ...stores('ssl.quorum.'),
  ];
  const client: [string, string | number | boolean][] = secureClientPort === undefined ? [] : [
    ['secureClientPort', secureClientPort],
    // The TLS client port needs the Netty connection factory (NIO has no TLS).
    ['serverCnxnFactory', 'org.apache.zookeeper.server.NettyServerCnxnFactory'],
    // Mutual TLS: a client must present a certificate the truststore's CA signed.
    ['ssl.clientAuth', 'need'],
    ['client.certReload', true],
    ...stores('ssl.'),
  ];
  return [...quorum, ...client];
}

/**
 * SASL entries: switches and names only. The credentials are in the JAAS file the pod builds from
 * the Secret at start (`-Djava.security.auth.login.config`, a path, in the JVM options), under
 * ZooKeeper's default section names: `Server` for clients, `QuorumServer` and `QuorumLearner`
 * for members. Quorum authentication is required in both directions; DIGEST-MD5 needs no Kerberos
 * principal (`quorum.auth.kerberos.servicePrincipal` is not set).
 */
function saslEntries(sasl: SaslModel): [string, string | boolean][] {
  const client: [string, string | boolean][] = !sasl.client ? [] : [
    ['authProvider.sasl', 'org.apache.zookeeper.server.auth.SASLAuthenticationProvider'],
    // A session that has not authenticated with SASL is closed at its first request (3.7+).
    ['enforce.auth.enabled', true],
    ['enforce.auth.schemes', 'sasl'],
  ];
  // During the steps of turning quorum SASL on or off, SASL is enabled but not yet (or no longer)
  // required on one or both sides.
  const quorum: [string, string | boolean][] = !sasl.quorum ? [] : [
    ['quorum.auth.enableSasl', true],
    ['quorum.auth.learnerRequireSasl', sasl.quorumLearnerRequiresSasl],
    ['quorum.auth.serverRequireSasl', sasl.quorumServerRequiresSasl],
  ];
  return [...client, ...quorum];
}

/** The zoo.cfg keys of the SASL settings, with the setting to use instead. */
const SASL_KEY_OWNERS: Readonly<Record<string, string>> = {
  'authProvider.sasl': 'clientSasl',
  'enforce.auth.enabled': 'clientSasl',
  'enforce.auth.schemes': 'clientSasl',
  'sessionRequireClientSASLAuth': 'clientSasl',
  'quorum.auth.enableSasl': 'quorumSasl',
  'quorum.auth.learnerRequireSasl': 'quorumSasl (\'accept\' and \'prefer\', the steps of turning it on or off)',
  'quorum.auth.serverRequireSasl': 'quorumSasl (\'accept\' and \'prefer\', the steps of turning it on or off)',
  'quorum.auth.learner.saslLoginContext': 'nothing: the JAAS file built at start uses the default section names',
  'quorum.auth.server.saslLoginContext': 'nothing: the JAAS file built at start uses the default section names',
  'DigestAuthenticationProvider.superDigest': 'saslSuperDigestKey (a digest is only ever read from the mounted Secret)',
};

/** The zoo.cfg keys of the TLS settings, with the setting to use instead. */
const TLS_KEY_OWNERS: Readonly<Record<string, string>> = Object.fromEntries([
  ['sslQuorum', 'quorumTls'],
  ['portUnification', `quorumTls ('accept' and 'prefer', the steps of turning quorum TLS on or off)`],
  ['sslQuorumReloadCertFiles', 'nothing: certificates are always reloaded'],
  ['secureClientPort', 'secureClientPort and clientTls'],
  ['secureClientPortAddress', 'clientTls (the TLS port listens on every address of the pod)'],
  ['serverCnxnFactory', 'clientTls (TLS clients need the Netty connection factory, which is then set)'],
  ['client.certReload', 'nothing: certificates are always reloaded'],
  ['ssl.clientAuth', 'nothing: TLS clients always authenticate with a certificate'],
  ['ssl.quorum.clientAuth', 'nothing: members always authenticate each other'],
  ...['ssl.', 'ssl.quorum.'].flatMap((prefix) => [
    ...['keyStore.location', 'keyStore.type', 'trustStore.location', 'trustStore.type']
      .map((key) => [`${prefix}${key}`, 'tlsIssuer or tlsSecretName (the stores come from the Secret)']),
    ...['keyStore.password', 'keyStore.passwordPath', 'trustStore.password', 'trustStore.passwordPath']
      .map((key) => [`${prefix}${key}`, 'tlsPasswordSecret (a password is only ever read from a mounted Secret)']),
    [`${prefix}hostnameVerification`, 'nothing: hostname verification stays on'],
  ]),
]);

/** Settings to use instead of an additionalConfig key the construct manages. */
export const ZOO_CFG_KEY_OWNERS: Readonly<Record<string, string>> = {
  'tickTime': 'tickTime',
  'initLimit': 'initLimit',
  'syncLimit': 'syncLimit',
  'dataDir': 'the data volume (dataStorageGiB)',
  'dataLogDir': 'txnLogStorageGiB',
  'clientPort': 'clientPort',
  'clientPortAddress': 'clientPort and clientTls (the server listens on every address of the pod, or on 127.0.0.1 for TLS-only clients)',
  'maxClientCnxns': 'maxClientCnxns',
  'minSessionTimeout': 'minSessionTimeout',
  'maxSessionTimeout': 'maxSessionTimeout',
  'globalOutstandingLimit': 'globalOutstandingLimit',
  'snapCount': 'snapCount',
  'preAllocSize': 'preAllocSizeKb',
  'snapSizeLimitInKb': 'snapSizeLimitInKb',
  'autopurge.snapRetainCount': 'autopurgeSnapRetainCount',
  'autopurge.purgeInterval': 'autopurgePurgeInterval',
  '4lw.commands.whitelist': 'nothing: the whitelist holds exactly the words the probes and the mntr exporter send; others are expensive (cons, wchc, dump) or reset statistics (crst, srst), and every figure is on the metrics port',
  'admin.enableServer': 'nothing: the AdminServer is kept on loopback',
  'admin.serverAddress': 'nothing: the AdminServer is kept on loopback',
  'admin.serverPort': 'adminPort',
  'metricsProvider.className': 'the image profile (nativePrometheusMetrics)',
  'metricsProvider.httpHost': 'nothing: metrics are served on every address of the pod',
  'metricsProvider.httpPort': 'metricsPort',
  'metricsProvider.exportJvmInfo': 'nothing: JVM metrics are always exported',
  'quorumListenOnAllIPs': 'nothing: required on Kubernetes',
  'electionPortBindRetry': 'nothing: required on Kubernetes',
  'reconfigEnabled': 'membership (reconfiguration is on with \'dynamic\' only)',
  'standaloneEnabled': 'replicas and membership',
  'peerType': 'observers (observers run with peerType=observer, voters with the default)',
  'dynamicConfigFile': 'membership (with \'dynamic\', each member\'s start chooses its dynamic file)',
  // An unknown zoo.cfg key becomes the property zookeeper.<key>, and would override the JVM flag.
  'fastleader.maxNotificationInterval': 'maxNotificationIntervalMs',
  'jute.maxbuffer': 'jvmOptions (-Djute.maxbuffer=...): ZooKeeper reads it only as a JVM flag',
  ...TLS_KEY_OWNERS,
  ...SASL_KEY_OWNERS,
};
