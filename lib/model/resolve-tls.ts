import { QuorumSecurityStep } from '../quorum-security-step';
import { ClientTls, IssuerKind, SecretKeyRef } from '../tls-settings';
import { Member, NamedPort } from './ensemble-model';
import { readQuorumSecurity } from './quorum-security';
import { TlsModel } from './security-model';
import { NameFormat, SettingsReader } from './settings-reader';

/** The keys cert-manager writes for `keystores.pkcs12`; an existing Secret must use the same. */
const SECRET_KEYS = { keyStore: 'keystore.p12', trustStore: 'truststore.p12' };
const PATHS = {
  secretDir: '/config/tls',
  passwordDir: '/config/tls-password',
  storesDir: '/run/tls',
};
const PASSWORD_FILE = 'password';
/** The kubelet refreshes Secret volumes about once a minute; comparing every 10 s adds little to that. */
const SYNC_INTERVAL_SECONDS = 10;

/** The TLS settings, read and checked against each other before the members are known. */
export interface TlsSettings {
  /** Members connect to each other over TLS (`sslQuorum`). */
  readonly quorum: boolean;
  /** Members accept TLS and plaintext on their quorum ports (`portUnification`): the steps between. */
  readonly quorumPortUnification: boolean;
  readonly client: ClientTls;
  /** The TLS client port, when client TLS is on. */
  readonly secureClientPort?: NamedPort;
  readonly issuer?: { readonly name: string; readonly kind: IssuerKind; readonly group: string };
  readonly existingSecret?: string;
  readonly passwordSecret: SecretKeyRef;
}

/**
 * Reads quorumTls, clientTls, secureClientPort, tlsIssuer, tlsSecretName and tlsPasswordSecret.
 * Settings that only matter with TLS are rejected while TLS is off, so a forgotten switch is
 * reported instead of silently leaving the ensemble in plaintext.
 */
export function readTlsSettings(s: SettingsReader, name: string, singleServer: boolean): TlsSettings {
  const { quorum, portUnification } = readQuorumTls(s);
  const client = s.oneOf('clientTls', ClientTls.OFF, ClientTls);
  const enabled = quorum || portUnification || client !== ClientTls.OFF;
  if ((quorum || portUnification) && singleServer) {
    s.fail('quorumTls', 'needs more than one member: a single server has no quorum traffic (use clientTls for its clients)');
  }

  const port = s.int('secureClientPort', 2281, { min: 1024, max: 65535 });
  if (client === ClientTls.OFF && s.has('secureClientPort') && !s.failed('clientTls')) {
    s.fail('secureClientPort', `has no effect while clientTls is '${ClientTls.OFF}': set clientTls to '${ClientTls.ON}' or '${ClientTls.ONLY}', or remove it`);
  }

  const issuer = s.has('tlsIssuer') ? readIssuer(s) : undefined;
  const existingSecret = s.string('tlsSecretName', undefined, NameFormat.dnsSubdomain);
  const passwordSecret = s.has('tlsPasswordSecret') ? readSecretKeyRef(s, 'tlsPasswordSecret') : { name: `${name}-tls-password`, key: 'password' };

  if (!enabled) {
    for (const key of ['tlsIssuer', 'tlsSecretName', 'tlsPasswordSecret'].filter((k) => s.has(k) && !s.failed('quorumTls', 'clientTls'))) {
      s.fail(key, 'has no effect while quorumTls is false and clientTls is \'off\': turn TLS on, or remove it');
    }
  } else if (s.has('tlsIssuer') && s.has('tlsSecretName')) {
    s.fail('tlsSecretName', 'cannot be combined with tlsIssuer: set tlsIssuer for a cert-manager Certificate, or tlsSecretName for an existing Secret');
  } else if (!s.has('tlsIssuer') && !s.has('tlsSecretName')) {
    s.fail('tlsIssuer', 'is required when quorumTls or clientTls is on: name a cert-manager Issuer or ClusterIssuer, '
      + `or set tlsSecretName to an existing Secret with ${SECRET_KEYS.keyStore} and ${SECRET_KEYS.trustStore}`);
  }

  return {
    quorum,
    quorumPortUnification: portUnification,
    client,
    secureClientPort: client === ClientTls.OFF ? undefined : { name: 'client-tls', port },
    issuer,
    existingSecret,
    passwordSecret,
  };
}

