import { k8s } from 'cdk8s-plus-28';
import { ImageProfile, LoggingBackend } from '../image-profile';
import { AntiAffinity, LogLevel, SETTING_NAMES, ZoneSpread, ZooKeeperEnsembleProps } from '../settings';
import { ClientTls } from '../tls-settings';
import { SYNC_WAVE_ANNOTATION } from './annotations';
import { EnsembleModel } from './ensemble-model';
import { ZooKeeperSettingsError } from './errors';
import { checkImageProfile } from './image-profile-checks';
import { readLabels } from './resolve-labels';
import { readMonitoring } from './resolve-monitoring';
import { readNetworkPolicy } from './resolve-network-policy';
import { resolveSasl } from './resolve-sasl';
import { readTlsSettings, resolveTls } from './resolve-tls';
import { ModePreset, readTopology, resolveMemberGroups, resolveMembers } from './resolve-topology';
import { NameFormat, SettingsReader } from './settings-reader';
import { managedZooCfgEntries, ZOO_CFG_KEY_OWNERS } from './zoo-cfg-entries';

/** Longest ensemble name: the StatefulSet's controller-revision-hash label is `<name>-<10 chars>` (<= 63). */
const MAX_NAME_LENGTH = 52;
/** Memory the JVM needs besides the heap: metaspace, thread stacks, direct buffers, GC structures. */
const NON_HEAP_RESERVE_MIB = 256;
/** Four-letter words the probes send: ruok (liveness) and srvr (readiness). */
const PROBE_FOUR_LETTER_WORDS = ['ruok', 'srvr'];
/** What the mntr exporter sends, on images without the native metrics provider. */
const EXPORTER_FOUR_LETTER_WORDS = ['mntr'];

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
  const s = new SettingsReader(props as Record<string, unknown>);
  s.rejectUnknown(SETTING_NAMES);

  const name = s.string('name', 'zookeeper', (v) => NameFormat.dnsLabel(v) ?? (/^[a-z]/.test(v) && v.length <= MAX_NAME_LENGTH ? undefined
    : `must start with a letter and be at most ${MAX_NAME_LENGTH} characters (it prefixes Service names and pod names)`));
  const namespace = s.string('namespace', chartNamespace, NameFormat.dnsLabel);
  if (namespace === undefined) s.fail('namespace', 'is required: set it here or on the enclosing chart (it is part of every member\'s DNS name)');
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
  const tlsSettings = readTlsSettings(s, name, topology.replicas);
  const allPorts = { ...ports, secureClient: tlsSettings.secureClientPort };
  checkDistinctPorts(s, allPorts);
  // TLS-only clients reach the TLS port alone; the plaintext one stays on loopback.
  const clientPorts = [
    ...(tlsSettings.client === ClientTls.ONLY ? [] : [ports.client]),
    ...(tlsSettings.secureClientPort ? [tlsSettings.secureClientPort] : []),
  ];

  const tickTime = s.int('tickTime', 2000, { min: 100, max: 60000 });
  const minSessionTimeout = s.int('minSessionTimeout', 2 * tickTime, { min: 1, max: 2147483647 });
  const maxSessionTimeout = s.int('maxSessionTimeout', 180000, { min: 1, max: 2147483647 });
  if (minSessionTimeout > maxSessionTimeout) {
    s.fail('minSessionTimeout', `must not exceed maxSessionTimeout (${minSessionTimeout} > ${maxSessionTimeout})`);
  }

  const heap = readHeap(s, preset);
  const storage = {
    dataGiB: s.int('dataStorageGiB', preset.dataStorageGiB, { min: 1, max: 65536 }),
    txnLogGiB: s.int('txnLogStorageGiB', undefined, { min: 1, max: 65536 }),
    storageClassName: s.string('storageClassName', undefined, NameFormat.dnsSubdomain),
  };
  const paths = {
    ...PATHS,
    zooCfg: `${PATHS.configDir}/zoo.cfg`,
    jvmOptions: `${PATHS.configDir}/jvm.options`,
    loggingConfig: `${PATHS.loggingDir}/${image.logging === LoggingBackend.LOGBACK ? 'logback.xml' : 'log4j.properties'}`,
    supervisordConf: `${PATHS.supervisordDir}/supervisord.conf`,
    dataDir: `${PATHS.dataMount}/data`,
    txnLogDir: storage.txnLogGiB === undefined ? `${PATHS.dataMount}/data` : `${PATHS.txnLogMount}/log`,
  };

  const peerService = `${name}-headless`;
  const metricsService = `${name}-metrics`;
  const members = resolveMembers(name, topology, `${peerService}.${namespace}.svc.${clusterDomain}`);
  const tls = resolveTls(tlsSettings, {
    name, namespace: namespace ?? '', clusterDomain, members: [...members.voters, ...members.observers], peerService, clientService: name, metricsService,
  });

  const sasl = resolveSasl(s, topology.replicas);

  const fourLetterWords = image.nativePrometheusMetrics ? PROBE_FOUR_LETTER_WORDS : [...PROBE_FOUR_LETTER_WORDS, ...EXPORTER_FOUR_LETTER_WORDS];
  const zooCfg = managedZooCfgEntries({
    tickTime,
    initLimit: s.int('initLimit', 10, { min: 1, max: 1000 }),
    syncLimit: s.int('syncLimit', 5, { min: 1, max: 1000 }),
    dataDir: paths.dataDir,
    dataLogDir: storage.txnLogGiB === undefined ? undefined : paths.txnLogDir,
    clientPort: ports.client.port,
    quorumPort: ports.quorum.port,
    electionPort: ports.election.port,
    adminPort: ports.admin.port,
    maxClientCnxns: s.int('maxClientCnxns', 300, { min: 0, max: 100000 }),
    minSessionTimeout,
    maxSessionTimeout,
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
  });
  zooCfg.push(...readAdditionalConfig(s));

  const labels = readLabels(s, name, image.zookeeperVersion, members.observers.length > 0);

  const stopWaitSecs = s.int('stopTimeoutSeconds', 20, { min: 1, max: 600 });
  const logLevel = s.oneOf('logLevel', LogLevel.INFO, LogLevel);
  const scheduling = {
    antiAffinity: s.oneOf('antiAffinity', preset.antiAffinity, AntiAffinity),
    zoneSpread: s.oneOf('zoneSpread', ZoneSpread.SCHEDULE_ANYWAY, ZoneSpread),
    nodeSelector: s.stringMap('nodeSelector', NameFormat.qualifiedKey, NameFormat.labelValue),
    tolerations: s.objectList<k8s.Toleration>('tolerations'),
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
  const monitoring = readMonitoring(s, image, labels.common);
  const networkPolicy = readNetworkPolicy(s, { namespace, anyMember: labels.anyMember, ports });

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
    },
    labels,
    annotations,
    podAnnotations,
    replicas: topology.replicas,
    quorumSize: topology.quorumSize,
    members: members.voters,
    observers: members.observers,
    memberGroups: resolveMemberGroups({
      name, topology, members, labels, configDir: paths.configDir, zooCfgPath: paths.zooCfg, zooCfg, podDisruptionBudget,
    }),
    ports: allPorts,
    clientPorts,
    tls,
    sasl,
    zooCfg,
    fourLetterWords,
    logLevel,
    jvm: heap.jvm,
    resources: heap.resources,
    storage,
    paths,
    supervisor: { stopWaitSecs, startSecs: 10, startRetries: 3 },
    terminationGracePeriodSeconds: stopWaitSecs + 10,
    probes: {
      // Loading a large snapshot takes time: allow up to 5 minutes before liveness takes over.
      startup: { periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 60 },
      liveness: { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 },
      // Tolerate one miss: an empty reply was seen right after a quorum formed.
      readiness: { periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 2 },
    },
    scheduling,
    podDisruptionBudget,
    ...monitoring,
    networkPolicy,
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

