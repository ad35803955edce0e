import { Member } from './ensemble-model';

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
    // zoo.cfg is a read-only ConfigMap: dynamic reconfiguration would need to rewrite it.
    ['reconfigEnabled', false],
    // A one-member ensemble runs as a standalone server, which takes no server list (ZooKeeper
    // logs an error for a list of one and ignores it).
    ['standaloneEnabled', true],
    ...(cfg.members.length === 1 ? [] : [...cfg.members, ...cfg.observers].map((m) => serverLine(m, cfg))),
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

/** Settings to use instead of an additionalConfig key the construct manages. */
export const ZOO_CFG_KEY_OWNERS: Readonly<Record<string, string>> = {
  'tickTime': 'tickTime',
  'initLimit': 'initLimit',
  'syncLimit': 'syncLimit',
  'dataDir': 'the data volume (dataStorageGiB)',
  'dataLogDir': 'txnLogStorageGiB',
  'clientPort': 'clientPort',
  'clientPortAddress': 'clientPort (the server listens on every address of the pod)',
  'maxClientCnxns': 'maxClientCnxns',
  'minSessionTimeout': 'minSessionTimeout',
  'maxSessionTimeout': 'maxSessionTimeout',
  'globalOutstandingLimit': 'globalOutstandingLimit',
  'snapCount': 'snapCount',
  'preAllocSize': 'preAllocSizeKb',
  'snapSizeLimitInKb': 'snapSizeLimitInKb',
  'autopurge.snapRetainCount': 'autopurgeSnapRetainCount',
  'autopurge.purgeInterval': 'autopurgePurgeInterval',
  '4lw.commands.whitelist': 'nothing: the whitelist holds exactly what the probes use',
  'admin.enableServer': 'nothing: the AdminServer is kept on loopback',
  'admin.serverAddress': 'nothing: the AdminServer is kept on loopback',
  'admin.serverPort': 'adminPort',
  'metricsProvider.className': 'the image profile (nativePrometheusMetrics)',
  'metricsProvider.httpHost': 'nothing: metrics are served on every address of the pod',
  'metricsProvider.httpPort': 'metricsPort',
  'metricsProvider.exportJvmInfo': 'nothing: JVM metrics are always exported',
  'quorumListenOnAllIPs': 'nothing: required on Kubernetes',
  'electionPortBindRetry': 'nothing: required on Kubernetes',
  'reconfigEnabled': 'nothing: zoo.cfg is a read-only ConfigMap, so dynamic reconfiguration is off',
  'standaloneEnabled': 'replicas',
  'peerType': 'observers (observers run with peerType=observer, voters with the default)',
  'dynamicConfigFile': 'nothing: zoo.cfg is a read-only ConfigMap, so dynamic reconfiguration is off',
  'jute.maxbuffer': 'jvmOptions (-Djute.maxbuffer=...): ZooKeeper reads it only as a JVM flag',
};