/** `quorumTls`: how members dial each other (sslQuorum), and whether they accept both (portUnification). */
function readQuorumTls(s: SettingsReader): { quorum: boolean; portUnification: boolean } {
  const stage = readQuorumSecurity(s, 'quorumTls', {
    [QuorumSecurityStep.ACCEPT]: 'members accept TLS, connect in plaintext',
    [QuorumSecurityStep.PREFER]: 'members connect over TLS, accept both',
  });
  return {
    quorum: stage === QuorumSecurityStep.PREFER || stage === 'on',
    portUnification: stage === QuorumSecurityStep.ACCEPT || stage === QuorumSecurityStep.PREFER,
  };
}

function readIssuer(s: SettingsReader): TlsSettings['issuer'] {
  const g = s.group('tlsIssuer', ['name', 'kind', 'group']);
  if (!g.has('name')) g.fail('name', 'is required: the Issuer or ClusterIssuer that signs the certificate');
  return {
    name: g.string('name', 'missing', NameFormat.dnsSubdomain),
    kind: g.oneOf('kind', IssuerKind.ISSUER, IssuerKind),
    group: g.string('group', 'cert-manager.io', NameFormat.dnsSubdomain),
  };
}

function readSecretKeyRef(s: SettingsReader, key: string): SecretKeyRef {
  const g = s.group(key, ['name', 'key']);
  for (const field of ['name', 'key'].filter((f) => !g.has(f))) g.fail(field, 'is required');
  return {
    name: g.string('name', 'missing', NameFormat.dnsSubdomain),
    key: g.string('key', 'missing', NameFormat.secretKey),
  };
}

/** What the certificate's names are derived from. */
export interface TlsNames {
  readonly name: string;
  readonly namespace: string;
  readonly clusterDomain: string;
  /** Voters and observers. */
  readonly members: readonly Member[];
  /**
   * The members come and go without a new certificate (membership 'dynamic'): one name covers
   * every pod of the peer Service, instead of each member's.
   */
  readonly membersChange: boolean;
  readonly peerService: string;
  readonly clientService: string;
  readonly metricsService: string;
}

/** The TLS part of the model, or undefined when TLS is off. */
export function resolveTls(settings: TlsSettings, names: TlsNames): TlsModel | undefined {
  if (!settings.quorum && !settings.quorumPortUnification && settings.client === ClientTls.OFF) return undefined;
  const certificateSecret = `${names.name}-tls`;
  return {
    quorum: settings.quorum,
    quorumPortUnification: settings.quorumPortUnification,
    client: settings.client,
    secretName: settings.existingSecret ?? certificateSecret,
    secretKeys: SECRET_KEYS,
    passwordSecret: settings.passwordSecret,
    certificate: settings.issuer === undefined ? undefined : {
      name: certificateSecret,
      issuer: settings.issuer,
      dnsNames: certificateDnsNames(names),
    },
    paths: {
      ...PATHS,
      passwordFile: `${PATHS.passwordDir}/${PASSWORD_FILE}`,
      keyStore: `${PATHS.storesDir}/${SECRET_KEYS.keyStore}`,
      trustStore: `${PATHS.storesDir}/${SECRET_KEYS.trustStore}`,
    },
    syncIntervalSeconds: SYNC_INTERVAL_SECONDS,
  };
}

/**
 * Every name a member is known by, for hostname verification on both ends of a connection:
 * - each member's peer name: what the server lines say, so what a connecting member checks. With
 *   dynamic membership `*.<peer service>...` instead: a change of replicas must neither re-issue
 *   the certificate (a new pod could start before the renewed Secret reaches the others) nor need
 *   a new one from tlsSecretName. ZooKeeper's hostname verifier matches a wildcard against one
 *   label, `<pod>` in `<pod>.<peer service>...`, on both ends;
 * - `*.<metrics service>...`: a member accepting a quorum connection reverse-resolves the caller's
 *   address (ZooKeeper 3.8 ZKTrustManager). The cluster DNS answers with one name per headless
 *   Service that selects the pod, in no fixed order: the peer name above, or the metrics
 *   Service's `<dashed-ip>.<metrics service>...`, which only a wildcard can cover;
 * - the client and peer Services in short, namespaced, `.svc` and full form: what clients dial.
 */
function certificateDnsNames(n: TlsNames): string[] {
  const forms = (service: string) => [service, `${service}.${n.namespace}`, `${service}.${n.namespace}.svc`, `${service}.${n.namespace}.svc.${n.clusterDomain}`];
  return [
    ...(n.membersChange ? [`*.${n.peerService}.${n.namespace}.svc.${n.clusterDomain}`] : n.members.map((m) => m.fqdn)),
    `*.${n.metricsService}.${n.namespace}.svc.${n.clusterDomain}`,
    ...forms(n.clientService),
    ...forms(n.peerService),
  ];
}