function checkDistinctPorts(s: SettingsReader, ports: Record<string, { port: number } | undefined>): void {
  const seen = new Map<number, string>();
  const setting = (role: string) => (role === 'secureClient' ? 'secureClientPort' : `${role}Port`);
  for (const [role, { port }] of Object.entries(ports).filter((e): e is [string, { port: number }] => e[1] !== undefined)) {
    const other = seen.get(port);
    if (other) s.fail(setting(role), `must differ from ${setting(other)} (both are ${port})`);
    else seen.set(port, role);
  }
}

function readHeap(s: SettingsReader, preset: ModePreset) {
  const memoryLimitMiB = s.int('memoryLimitMiB', preset.memoryLimitMiB, { min: 512, max: 1048576 });
  const memoryRequestMiB = s.int('memoryRequestMiB', memoryLimitMiB, { min: 64, max: 1048576 });
  if (memoryRequestMiB > memoryLimitMiB) {
    s.fail('memoryRequestMiB', `must not exceed memoryLimitMiB (${memoryRequestMiB} > ${memoryLimitMiB})`);
  }
  const cpuRequestMillicores = s.int('cpuRequestMillicores', preset.cpuRequestMillicores, { min: 1, max: 1024000 });
  const cpuLimitMillicores = s.int('cpuLimitMillicores', undefined, { min: 1, max: 1024000 });
  if (cpuLimitMillicores !== undefined && cpuLimitMillicores < cpuRequestMillicores) {
    s.fail('cpuLimitMillicores', `must be at least cpuRequestMillicores (${cpuLimitMillicores} < ${cpuRequestMillicores})`);
  }

  const heapPercent = s.int('heapPercent', 50, { min: 25, max: 80 });
  const explicitHeap = s.int('heapMiB', undefined, { min: 64, max: 1048576 });
  if (explicitHeap !== undefined && s.has('heapPercent')) {
    s.fail('heapMiB', 'cannot be combined with heapPercent: set one of them');
  }
  const heapMiB = explicitHeap ?? Math.floor(memoryLimitMiB * heapPercent / 100);
  const heapSetting = explicitHeap !== undefined ? 'heapMiB' : 'heapPercent';
  if (heapMiB >= memoryLimitMiB) {
    s.fail(heapSetting, `a heap of ${heapMiB} MiB does not fit the ${memoryLimitMiB} MiB memory limit (memoryLimitMiB); the container would be OOM-killed`);
  } else if (heapMiB + NON_HEAP_RESERVE_MIB > memoryLimitMiB) {
    s.fail(heapSetting, `a heap of ${heapMiB} MiB leaves ${memoryLimitMiB - heapMiB} MiB of the ${memoryLimitMiB} MiB memory limit for the rest of the JVM; at least ${NON_HEAP_RESERVE_MIB} MiB is needed (raise memoryLimitMiB or lower the heap)`);
  }

  const extraOptions = s.stringList('jvmOptions', (option) => {
    if (!/^-\S+$/.test(option) || /["'\\]/.test(option)) return 'must be one JVM option starting with \'-\', without spaces or quotes';
    // More specific than the credential check below: the digest has a setting of its own.
    if (/^-Dzookeeper\.DigestAuthenticationProvider\.superDigest=/.test(option)) {
      return 'would put the super digest into a ConfigMap and on the command line: use saslSuperDigestKey (read from a Secret)';
    }
    const property = /^-D([^=]+)=/.exec(option)?.[1];
    if (property && SECRET_KEY.test(property)) return `would put a secret into the jvm.options ConfigMap (${SECRET_ADVICE})`;
    if (/^-(Xmx|Xms|XX:(MaxRAMPercentage|InitialRAMPercentage|MinRAMPercentage|MaxRAM)\b)/.test(option)) {
      return 'sets the heap size, which is derived from the memory limit: use heapMiB or heapPercent';
    }
    if (/^-Djava\.security\.auth\.login\.config=/.test(option)) {
      return 'is managed by the construct: clientSasl and quorumSasl build the JAAS file from a Secret';
    }
    return undefined;
  });

  return {
    resources: { cpuRequestMillicores, cpuLimitMillicores, memoryRequestMiB, memoryLimitMiB },
    jvm: {
      heapMiB,
      nonHeapReserveMiB: NON_HEAP_RESERVE_MIB,
      options: [
        // Below 2 CPUs or 1792 MB the JVM would pick SerialGC, whose full pauses expire sessions.
        '-XX:+UseG1GC',
        // A JVM that ran out of heap is in an unknown state: let supervisord and the kubelet restart it.
        '-XX:+ExitOnOutOfMemoryError',
        // Pods keep their DNS names but get new IPs when recreated. The JVM caches lookups for
        // 30 s by default, so a member re-resolving a recreated leader got its old address and
        // spent initLimit trying it (seen end to end: 20+ s to re-form a quorum). Cache briefly.
        '-Dsun.net.inetaddr.ttl=5',
        '-Dsun.net.inetaddr.negative.ttl=1',
        '-Djava.awt.headless=true',
        `-Djava.io.tmpdir=${PATHS.tmpDir}`,
        ...extraOptions,
      ],
    },
  };
}

/**
 * Keys whose value is a credential (`ssl.keyStore.password`, `...superDigest`). ConfigMaps are
 * readable by far more people than Secrets, so such values are refused wherever a setting would
 * copy them into one; ZooKeeper reads its keystore passwords from files (`*.passwordPath`).
 */
const SECRET_KEY = /(password|passwd|secret|superDigest)$/i;
const SECRET_ADVICE = 'anyone who can read ConfigMaps could read it; use the matching *.passwordPath with a file mounted from a Secret';

function readAdditionalConfig(s: SettingsReader): [string, string][] {
  const extra = s.stringMap('additionalConfig', (key) => {
    if (!/^[A-Za-z][A-Za-z0-9._-]*$/.test(key)) return 'is not a zoo.cfg key: letters, digits, \'.\', \'_\' and \'-\', starting with a letter';
    if (/^(server|group|weight)\./.test(key)) return 'is derived from replicas and observers: the server list is generated';
    const owner = ZOO_CFG_KEY_OWNERS[key];
    if (owner) return `is managed by the construct; use ${owner}`;
    return SECRET_KEY.test(key) ? `would put a secret into the zoo.cfg ConfigMap (${SECRET_ADVICE})` : undefined;
  }, (value) => /[\r\n]/.test(value) || value.trim() === '' ? 'must be a non-empty single line' : undefined);
  return Object.entries(extra).sort(([a], [b]) => a.localeCompare(b));
}
