import { DeploymentMode } from '../deployment-mode';
import { ImageProfile, LoggingBackend } from '../image-profile';
import { AntiAffinity, LogLevel, SETTING_NAMES, ZoneSpread, ZooKeeperEnsembleProps } from '../settings';
import { ClientTls } from '../tls-settings';
import { Membership } from '../membership-settings';
import { SYNC_WAVE_ANNOTATION } from './annotations';
import { EnsembleModel } from './ensemble-model';
import { ZooKeeperSettingsError } from './errors';
import { checkImageProfile } from './image-profile-checks';
import { readLabels } from './resolve-labels';
import { readBackup } from './resolve-backup';
import { readMembership } from './resolve-membership';
import { readMonitoring } from './resolve-monitoring';
import { readNetworkPolicy } from './resolve-network-policy';
import { readPostDeployCheck } from './resolve-post-deploy-check';
import { longestRollSeconds, readRoll } from './resolve-roll';
import { resolveSasl } from './resolve-sasl';
import { readTlsSettings, resolveTls } from './resolve-tls';
import { readAdditionalConfig } from './resolve-additional-config';
import { readHeap } from './resolve-jvm';
import { readTiming } from './resolve-timing';
import { readTolerations } from './resolve-tolerations';
import { readTopology, resolveMemberGroups, resolveMembers } from './resolve-topology';
import { NameFormat, settingsObject, SettingsReader } from './settings-reader';
import { managedZooCfgEntries } from './zoo-cfg-entries';

/** Longest ensemble name: the StatefulSet's controller-revision-hash label is `<name>-<10 chars>` (<= 63). */
const MAX_NAME_LENGTH = 52;
/** Four-letter words the probes send: ruok (liveness) and srvr (readiness). */
const PROBE_FOUR_LETTER_WORDS = ['ruok', 'srvr'];
/** What the mntr exporter sends, on images without the native metrics provider. */
const EXPORTER_FOUR_LETTER_WORDS = ['mntr'];

/**
 * Settings whose values no error message prints: they are refused when they would carry a
 * credential (a keystore password in additionalConfig, a digest in jvmOptions), or they name the
 * Secret keys of credentials, where a user may have pasted the credential itself.
 */
const SECRET_BEARING_SETTINGS = [
  'additionalConfig', 'jvmOptions', 'saslClientUsers', 'saslQuorumPasswordKey', 'saslSuperDigestKey', 'tlsPasswordSecret', 'backupDigestSecret',
  'backupS3Endpoint', 'backupS3CredentialsSecret',
];

const PATHS = {
  configDir: '/config/zookeeper',
  loggingDir: '/config/logging',
  supervisordDir: '/config/supervisord',
  scriptsDir: '/scripts',
  dataMount: '/var/lib/zookeeper',
  txnLogMount: '/var/lib/zookeeper-txnlog',
  supervisorRunDir: '/run/supervisord',
  tmpDir: '/tmp',
};

/**
 * Turns settings into the resolved model, or throws a ZooKeeperSettingsError listing every
 * invalid setting. `chartNamespace` is the namespace of the enclosing chart, if any.
 */
