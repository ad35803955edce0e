import { k8s } from '../k8s';
import { DeploymentMode } from '../deployment-mode';
import { ImageProfileProps } from '../image-profile';
import { AlertThresholds, PrometheusMonitor } from '../monitoring-settings';
import { AntiAffinity, LogLevel, ZoneSpread } from '../settings';
import { SaslModel, TlsModel } from './security-model';

/** A named container port; the name is what Services and probes refer to. */
export interface NamedPort {
  readonly name: string;
  readonly port: number;
}

/**
 * Whether a member votes. Voters (ZooKeeper's participants) elect the leader and acknowledge
 * writes; observers follow the leader and serve reads without counting towards the quorum.
 */
export type MemberRole = 'voter' | 'observer';

/** One member, derived from its role and its StatefulSet ordinal. */
export interface Member {
  readonly role: MemberRole;
  readonly ordinal: number;
  /** ZooKeeper server id: voters ordinal + 1, observers after the voters (1..255). */
  readonly myid: number;
  readonly podName: string;
  /** `<pod>.<peer service>.<namespace>.svc.<cluster domain>`, resolvable before the pod is Ready. */
  readonly fqdn: string;
}

/**
 * The members of one role and what differs between roles. Each group is its own StatefulSet with
 * its own selector, pods and claims; everything else (image, configuration, probes) is shared.
 */
export interface MemberGroup {
  readonly role: MemberRole;
  readonly statefulSet: string;
  readonly members: readonly Member[];
  /** The server id of its ordinal 0 (ZK_FIRST_MYID), also when the group has no member yet. */
  readonly firstMyid: number;
  /** Selects this group's pods and no other's: its StatefulSet, budget, anti-affinity and spread. */
  readonly selector: Readonly<Record<string, string>>;
  /** On the group's StatefulSet, budget, pods: the common labels with the group's component. */
  readonly labels: Readonly<Record<string, string>>;
  /** The zoo.cfg the group's members run with, in the zookeeper ConfigMap. */
  readonly zooCfgPath: string;
  /** Its entries: the shared ones, plus `peerType=observer` for observers. */
  readonly zooCfg: readonly (readonly [string, string])[];
  /** The group's PodDisruptionBudget, or undefined when podDisruptionBudget is off. */
  readonly disruptionBudget?: {
    readonly name: string;
    readonly minAvailable?: number;
    readonly maxUnavailable?: number;
    /** Whether members that are not Ready may be evicted while the budget is exhausted. */
    readonly unhealthyPodEvictionPolicy: 'IfHealthyBudget' | 'AlwaysAllow';
  };
}

/** Probe timing; the commands come from the scripts. */
export interface ProbeTiming {
  readonly periodSeconds: number;
  readonly timeoutSeconds: number;
  readonly failureThreshold: number;
}

/**
 * Who serves the metrics port: ZooKeeper's own Prometheus provider, or the exporter program that
 * supervisord runs beside it, translating `mntr` into the provider's metric names.
 */
export type MetricsExporter = 'native' | 'mntr-exporter';

/** A port a NetworkPolicy rule opens, on one protocol. */
export interface TrafficPort {
  readonly port: number;
  readonly protocol: 'TCP' | 'UDP';
}

/** One kind of traffic the NetworkPolicy lets through; anything no rule names is dropped. */
export interface TrafficRule {
  /** What the traffic is for: clients, the members among themselves, scrapes, name lookups, the backup, the post-deploy check. */
  readonly purpose: 'clients' | 'members' | 'metrics' | 'dns' | 'backup' | 'post-deploy-check' | 'roll' | 'membership' | 'api-server';
  /** Sources (ingress) or destinations (egress); undefined admits any address, in the cluster or outside it. */
  readonly peers?: readonly k8s.NetworkPolicyPeer[];
  readonly ports: readonly TrafficPort[];
}

/**
 * The post-deploy check: a Job (an Argo CD PostSync hook) whose pod runs PostDeployCheck.java from
 * a ConfigMap with the server image's JVM and classpath, as a client of the ensemble.
 */
