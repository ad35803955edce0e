import { k8s } from '../k8s';
import { EnsembleModel, MemberGroup, ProbeTiming } from '../model/ensemble-model';
import { memberToolLoggingPath, toolLoggingOption } from '../render/java-tool';
import { MEMBERSHIP_SCRIPTS } from '../render/scripts';
import { AntiAffinity } from '../settings';
import { selectGroup } from './metadata';

/** Annotation on the pod template carrying the configuration checksum. */
export const CONFIG_CHECKSUM_ANNOTATION = 'cdk8s-zookeeper/config-checksum';

/**
 * Annotation on the pod template carrying the hash of the rest of the template: the roll Job of
 * that template is named by it and waits for the StatefulSet to carry it.
 */
export const TEMPLATE_HASH_ANNOTATION = 'cdk8s-zookeeper/template-hash';

/** Volume names: ConfigMap-backed and the writable scratch space (claims are named by the model). */
export const VOLUMES = {
  config: 'config',
  logging: 'logging',
  supervisord: 'supervisord',
  scripts: 'scripts',
  supervisorRun: 'supervisor-run',
  tmp: 'tmp',
  tlsSecret: 'tls',
  tlsPassword: 'tls-password',
  tlsStores: 'tls-stores',
  saslSecret: 'sasl',
  saslConfig: 'sasl-config',
} as const;

/**
 * The member pod: supervisord as PID 1 running ZooKeeper, after an init container prepared the
 * volumes. Voters and observers run the same pod; the group gives labels, ids and zoo.cfg, and
 * each group keeps its own members apart (anti-affinity and zone spread select the group only).
 */
export function podTemplate(model: EnsembleModel, group: MemberGroup, configChecksum: string): k8s.PodTemplateSpec {
  return {
    metadata: {
      labels: { ...group.labels },
      annotations: { ...model.podAnnotations, [CONFIG_CHECKSUM_ANNOTATION]: configChecksum },
    },
    spec: {
      serviceAccountName: model.names.serviceAccount,
      // Only a dynamic membership's members call the API server: each reads its StatefulSet's replicas.
      automountServiceAccountToken: model.membership !== undefined,
      // A Service named like the ensemble would otherwise inject ZOOKEEPER_PORT=tcp://... variables.
      enableServiceLinks: false,
      terminationGracePeriodSeconds: model.terminationGracePeriodSeconds,
      securityContext: podSecurityContext(model),
      imagePullSecrets: model.imagePullSecrets.length > 0 ? model.imagePullSecrets.map((name) => ({ name })) : undefined,
      initContainers: [initContainer(model, group)],
      containers: [mainContainer(model, group)],
      volumes: volumes(model),
      affinity: { podAntiAffinity: antiAffinity(model, group) },
      topologySpreadConstraints: [{
        maxSkew: 1,
        topologyKey: 'topology.kubernetes.io/zone',
        whenUnsatisfiable: model.scheduling.zoneSpread,
        labelSelector: selectGroup(group),
      }],
      nodeSelector: Object.keys(model.scheduling.nodeSelector).length > 0 ? { ...model.scheduling.nodeSelector } : undefined,
      tolerations: model.scheduling.tolerations.length > 0 ? [...model.scheduling.tolerations] : undefined,
      priorityClassName: model.scheduling.priorityClassName,
    },
  };
}

/**
 * The pod's security context under the restricted Pod Security Standard, as the image profile's
 * user (or the platform's, with platformAssignedUser): the members' and the backup's pods.
 */
