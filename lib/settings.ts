import { k8s } from './k8s';
import { BACKUP_SETTING_NAMES, BackupSettings } from './backup-settings';
import { DeploymentMode } from './deployment-mode';
import { ImageProfile } from './image-profile';
import { MEMBERSHIP_SETTING_NAMES, MembershipSettings } from './membership-settings';
import { MONITORING_SETTING_NAMES, MonitoringSettings } from './monitoring-settings';
import { NETWORK_POLICY_SETTING_NAMES, NetworkPolicySettings } from './network-policy-settings';
import { POST_DEPLOY_CHECK_SETTING_NAMES, PostDeployCheckSettings } from './post-deploy-check-settings';
import { ROLL_SETTING_NAMES, RollSettings } from './roll-settings';
import { SASL_SETTING_NAMES, SaslProps } from './sasl-settings';
import { TLS_SETTING_NAMES, TlsProps } from './tls-settings';

/** How strictly members are kept on different nodes. */
export enum AntiAffinity {
  /** Never schedule two members on one node: a node failure costs at most one member. */
  REQUIRED = 'required',
  /** Prefer different nodes, but allow sharing when the cluster has too few (development clusters). */
  PREFERRED = 'preferred',
}

/** What the scheduler does when members cannot be spread evenly across zones. */
export enum ZoneSpread {
  /** Spread when possible, schedule anyway otherwise (clusters with one zone keep working). */
  SCHEDULE_ANYWAY = 'ScheduleAnyway',
  /** Leave a member Pending rather than crowd one zone. */
  DO_NOT_SCHEDULE = 'DoNotSchedule',
}

/** Root log level of the ZooKeeper server. */
export enum LogLevel {
  ERROR = 'ERROR',
  WARN = 'WARN',
  INFO = 'INFO',
  DEBUG = 'DEBUG',
}

/**
 * Settings of one ZooKeeper ensemble. Every member is optional; the defaults give a production
 * 3-member ensemble. zoo.cfg settings keep ZooKeeper's own names so the mapping is obvious. The
 * metrics, alerts and dashboard settings are in MonitoringSettings, the NetworkPolicy's in
 * NetworkPolicySettings, the TLS and SASL settings beside their types in tls-settings.ts and
 * sasl-settings.ts, the backup's in backup-settings.ts, the post-deploy check's in PostDeployCheckSettings,
 * how pods roll in RollSettings, how the number of voters changes in MembershipSettings.
 */
export interface ZooKeeperEnsembleProps extends MonitoringSettings, NetworkPolicySettings, TlsProps, SaslProps, BackupSettings, PostDeployCheckSettings, RollSettings, MembershipSettings {
  /**
   * Name of the ensemble: the StatefulSet, the client Service and the prefix of every other object.
   * @default 'zookeeper'
   */
  readonly name?: string;

  /**
   * Namespace the ensemble runs in; it is part of every member's DNS name in zoo.cfg.
   * @default - the namespace of the enclosing chart (an error if the chart has none)
   */
  readonly namespace?: string;

  /**
   * Preset of defaults for replicas, resources, storage, anti-affinity and the disruption budget;
   * settings given explicitly win over it.
   * @default DeploymentMode.HIGHLY_AVAILABLE
   */
  readonly mode?: DeploymentMode;

  /**
   * Number of voting members. 1 runs a single server (development); otherwise an odd number.
   * @default - the mode's: 1 standalone, 3 highly-available, 5 cluster
   */
  readonly replicas?: number;

  /**
   * Accept an even `replicas`. An even ensemble survives no more failures than the odd one below it.
   * @default false
   */
  readonly allowEvenReplicas?: boolean;

  /**
   * Non-voting members (observers) in their own StatefulSet `<name>-observer`, mode CLUSTER only.
   * They serve reads and forward writes without counting towards the quorum.
   * @default 0
   */
  readonly observers?: number;

  /**
   * The image and what the pod relies on inside it.
   * @default ImageProfile.upmio() - quay.io/upmio/zookeeper:3.8.4
   */
  readonly image?: ImageProfile;

  /**
   * Leave the pod's uid, gid and fsGroup to the platform instead of running as the image's user:
   * `runAsUser`, `runAsGroup` and `fsGroup` are omitted, everything else of the security context
   * stays. For OpenShift's restricted SCCs, which refuse a pod whose uid is outside the namespace's
   * range and, when the pod names none, assign the range's first uid and an fsGroup from it; the
   * container then runs in group 0. The image must work for any uid in group 0
   * (`ImageProfile.debian()` does).
   * @default false - the pod runs as the image profile's userId/groupId, with groupId as fsGroup
   */
  readonly platformAssignedUser?: boolean;