export function resolveEnsemble(props: ZooKeeperEnsembleProps, chartNamespace?: string): EnsembleModel {
  const s = new SettingsReader(settingsObject(props, 'zookeeper'), '', [], SECRET_BEARING_SETTINGS);
  s.rejectUnknown(SETTING_NAMES);

  const name = s.string('name', 'zookeeper', (v) => NameFormat.dnsLabel(v) ?? (/^[a-z]/.test(v) && v.length <= MAX_NAME_LENGTH ? undefined
    : `must start with a letter and be at most ${MAX_NAME_LENGTH} characters (it prefixes Service names and pod names)`));
  const namespace = s.string('namespace', chartNamespace, NameFormat.dnsLabel);
  if (namespace === undefined && !s.failed('namespace')) s.fail('namespace', 'is required: set it here or on the enclosing chart (it is part of every member\'s DNS name)');
  const clusterDomain = s.string('clusterDomain', 'cluster.local', NameFormat.dnsSubdomain);

  const topology = readTopology(s, name, MAX_NAME_LENGTH);
  const { preset } = topology;

  const image = readImage(s);
  const platformAssignedUser = s.bool('platformAssignedUser', false);
  const imagePullSecrets = s.stringList('imagePullSecrets', NameFormat.dnsSubdomain);

  const port = (key: string, fallback: number) => s.int(key, fallback, { min: 1024, max: 65535 });
  const ports = {
    client: { name: 'client', port: port('clientPort', 2181) },
    quorum: { name: 'quorum', port: port('quorumPort', 2888) },
    election: { name: 'election', port: port('electionPort', 3888) },
    metrics: { name: 'metrics', port: port('metricsPort', 7000) },
    admin: { name: 'admin', port: port('adminPort', 8080) },
  };
  // One static server runs standalone, without quorum traffic to secure; one dynamic voter runs a
  // quorum that others join, over the quorum's TLS and SASL.
  const singleServer = topology.replicas === 1 && s.value('membership') !== Membership.DYNAMIC;
  const tlsSettings = readTlsSettings(s, name, singleServer);
  const allPorts = { ...ports, secureClient: tlsSettings.secureClientPort };
  checkDistinctPorts(s, allPorts);
  // TLS-only clients reach the TLS port alone; the plaintext one stays on loopback.
  const clientPorts = [
    ...(tlsSettings.client === ClientTls.ONLY ? [] : [ports.client]),
    ...(tlsSettings.secureClientPort ? [tlsSettings.secureClientPort] : []),
  ];
  const peerService = `${name}-headless`;
  const membership = readMembership(s, {
    name, namespace, clusterDomain, peerService, replicas: topology.replicas, configDir: PATHS.configDir,
    withObservers: topology.mode === DeploymentMode.CLUSTER,
    ports: { client: ports.client.port, quorum: ports.quorum.port, election: ports.election.port }, clientOnLoopback: tlsSettings.client === ClientTls.ONLY,
  });
  // A single static server runs standalone (no server list): it binds neither member port. With
  // dynamic membership even one voter runs in a quorum, and more may join it at any time.
  const memberPorts = topology.replicas === 1 && membership === undefined ? [] : [ports.quorum, ports.election];

  const { maxNotificationIntervalMs, ...timing } = readTiming(s);

  const jvmSecurity = `${PATHS.configDir}/java.security`;
  const heap = readHeap(s, preset, { tmpDir: PATHS.tmpDir, jvmSecurity });
  const storage = {
    dataGiB: s.int('dataStorageGiB', preset.dataStorageGiB, { min: 1, max: 65536 }),
    txnLogGiB: s.int('txnLogStorageGiB', undefined, { min: 1, max: 65536 }),
    storageClassName: s.string('storageClassName', undefined, NameFormat.dnsSubdomain),
  };
  const paths = {
    ...PATHS,
    zooCfg: `${PATHS.configDir}/zoo.cfg`,
    jvmOptions: `${PATHS.configDir}/jvm.options`,
    jvmSecurity,
    loggingConfig: `${PATHS.loggingDir}/${image.logging === LoggingBackend.LOGBACK ? 'logback.xml' : 'log4j.properties'}`,
    supervisordConf: `${PATHS.supervisordDir}/supervisord.conf`,
    dataDir: `${PATHS.dataMount}/data`,
    txnLogDir: storage.txnLogGiB === undefined ? `${PATHS.dataMount}/data` : `${PATHS.txnLogMount}/log`,
  };

  const metricsService = `${name}-metrics`;
  const members = resolveMembers(name, topology, `${peerService}.${namespace}.svc.${clusterDomain}`, membership !== undefined);
  // A dynamic membership in mode cluster always has the observers' group, maybe of none: adding
  // or removing observers then changes no ConfigMap, pod template or selector.
  const observersAlways = membership !== undefined && topology.mode === DeploymentMode.CLUSTER;
  const tls = resolveTls(tlsSettings, {
    name, namespace: namespace ?? '', clusterDomain, members: [...members.voters, ...members.observers], membersChange: membership !== undefined,
    peerService, clientService: name, metricsService,
  });

  const sasl = resolveSasl(s, singleServer);

  const fourLetterWords = image.nativePrometheusMetrics ? PROBE_FOUR_LETTER_WORDS : [...PROBE_FOUR_LETTER_WORDS, ...EXPORTER_FOUR_LETTER_WORDS];
  const zooCfg = managedZooCfgEntries({
    ...timing,
    dataDir: paths.dataDir,
    dataLogDir: storage.txnLogGiB === undefined ? undefined : paths.txnLogDir,
    clientPort: ports.client.port,
    quorumPort: ports.quorum.port,
    electionPort: ports.election.port,
    adminPort: ports.admin.port,
    maxClientCnxns: s.int('maxClientCnxns', 300, { min: 0, max: 100000 }),
    globalOutstandingLimit: s.int('globalOutstandingLimit', 1000, { min: 1, max: 1000000 }),
    snapCount: s.int('snapCount', 100000, { min: 2, max: 100000000 }),
    preAllocSizeKb: s.int('preAllocSizeKb', 65536, { min: 1, max: 1048576 }),
    snapSizeLimitInKb: s.int('snapSizeLimitInKb', 4194304, { min: 1, max: 1073741824 }),
    autopurgeSnapRetainCount: s.int('autopurgeSnapRetainCount', 30, { min: 3, max: 10000 }),
    autopurgePurgeInterval: s.int('autopurgePurgeInterval', 24, { min: 0, max: 8760 }),
    fourLetterWords,
    nativeMetricsPort: image.nativePrometheusMetrics ? ports.metrics.port : undefined,
    members: members.voters,
    observers: members.observers,
    tls,
    secureClientPort: tlsSettings.secureClientPort?.port,
    sasl,
    dynamicMembership: membership !== undefined,
  });
  zooCfg.push(...readAdditionalConfig(s));

  const labels = readLabels(s, name, image.zookeeperVersion, members.observers.length > 0 || observersAlways);

  const stopWaitSecs = s.int('stopTimeoutSeconds', 20, { min: 1, max: 600 });
  const logLevel = s.oneOf('logLevel', LogLevel.INFO, LogLevel);
  const scheduling = {
    antiAffinity: s.oneOf('antiAffinity', preset.antiAffinity, AntiAffinity),
    zoneSpread: s.oneOf('zoneSpread', ZoneSpread.SCHEDULE_ANYWAY, ZoneSpread),
    nodeSelector: s.labelMap('nodeSelector'),
    tolerations: readTolerations(s),
    priorityClassName: s.string('priorityClassName', undefined, NameFormat.dnsSubdomain),
  };
  const annotations = s.stringMap('annotations', (key) => NameFormat.qualifiedKey(key)
    ?? (key === SYNC_WAVE_ANNOTATION ? 'is set by the construct on every object to order an Argo CD sync (Namespace, configuration, workload, monitoring)' : undefined),
  () => undefined);
  // The pods must pass the restricted Pod Security Standard even where the Namespace does not
  // enforce it (createNamespace: false): no annotation may loosen AppArmor or seccomp.
  const podAnnotations = s.stringMap('podAnnotations', (key) => NameFormat.qualifiedKey(key)
    ?? (/^(container\.apparmor\.security\.beta\.kubernetes\.io\/|seccomp\.security\.alpha\.kubernetes\.io\/|container\.seccomp\.security\.alpha\.kubernetes\.io\/)/.test(key)
      ? 'sets an AppArmor or seccomp profile, which could loosen what the restricted Pod Security Standard requires; the pods keep the runtime default profiles'
      : undefined), () => undefined);
  const podDisruptionBudget = s.bool('podDisruptionBudget', preset.podDisruptionBudget);
  const probes = {
    // Loading a large snapshot takes time: allow up to 5 minutes before liveness takes over.
    startup: { periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 60 },
    liveness: { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 },
    // Tolerate one miss: an empty reply was seen right after a quorum formed. Asked every 2 s,
    // a member that stops serving (cut off from its quorum) is NotReady 2-4 s later, so the
    // client Service stops sending it new connections.
    readiness: { periodSeconds: 2, timeoutSeconds: 5, failureThreshold: 2 },
  };
  const monitoring = readMonitoring(s, image, labels.common, longestRollSeconds(topology.replicas, probes.startup));
  const backup = readBackup(s, {
    name, clientServiceFqdn: `${name}.${namespace}.svc.${clusterDomain}`, clientPort: ports.client.port, clientTls: tlsSettings.client, clientSasl: sasl?.client ?? false,
  });
  const postDeployCheck = readPostDeployCheck(s, name, labels.common, sasl);
  const roll = readRoll(s, { name, common: labels.common, voters: topology.replicas, startup: probes.startup });
  const networkPolicy = readNetworkPolicy(s, {
    namespace, anyMember: labels.anyMember, ports, clientPorts, memberPorts, backupPods: backup?.labels, checkPods: postDeployCheck?.selector, rollPods: roll?.selector,
    dynamicMembership: membership !== undefined,
  });

  if (s.issues.length > 0) throw new ZooKeeperSettingsError(name, s.issues);

  return {
    name,
    mode: topology.mode,
    namespace: namespace!,
    clusterDomain,
    image,
    podUser: platformAssignedUser ? undefined : { userId: image.userId, groupId: image.groupId },
    imagePullSecrets,
    names: {
      statefulSet: name,
      peerService,
      clientService: name,
      serviceAccount: name,
      disruptionBudget: name,
      metricsService,
      monitor: name,
      prometheusRule: name,
      dashboard: `${name}-dashboard`,
      networkPolicy: name,
      containers: { main: 'zookeeper', init: 'init-data' },
      claimTemplates: { data: 'data', txnLog: storage.txnLogGiB === undefined ? undefined : 'txnlog' },
      configMaps: {
        zookeeper: `${name}-config`,
        supervisord: `${name}-supervisord`,
        scripts: `${name}-scripts`,
        logging: `${name}-logging`,
      },
      recoveryConfigMap: `${name}-recovery`,
    },
    labels,
    annotations,
    podAnnotations,
    replicas: topology.replicas,
    quorumSize: topology.quorumSize,
    members: members.voters,
    observers: members.observers,
    memberGroups: resolveMemberGroups({
      name, topology, members, labels, configDir: paths.configDir, zooCfgPath: paths.zooCfg, zooCfg, podDisruptionBudget, observersAlways,
    }),
    ports: allPorts,
    clientPorts,
    memberPorts,
    tls,
    sasl,
    zooCfg,
    fourLetterWords,
    logLevel,
    jvm: heap.jvm,
    leaderElection: { maxNotificationIntervalMs },
    resources: heap.resources,
    storage,
    paths,
    supervisor: { stopWaitSecs, startSecs: 10, startRetries: 3 },
    // With dynamic membership the preStop hook (leaving the ensemble) runs first, within the same grace period.
    terminationGracePeriodSeconds: (membership?.leaveSeconds ?? 0) + stopWaitSecs + 10,
    probes,
    scheduling,
    podDisruptionBudget,
    ...monitoring,
    networkPolicy,
    postDeployCheck,
    roll,
    membership,
    backup,
  };
}