export function podSecurityContext(model: EnsembleModel): k8s.PodSecurityContext {
  return {
    ...(model.podUser && { runAsUser: model.podUser.userId, runAsGroup: model.podUser.groupId, fsGroup: model.podUser.groupId }),
    runAsNonRoot: true,
    // Kept when the platform assigns the fsGroup (OpenShift sets one from the namespace's
    // range): a large data volume is then not re-chowned file by file on every pod start.
    fsGroupChangePolicy: 'OnRootMismatch',
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Every container's security context: the restricted Pod Security Standard's and a read-only root. */
export function containerSecurityContext(): k8s.SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

function initContainer(model: EnsembleModel, group: MemberGroup): k8s.Container {
  return {
    name: model.names.containers.init,
    image: model.image.image,
    imagePullPolicy: 'IfNotPresent',
    command: [model.image.bashPath, `${model.paths.scriptsDir}/init-data.sh`],
    env: [
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'ZK_FIRST_MYID', value: String(group.firstMyid) },
      { name: 'ZK_DATA_DIR', value: model.paths.dataDir },
      { name: 'ZK_TXNLOG_DIR', value: model.paths.txnLogDir },
    ],
    resources: {
      requests: { cpu: k8s.Quantity.fromString('50m'), memory: k8s.Quantity.fromString('32Mi') },
      limits: { memory: k8s.Quantity.fromString('64Mi') },
    },
    securityContext: containerSecurityContext(),
    volumeMounts: [
      { name: VOLUMES.scripts, mountPath: model.paths.scriptsDir, readOnly: true },
      ...dataMounts(model),
    ],
  };
}

function mainContainer(model: EnsembleModel, group: MemberGroup): k8s.Container {
  const { ports, paths, resources } = model;
  // The metrics port is served by ZooKeeper's provider or by the exporter beside it: declared either way.
  const containerPorts = [...model.clientPorts, ...model.memberPorts, ports.metrics];
  const probe = (mode: 'live' | 'ready', timing: ProbeTiming): k8s.Probe => ({
    exec: { command: [model.image.bashPath, `${paths.scriptsDir}/probe.sh`, mode] },
    ...timing,
  });
  return {
    name: model.names.containers.main,
    image: model.image.image,
    imagePullPolicy: 'IfNotPresent',
    command: [model.image.supervisordPath, '-c', paths.supervisordConf],
    env: [
      { name: 'ZK_JAVA', value: model.image.javaPath },
      { name: 'ZK_CLASSPATH', value: model.image.classpath.join(':') },
      { name: 'ZK_HEAP_MIB', value: String(model.jvm.heapMiB) },
      { name: 'ZK_NON_HEAP_RESERVE_MIB', value: String(model.jvm.nonHeapReserveMiB) },
      {
        name: 'ZK_MEMORY_LIMIT_MIB',
        valueFrom: { resourceFieldRef: { containerName: model.names.containers.main, resource: 'limits.memory', divisor: k8s.Quantity.fromString('1Mi') } },
      },
      { name: 'ZK_JVM_OPTIONS', value: paths.jvmOptions },
      { name: 'ZK_ZOO_CFG', value: group.zooCfgPath },
      { name: 'ZK_CLIENT_PORT', value: String(ports.client.port) },
      // Read at each container start, so a ConfigMap created during a recovery reaches the new pods.
      { name: 'ZK_RECOVER_FROM', valueFrom: { configMapKeyRef: { name: model.names.recoveryConfigMap, key: 'survivor', optional: true } } },
      // zk-cli.sh's JVM logs only warnings, from the logging ConfigMap.
      { name: 'ZK_TOOL_LOGGING_OPTION', value: toolLoggingOption(model.image.logging, memberToolLoggingPath(model)) },
      ...tlsEnv(model),
      ...saslEnv(model),
      ...membershipEnv(model, group),
    ],
    ports: containerPorts.map((p) => ({ name: p.name, containerPort: p.port, protocol: 'TCP' })),
    resources: {
      requests: {
        cpu: k8s.Quantity.fromString(`${resources.cpuRequestMillicores}m`),
        memory: k8s.Quantity.fromString(`${resources.memoryRequestMiB}Mi`),
      },
      limits: {
        ...(resources.cpuLimitMillicores !== undefined ? { cpu: k8s.Quantity.fromString(`${resources.cpuLimitMillicores}m`) } : {}),
        memory: k8s.Quantity.fromString(`${resources.memoryLimitMiB}Mi`),
      },
    },
    securityContext: containerSecurityContext(),
    startupProbe: probe('live', model.probes.startup),
    livenessProbe: probe('live', model.probes.liveness),
    readinessProbe: probe('ready', model.probes.readiness),
    lifecycle: leaveOnStop(model),
    volumeMounts: [
      { name: VOLUMES.config, mountPath: paths.configDir, readOnly: true },
      { name: VOLUMES.logging, mountPath: paths.loggingDir, readOnly: true },
      { name: VOLUMES.supervisord, mountPath: paths.supervisordDir, readOnly: true },
      { name: VOLUMES.scripts, mountPath: paths.scriptsDir, readOnly: true },
      ...dataMounts(model),
      { name: VOLUMES.supervisorRun, mountPath: paths.supervisorRunDir },
      { name: VOLUMES.tmp, mountPath: paths.tmpDir },
      ...tlsMounts(model),
      ...saslMounts(model),
    ],
  };
}

/**
 * What the dynamic membership's scripts read (membership 'dynamic' only): where the member is, which
 * StatefulSet says how many members of its role are wanted (an observer knows it is one from its
 * zoo.cfg's peerType), where the ensemble and the bootstrap list are, and in mode cluster the
 * observers' StatefulSet. Not one value depends on replicas or observers, so a change of either
 * rolls no pod.
 */
function membershipEnv(model: EnsembleModel, group: MemberGroup): k8s.EnvVar[] {
  const membership = model.membership;
  if (membership === undefined) return [];
  return [
    { name: 'ZK_MEMBERSHIP', value: 'dynamic' },
    { name: 'ZK_STATEFULSET', value: group.statefulSet },
    { name: 'ZK_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    { name: 'ZK_POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'ZK_PEER_DOMAIN', value: membership.peerDomain },
    { name: 'ZK_CLIENT_SERVICE', value: membership.clientServiceFqdn },
    { name: 'ZK_QUORUM_PORT', value: String(model.ports.quorum.port) },
    { name: 'ZK_ELECTION_PORT', value: String(model.ports.election.port) },
    { name: 'ZK_FIRST_MYID', value: String(group.firstMyid) },
    { name: 'ZK_BOOTSTRAP_CFG', value: membership.bootstrapPath },
    { name: 'ZK_BOOTSTRAP_VOTERS', value: String(membership.bootstrapVoters) },
    // The leader removes observers scaled away without their preStop: it reads their StatefulSet too.
    ...model.memberGroups.filter((g) => g.role === 'observer').flatMap((g) => [
      { name: 'ZK_OBSERVER_STATEFULSET', value: g.statefulSet },
      { name: 'ZK_OBSERVER_FIRST_MYID', value: String(g.firstMyid) },
    ]),
    // The preStop hook's own deadline, inside its budget of the grace period: its last log line and
    // its exit fit the rest.
    { name: 'ZK_LEAVE_SECONDS', value: String(membership.leaveSeconds - 5) },
  ];
}

/**
 * A member scaled away (ordinal >= replicas) removes itself from the membership before it stops;
 * any other stop (a roll, an eviction) leaves it as it is. The script decides, from its StatefulSet.
 */
function leaveOnStop(model: EnsembleModel): k8s.Lifecycle | undefined {
  if (model.membership === undefined) return undefined;
  return { preStop: { exec: { command: [model.image.bashPath, `${model.paths.scriptsDir}/${MEMBERSHIP_SCRIPTS.leave}`] } } };
}

/** Where the tls-sync program (sync-tls-stores.sh) copies the stores from and to. */
function tlsEnv(model: EnsembleModel): k8s.EnvVar[] {
  if (model.tls === undefined) return [];
  const { paths, syncIntervalSeconds } = model.tls;
  return [
    { name: 'ZK_TLS_SOURCE_DIR', value: paths.secretDir },
    { name: 'ZK_TLS_DIR', value: paths.storesDir },
    { name: 'ZK_TLS_SYNC_SECONDS', value: String(syncIntervalSeconds) },
  ];
}

function tlsMounts(model: EnsembleModel): k8s.VolumeMount[] {
  if (model.tls === undefined) return [];
  const { paths } = model.tls;
  return [
    { name: VOLUMES.tlsSecret, mountPath: paths.secretDir, readOnly: true },
    { name: VOLUMES.tlsPassword, mountPath: paths.passwordDir, readOnly: true },
    { name: VOLUMES.tlsStores, mountPath: paths.storesDir },
  ];
}

/**
 * The Secret volumes hold only the keys ZooKeeper reads (the PEM key cert-manager also writes is
 * not mounted), readable by the pod's group (fsGroup) and nobody else; whole-volume mounts, so
 * the kubelet keeps them current (a subPath mount would never change). The copies ZooKeeper reads
 * live in memory.
 */
function tlsVolumes(model: EnsembleModel): k8s.Volume[] {
  if (model.tls === undefined) return [];
  const { secretName, secretKeys, passwordSecret, paths } = model.tls;
  const passwordFile = paths.passwordFile.slice(paths.passwordDir.length + 1);
  return [
    {
      name: VOLUMES.tlsSecret,
      secret: { secretName, defaultMode: 0o440, items: [secretKeys.keyStore, secretKeys.trustStore].map((key) => ({ key, path: key })) },
    },
    { name: VOLUMES.tlsPassword, secret: { secretName: passwordSecret.name, defaultMode: 0o440, items: [{ key: passwordSecret.key, path: passwordFile }] } },
    { name: VOLUMES.tlsStores, emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString('1Mi') } },
  ];
}