  /**
   * Secrets used to pull the image.
   * @default - none
   */
  readonly imagePullSecrets?: string[];

  /**
   * DNS domain of the cluster, the suffix of every member's name in zoo.cfg.
   * @default 'cluster.local'
   */
  readonly clusterDomain?: string;

  /** Port clients connect to. @default 2181 */
  readonly clientPort?: number;
  /** Port followers use to talk to the leader. @default 2888 */
  readonly quorumPort?: number;
  /** Port used by leader election. @default 3888 */
  readonly electionPort?: number;
  /** Port of the Prometheus metrics endpoint (container port `metrics`). @default 7000 */
  readonly metricsPort?: number;
  /** Port of the AdminServer, bound to 127.0.0.1 only. @default 8080 */
  readonly adminPort?: number;

  /** zoo.cfg `tickTime`: the basic time unit in milliseconds. @default 2000 */
  readonly tickTime?: number;
  /** zoo.cfg `initLimit`: ticks a follower may take to connect and sync to the leader. @default 10 */
  readonly initLimit?: number;
  /**
   * zoo.cfg `syncLimit`: ticks a follower may fall behind the leader before it is dropped, and
   * ticks a leader that hears from no quorum keeps serving. With tickTime, it bounds how long a
   * member cut off from its peers keeps taking sessions (docs/partitions.md).
   * @default 2
   */
  readonly syncLimit?: number;
  /**
   * The longest wait, in milliseconds, between the leader election rounds of a member that finds
   * no leader (JVM property `zookeeper.fastleader.maxNotificationInterval`; ZooKeeper's default is
   * 60000). A member whose network comes back notices it at its next round, so this bounds how
   * long it stays out after a partition heals; the cost is a round (a connection attempt to each
   * peer and a log line) this often while it is alone.
   * @default 2000
   */
  readonly maxNotificationIntervalMs?: number;
  /** zoo.cfg `maxClientCnxns`: connections one client IP may open to one member (0 = unlimited). @default 300 */
  readonly maxClientCnxns?: number;
  /** zoo.cfg `minSessionTimeout` in milliseconds. @default 4000 (2 x tickTime) */
  readonly minSessionTimeout?: number;
  /** zoo.cfg `maxSessionTimeout` in milliseconds. @default 180000 */
  readonly maxSessionTimeout?: number;
  /** zoo.cfg `globalOutstandingLimit`: queued requests before the server throttles clients. @default 1000 */
  readonly globalOutstandingLimit?: number;
  /** zoo.cfg `snapCount`: transactions between snapshots. @default 100000 */
  readonly snapCount?: number;
  /**
   * zoo.cfg `preAllocSize`, in kilobytes as ZooKeeper reads it: the block the transaction log grows by.
   * @default 65536 (64 MiB)
   */
  readonly preAllocSizeKb?: number;
  /** zoo.cfg `snapSizeLimitInKb`: transaction log size (KB) after which a snapshot is taken. @default 4194304 */
  readonly snapSizeLimitInKb?: number;
  /** zoo.cfg `autopurge.snapRetainCount`: snapshots (and their logs) kept by autopurge, at least 3. @default 30 */
  readonly autopurgeSnapRetainCount?: number;
  /** zoo.cfg `autopurge.purgeInterval` in hours; 0 turns autopurge off and the volume fills up. @default 24 */
  readonly autopurgePurgeInterval?: number;
  /**
   * Extra zoo.cfg entries for settings without a dedicated option. Keys the construct manages
   * (server list, directories, ports, ...) are rejected with the option to use instead.
   * @default - none
   */
  readonly additionalConfig?: Record<string, string>;
  /** Root log level of the server. @default LogLevel.INFO */
  readonly logLevel?: LogLevel;

  /** CPU request in millicores. @default 500 (100 in mode STANDALONE) */
  readonly cpuRequestMillicores?: number;
  /**
   * CPU limit in millicores. CPU throttling stalls heartbeats and expires sessions, so none by default.
   * @default - no limit
   */
  readonly cpuLimitMillicores?: number;
  /** Memory limit in MiB; the JVM heap is derived from it. @default 2048 (512 in mode STANDALONE) */
  readonly memoryLimitMiB?: number;
  /** Memory request in MiB. @default - equal to memoryLimitMiB, so the pod is never overcommitted */
  readonly memoryRequestMiB?: number;
  /**
   * JVM heap as a percentage of memoryLimitMiB (25-80); the rest is left for metaspace, threads,
   * direct buffers and the page cache. Ignored when heapMiB is set.
   * @default 50
   */
  readonly heapPercent?: number;
  /**
   * Fixed JVM heap in MiB instead of a percentage of the memory limit.
   * @default - heapPercent of memoryLimitMiB
   */
  readonly heapMiB?: number;
  /**
   * Extra JVM options, one option per entry (e.g. `-Djute.maxbuffer=4194304`). Heap size flags
   * are rejected: use heapMiB or heapPercent.
   * @default - none
   */
  readonly jvmOptions?: string[];