export interface PostDeployCheckModel {
  readonly job: string;
  /** Holds the Java source and the logging config of the check's JVM. */
  readonly configMap: string;
  readonly container: string;
  /** The check pod's own labels, by which the NetworkPolicy admits it; no member carries them. */
  readonly selector: Readonly<Record<string, string>>;
  /** On the Job, the ConfigMap and the pod: the common labels with the check's selector and component. */
  readonly labels: Readonly<Record<string, string>>;
  /** The most one step may take, its retries included. */
  readonly stepSeconds: number;
  /**
   * Under dynamic membership, the most the ensemble step waits for the leader's membership to list
   * exactly the Job's voters: after a scale-up the hooks start once the new pods are Ready, as
   * non-voters, and they are added one at a time, in ordinal order.
   */
  readonly membershipSeconds: number;
  /** The Job's activeDeadlineSeconds. */
  readonly deadlineSeconds: number;
  /** The znode under which each run creates (and removes) its own. */
  readonly znodeRoot: string;
  readonly heapMiB: number;
  /** Where the ConfigMap is mounted in the check's pod. */
  readonly sourceDir: string;
  /** The client user the check logs in as, with client SASL. */
  readonly saslUser?: string;
}

/**
 * The leader-last roll (rollStrategy 'leader-last'): the voters' StatefulSet uses OnDelete and a
 * Job per pod template runs Roller.java, which evicts the outdated voters through the API server.
 */
export interface RollModel {
  /** The Job's name without the template hash it ends with. */
  readonly jobPrefix: string;
  /** Holds the Java source and the logging config of the roller's JVM. */
  readonly configMap: string;
  /** Its own identity, the only one granted the Role. */
  readonly serviceAccount: string;
  readonly role: string;
  readonly container: string;
  /** The roller pod's own labels, by which the NetworkPolicy admits it; no member carries them. */
  readonly selector: Readonly<Record<string, string>>;
  /** On every roll object: the common labels with the roller's selector and component. */
  readonly labels: Readonly<Record<string, string>>;
  /** The most one voter may take to be back, serving and synced, before the roll stops. */
  readonly memberSeconds: number;
  /** The most the roller waits for the StatefulSet to carry the Job's template. */
  readonly templateWaitSeconds: number;
  /** The Job's activeDeadlineSeconds: every voter at its limit, and the waits around them. */
  readonly deadlineSeconds: number;
  /** How long a finished Job (and its log) stays. */
  readonly ttlSecondsAfterFinished: number;
  readonly heapMiB: number;
  /** Where the ConfigMap is mounted in the roller's pod. */
  readonly sourceDir: string;
}

/**
 * Dynamic membership (membership 'dynamic'): zoo.cfg lists no server; the members learn the
 * membership from the ensemble (or, at the ensemble's birth, from the bootstrap list), read the
 * number of voters wanted from their StatefulSet through the API server, and join or leave with
 * `reconfig`. Nothing here depends on `replicas`, so changing it rolls no pod.
 */
export interface DynamicMembershipModel {
  /** The voters of the ensemble's first membership, ordinals 0..bootstrapVoters-1; fixed at birth. */
  readonly bootstrapVoters: number;
  /** The bootstrap list's server lines, in the zookeeper ConfigMap under `bootstrapKey`. */
  readonly bootstrapServers: readonly (readonly [string, string])[];
  readonly bootstrapKey: string;
  /** Where the members see the bootstrap list. */
  readonly bootstrapPath: string;
  /** The Role (and RoleBinding) that lets the members' ServiceAccount read their StatefulSet. */
  readonly role: string;
  /** `<peer service>.<namespace>.svc.<cluster domain>`: a member's host is `<pod name>.<peerDomain>`. */
  readonly peerDomain: string;
  /** The client Service's DNS name, which a joining member asks for the current membership. */
  readonly clientServiceFqdn: string;
  /** What the preStop hook (leaving the ensemble) may take, before the grace period's stop budget. */
  readonly leaveSeconds: number;
}

/**
 * The scheduled backup and the restore Job: a logical dump over the client protocol, written by
 * lib/scripts/ZooKeeperBackup.java, which the server image's JVM runs from a ConfigMap.
 */