/** What write-sasl-config.sh reads and writes, and which users it writes into the JAAS file. */
function saslEnv(model: EnsembleModel): k8s.EnvVar[] {
  if (model.sasl === undefined) return [];
  const { paths, quorumUser, clientUsers, superDigest } = model.sasl;
  return [
    { name: 'ZK_SASL_SOURCE_DIR', value: paths.secretDir },
    { name: 'ZK_SASL_DIR', value: paths.runtimeDir },
    ...(quorumUser !== undefined ? [{ name: 'ZK_SASL_QUORUM_USER', value: quorumUser }] : []),
    ...(clientUsers.length > 0 ? [{ name: 'ZK_SASL_CLIENT_USERS', value: clientUsers.join(' ') }] : []),
    ...(superDigest ? [{ name: 'ZK_SASL_SUPER_DIGEST', value: 'true' }] : []),
  ];
}

function saslMounts(model: EnsembleModel): k8s.VolumeMount[] {
  if (model.sasl === undefined) return [];
  return [
    { name: VOLUMES.saslSecret, mountPath: model.sasl.paths.secretDir, readOnly: true },
    { name: VOLUMES.saslConfig, mountPath: model.sasl.paths.runtimeDir },
  ];
}

/**
 * Only the keys the settings name are mounted, under fixed file names, readable by the pod's
 * group and nobody else: like the TLS Secret, 0440, because the files belong to root and the
 * process (uid 1001, or any uid OpenShift assigns) reads them through its group, fsGroup. The
 * JAAS file built from them lives in memory.
 */