  /** Size of each member's data volume in GiB. @default 20 (1 in mode STANDALONE) */
  readonly dataStorageGiB?: number;
  /**
   * Size of a separate transaction-log volume in GiB; a dedicated disk keeps fsync latency low.
   * @default - the transaction log lives on the data volume
   */
  readonly txnLogStorageGiB?: number;
  /**
   * StorageClass of the volumes.
   * @default - the cluster's default StorageClass
   */
  readonly storageClassName?: string;

  /** How strictly members avoid sharing a node. @default AntiAffinity.REQUIRED (PREFERRED in mode STANDALONE) */
  readonly antiAffinity?: AntiAffinity;
  /** How members are spread across zones. @default ZoneSpread.SCHEDULE_ANYWAY */
  readonly zoneSpread?: ZoneSpread;
  /** Node labels a member's node must carry. @default - any node */
  readonly nodeSelector?: Record<string, string>;
  /** Tolerations of the pods. @default - none */
  readonly tolerations?: k8s.Toleration[];
  /** PriorityClass of the pods. @default - the cluster default */
  readonly priorityClassName?: string;

  /** Labels added to every object and pod (never to selectors). @default - none */
  readonly labels?: Record<string, string>;
  /** Annotations added to every object. @default - none */
  readonly annotations?: Record<string, string>;
  /** Annotations added to the pods only. @default - none */
  readonly podAnnotations?: Record<string, string>;

  /**
   * Seconds supervisord waits for ZooKeeper to stop before it kills it; the pod's grace period is
   * derived from it.
   * @default 20
   */
  readonly stopTimeoutSeconds?: number;

  /**
   * Create a PodDisruptionBudget that keeps a quorum through voluntary disruptions (and one that
   * lets observers go one at a time).
   * @default true (false in mode STANDALONE)
   */
  readonly podDisruptionBudget?: boolean;
}

/**
 * Every setting name, checked against the interface by the compiler, so inputs that do not come
 * from TypeScript (plain JavaScript, settings files) can be told about keys that do not exist.
 */
export const SETTING_NAMES = [
  'name', 'namespace', 'mode', 'replicas', 'allowEvenReplicas', 'observers',
  'image', 'platformAssignedUser', 'imagePullSecrets', 'clusterDomain',
  'clientPort', 'quorumPort', 'electionPort', 'metricsPort', 'adminPort',
  'tickTime', 'initLimit', 'syncLimit', 'maxNotificationIntervalMs', 'maxClientCnxns', 'minSessionTimeout', 'maxSessionTimeout',
  'globalOutstandingLimit', 'snapCount', 'preAllocSizeKb', 'snapSizeLimitInKb',
  'autopurgeSnapRetainCount', 'autopurgePurgeInterval', 'additionalConfig', 'logLevel',
  'cpuRequestMillicores', 'cpuLimitMillicores', 'memoryLimitMiB', 'memoryRequestMiB', 'heapPercent',
  'heapMiB', 'jvmOptions', 'dataStorageGiB', 'txnLogStorageGiB', 'storageClassName',
  'antiAffinity', 'zoneSpread', 'nodeSelector', 'tolerations', 'priorityClassName',
  'labels', 'annotations', 'podAnnotations', 'stopTimeoutSeconds', 'podDisruptionBudget',
  ...MONITORING_SETTING_NAMES, ...NETWORK_POLICY_SETTING_NAMES, ...TLS_SETTING_NAMES, ...SASL_SETTING_NAMES,
  ...BACKUP_SETTING_NAMES,
  ...POST_DEPLOY_CHECK_SETTING_NAMES,
  ...ROLL_SETTING_NAMES,
  ...MEMBERSHIP_SETTING_NAMES,
] as const satisfies readonly (keyof ZooKeeperEnsembleProps)[];

// Compile-time proof that SETTING_NAMES and the interface list the same keys.
type Missing = Exclude<keyof ZooKeeperEnsembleProps, (typeof SETTING_NAMES)[number]>;
const settingNamesComplete: [Missing] extends [never] ? true : Missing = true;
void settingNamesComplete;