export interface BackupModel {
  /** The CronJob's schedule. */
  readonly schedule: string;
  /** Complete backups kept. */
  readonly retention: number;
  /** The existing claim the backups live on, when they are not in a bucket. */
  readonly claimName?: string;
  /** The bucket the backups live in, when they are not on a claim. */
  readonly s3?: BackupS3Model;
  /** The Secret whose key `digest` holds the digest user the tool authenticates as. */
  readonly digestSecret?: string;
  /** activeDeadlineSeconds of the backup and restore Jobs. */
  readonly timeoutSeconds: number;
  /** Age of the last successful backup that raises ZooKeeperBackupTooOld. */
  readonly maxAgeHours: number;
  /** The backup the restore Job restores (`latest` or a name), or undefined for no restore Job. */
  readonly restore?: string;
  /** `host:port` of the client Service. */
  readonly connect: string;
  /** Walks tried for one that saw no transaction. */
  readonly attempts: number;
  /** The backup and restore pods' labels; no Service or member selector matches them. */
  readonly labels: Readonly<Record<string, string>>;
  readonly names: {
    readonly cronJob: string;
    readonly restoreJob: string;
    /** Holds the tool's source. */
    readonly configMap: string;
    /** Isolates the backup and restore pods. */
    readonly networkPolicy: string;
    readonly container: string;
  };
  readonly paths: {
    readonly toolDir: string;
    readonly tool: string;
    /** Where the claim is mounted. */
    readonly backupDir: string;
    /** The digest Secret's volume. */
    readonly digestDir: string;
    /** The S3 CA ConfigMap's volume. */
    readonly s3CaDir: string;
    readonly tmpDir: string;
  };
  readonly resources: { readonly cpuRequestMillicores: number; readonly memoryMiB: number; readonly heapPercent: number };
}

/** An S3-compatible bucket as the backup's target (lib/scripts/S3Bucket.java talks to it). */
export interface BackupS3Model {
  /** `scheme://host[:port]`, as the user wrote it, normalized. */
  readonly endpoint: string;
  readonly host: string;
  /** The endpoint's port: the URL's, or 443/80 by its scheme. */
  readonly port: number;
  readonly bucket: string;
  /** Empty or ending with '/'. */
  readonly prefix: string;
  readonly region: string;
  readonly pathStyle: boolean;
  /** The user's Secret with the access key id and secret access key. */
  readonly credentialsSecret: string;
  readonly secretKeys: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** The user's ConfigMap with the endpoint's CA (key ca.crt), and where the pod sees the file. */
  readonly caConfigMap?: string;
  readonly caFile?: string;
  /** The address block the backup pods may reach the endpoint at; undefined for any. */
  readonly cidr?: string;
}

/**
 * The resolved ensemble: every name, label, port, path and derived number, computed once from the
 * settings. Constructs and renderers only read it.
 */
export interface EnsembleModel {
  readonly name: string;
  readonly mode: DeploymentMode;
  readonly namespace: string;
  readonly clusterDomain: string;
  readonly image: ImageProfileProps;
  /**
   * The uid and gid the pod runs as (runAsUser, runAsGroup; the gid is also the fsGroup): the image
   * profile's. Undefined when the platform assigns them (platformAssignedUser).
   */
  readonly podUser?: { readonly userId: number; readonly groupId: number };
  readonly imagePullSecrets: readonly string[];

  readonly names: {
    /** The voters' StatefulSet (the observers' is in memberGroups). */
    readonly statefulSet: string;
    readonly peerService: string;
    readonly clientService: string;
    readonly serviceAccount: string;
    /** The voters' PodDisruptionBudget (the observers' is in memberGroups). */
    readonly disruptionBudget: string;
    /** Headless Service over the members' metrics port, for ServiceMonitors and other scrapers. */
    readonly metricsService: string;
    /** The ServiceMonitor or PodMonitor. */
    readonly monitor: string;
    readonly prometheusRule: string;
    readonly dashboard: string;
    readonly networkPolicy: string;
    readonly containers: { readonly main: string; readonly init: string };
    /** volumeClaimTemplates; a member's claim is `<template>-<pod name>`. */
    readonly claimTemplates: { readonly data: string; readonly txnLog?: string };
    readonly configMaps: {
      readonly zookeeper: string;
      readonly supervisord: string;
      readonly scripts: string;
      readonly logging: string;
    };
    /**
     * The ConfigMap a user creates by hand (never the chart) to rebuild the ensemble from one
     * surviving member; its key `survivor` reaches the members as ZK_RECOVER_FROM (docs/recovery.md).
     */
    readonly recoveryConfigMap: string;
  };