function saslVolumes(model: EnsembleModel): k8s.Volume[] {
  if (model.sasl === undefined) return [];
  const { secretName, items } = model.sasl;
  return [
    { name: VOLUMES.saslSecret, secret: { secretName, defaultMode: 0o440, items: items.map(({ key, path }) => ({ key, path })) } },
    { name: VOLUMES.saslConfig, emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString('1Mi') } },
  ];
}

function dataMounts(model: EnsembleModel): k8s.VolumeMount[] {
  return [
    { name: model.names.claimTemplates.data, mountPath: model.paths.dataMount },
    ...(model.names.claimTemplates.txnLog !== undefined ? [{ name: model.names.claimTemplates.txnLog, mountPath: model.paths.txnLogMount }] : []),
  ];
}

function volumes(model: EnsembleModel): k8s.Volume[] {
  const configMap = (volume: string, name: string): k8s.Volume => ({ name: volume, configMap: { name } });
  return [
    configMap(VOLUMES.config, model.names.configMaps.zookeeper),
    configMap(VOLUMES.logging, model.names.configMaps.logging),
    configMap(VOLUMES.supervisord, model.names.configMaps.supervisord),
    configMap(VOLUMES.scripts, model.names.configMaps.scripts),
    // supervisord's pid file and control socket: tiny, private, gone with the pod.
    { name: VOLUMES.supervisorRun, emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString('1Mi') } },
    // java.io.tmpdir and the JVM's perf data.
    { name: VOLUMES.tmp, emptyDir: { sizeLimit: k8s.Quantity.fromString('128Mi') } },
    ...tlsVolumes(model),
    ...saslVolumes(model),
  ];
}

function antiAffinity(model: EnsembleModel, group: MemberGroup): k8s.PodAntiAffinity {
  const term: k8s.PodAffinityTerm = { labelSelector: selectGroup(group), topologyKey: 'kubernetes.io/hostname' };
  return model.scheduling.antiAffinity === AntiAffinity.REQUIRED
    ? { requiredDuringSchedulingIgnoredDuringExecution: [term] }
    : { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term }] };
}