function readImage(s: SettingsReader) {
  const raw = s.value('image') ?? ImageProfile.upmio();
  if (!(raw instanceof ImageProfile)) {
    s.fail('image', 'must be an ImageProfile (ImageProfile.upmio() or ImageProfile.custom({...}))');
    return ImageProfile.upmio().props;
  }
  for (const issue of checkImageProfile(raw.props)) s.fail(`image.${issue.setting}`, issue.message);
  return raw.props;
}

/**
 * Every port a member binds must differ. A clash is reported on a port the user set, naming the
 * other: a default that clashes is moved by setting either one.
 */
function checkDistinctPorts(s: SettingsReader, ports: Record<string, { port: number } | undefined>): void {
  const seen = new Map<number, string>();
  const setting = (role: string) => (role === 'secureClient' ? 'secureClientPort' : `${role}Port`);
  for (const [role, { port }] of Object.entries(ports).filter((e): e is [string, { port: number }] => e[1] !== undefined)) {
    const earlier = seen.get(port);
    if (!earlier) {
      seen.set(port, role);
      continue;
    }
    const [blamed, other] = s.has(setting(role)) || !s.has(setting(earlier)) ? [role, earlier] : [earlier, role];
    s.fail(setting(blamed), `must differ from ${setting(other)} (both are ${port}${s.has(setting(other)) ? '' : `, ${setting(other)} by default`})`);
  }
}