  readonly labels: {
    /** Selects this ensemble's voting members: their StatefulSet, PDB, anti-affinity and spread. */
    readonly selector: Readonly<Record<string, string>>;
    /**
     * Selects every member pod, voters and observers: the client, peer and metrics Services and
     * the PodMonitor. Without observers it is the voters' selector, so those Services stay as
     * they were before observers existed.
     */
    readonly anyMember: Readonly<Record<string, string>>;
    /**
     * On every object and the voters' pods: the selector labels, the recommended labels and the
     * user's (the observers' objects carry their group's labels instead).
     */
    readonly common: Readonly<Record<string, string>>;
    /** Added to the metrics Service only, so a ServiceMonitor selects it and no other Service. */
    readonly metricsService: Readonly<Record<string, string>>;
  };
  readonly annotations: Readonly<Record<string, string>>;
  readonly podAnnotations: Readonly<Record<string, string>>;

  /** Voting members. */
  readonly replicas: number;
  /** Voters that must be up for the ensemble to serve: floor(replicas / 2) + 1. */
  readonly quorumSize: number;
  /** The voters. */
  readonly members: readonly Member[];
  /** The observers (none unless mode is cluster and observers is set). */
  readonly observers: readonly Member[];
  /** The voters' group, then the observers' when there are observers. */
  readonly memberGroups: readonly MemberGroup[];

  readonly ports: {
    readonly client: NamedPort;
    readonly quorum: NamedPort;
    readonly election: NamedPort;
    readonly metrics: NamedPort;
    /** Bound to loopback only: never declared on the container or a Service. */
    readonly admin: NamedPort;
    /** TLS client connections, when client TLS is on. */
    readonly secureClient?: NamedPort;
  };
  /**
   * The client ports other pods reach, declared on the container and the Services: the plaintext
   * port unless clients are TLS-only (then it is bound to 127.0.0.1 for the probes and the
   * exporter), and the TLS port when client TLS is on.
   */
  readonly clientPorts: readonly NamedPort[];
  /**
   * The quorum and election ports, which members serve each other; none for a single server,
   * which runs standalone and binds neither.
   */
  readonly memberPorts: readonly NamedPort[];
  /** TLS, or undefined when neither quorum nor client TLS is on. */
  readonly tls?: TlsModel;
  /** SASL, or undefined when neither client nor quorum SASL is on. */
  readonly sasl?: SaslModel;

  /** The voters' zoo.cfg as ordered key/value pairs (managed entries first, then additionalConfig). */
  readonly zooCfg: readonly (readonly [string, string])[];
  /** Four-letter-word commands the server answers: exactly what the probes use. */
  readonly fourLetterWords: readonly string[];
  readonly logLevel: LogLevel;

  readonly jvm: {
    readonly heapMiB: number;
    /** Memory the JVM needs besides the heap; heap + reserve must fit the memory limit. */
    readonly nonHeapReserveMiB: number;
    /** Options other than the heap size, one per entry. */
    readonly options: readonly string[];
    /**
     * How long the JVM caches host name lookups, in seconds, for names that resolved and for
     * names that did not. Rendered as security properties (paths.jvmSecurity): the JDK's own
     * java.security sets the second to 10 s, and it overrides the equivalent system properties.
     */
    readonly dnsCacheSeconds: { readonly resolved: number; readonly unresolved: number };
  };

  readonly leaderElection: {
    /**
     * The longest wait between the election rounds of a member that finds no leader, rendered as
     * the JVM property zookeeper.fastleader.maxNotificationInterval: it bounds how long a member
     * takes to notice that its peers are reachable again.
     */
    readonly maxNotificationIntervalMs: number;
  };

  readonly resources: {
    readonly cpuRequestMillicores: number;
    readonly cpuLimitMillicores?: number;
    readonly memoryRequestMiB: number;
    readonly memoryLimitMiB: number;
  };

  readonly storage: {
    readonly dataGiB: number;
    readonly txnLogGiB?: number;
    readonly storageClassName?: string;
  };

  /** Where things live inside the container. */
  readonly paths: {
    readonly configDir: string;
    /** The voters' zoo.cfg (each group's is in memberGroups). */
    readonly zooCfg: string;
    readonly jvmOptions: string;
    /** Security properties the JVM reads on top of the JDK's java.security. */
    readonly jvmSecurity: string;
    readonly loggingDir: string;
    readonly loggingConfig: string;
    readonly supervisordDir: string;
    readonly supervisordConf: string;
    readonly scriptsDir: string;
    readonly dataMount: string;
    readonly dataDir: string;
    readonly txnLogMount: string;
    /** The transaction log directory: on its own volume, or beside the snapshots. */
    readonly txnLogDir: string;
    readonly supervisorRunDir: string;
    readonly tmpDir: string;
  };

  readonly supervisor: {
    readonly stopWaitSecs: number;
    readonly startSecs: number;
    readonly startRetries: number;
  };
  /** Longer than supervisord's stop timeout, so the kubelet never kills ZooKeeper mid-shutdown. */
  readonly terminationGracePeriodSeconds: number;

  readonly probes: {
    readonly startup: ProbeTiming;
    readonly liveness: ProbeTiming;
    readonly readiness: ProbeTiming;
  };

  readonly scheduling: {
    readonly antiAffinity: AntiAffinity;
    readonly zoneSpread: ZoneSpread;
    readonly nodeSelector: Readonly<Record<string, string>>;
    readonly tolerations: readonly k8s.Toleration[];
    readonly priorityClassName?: string;
  };

  readonly podDisruptionBudget: boolean;

  readonly monitoring: {
    readonly exporter: MetricsExporter;
    readonly monitor: PrometheusMonitor;
    readonly metricsPath: string;
    readonly scrapeIntervalSeconds: number;
    readonly scrapeTimeoutSeconds: number;
    /**
     * The target label the monitor sets from `app.kubernetes.io/instance`. Alerts and the dashboard
     * select one ensemble by it and `namespace`.
     */
    readonly ensembleLabel: string;
    /** The pod label the ensemble label is copied from. */
    readonly ensembleLabelSource: string;
    /** Labels of the monitor and the PrometheusRule: the common labels plus monitoringLabels. */
    readonly objectLabels: Readonly<Record<string, string>>;
  };

  /** The PrometheusRule, or undefined when alertRules is off. */
  readonly alerts?: {
    readonly evaluationIntervalSeconds?: number;
    readonly thresholds: Required<AlertThresholds>;
    /**
     * How long the members may report another number of voters than their StatefulSet's replicas
     * before it is an alert: the longest roll of every voter, which carries a change of replicas
     * to the running members.
     */
    readonly membershipSettleSeconds: number;
  };

  /**
   * The NetworkPolicy over every member (labels.anyMember), or undefined when networkPolicy is
   * off. Its ports are the model's ports, the same the containers declare and the Services expose.
   */
  readonly networkPolicy?: {
    /** Traffic into the members. */
    readonly ingress: readonly TrafficRule[];
    /** Traffic out of the members. */
    readonly egress: readonly TrafficRule[];
  };

  /** The post-deploy check, or undefined when postDeployCheck is off. */
  readonly postDeployCheck?: PostDeployCheckModel;
  /** The leader-last roll, or undefined when the StatefulSet rolls its pods itself. */
  readonly roll?: RollModel;
  /** Dynamic membership, or undefined with membership 'static' (the server list is in zoo.cfg). */
  readonly membership?: DynamicMembershipModel;

  /** The scheduled backup and the restore Job, or undefined when backup is off. */
  readonly backup?: BackupModel;

  /** The Grafana dashboard ConfigMap, or undefined when grafanaDashboard is off. */
  readonly dashboard?: {
    /** Labels the Grafana sidecar selects on, added to the common labels. */
    readonly labels: Readonly<Record<string, string>>;
  };
}
