import { EnsembleModel } from '../model/ensemble-model';
import { PrometheusMonitor } from '../monitoring-settings';
import { RuleGroup, Severity } from './alert-rules-types';
import { backupAlertRules } from './backup-alert-rules';
import { memberPodPattern } from './member-pods';
import { membershipAlertRules } from './membership-alert-rules';

type Rule = RuleGroup['rules'][number];

/** Window of the averages (latency, fsync): long enough to hold several scrapes. */
const RATE_WINDOW = '5m';
/** Window the counted events (elections, restarts) are counted in. */
const COUNT_WINDOW = '15m';
const COUNT_WINDOW_SECONDS = 15 * 60;
/**
 * How long a member may be unreachable or not serving before it is reported. A rolling restart
 * takes one member away for about a minute (stop, reschedule, JVM start, rejoin); a volume that has
 * to be re-attached on another node can take a few more. Five minutes stays silent for both.
 */
const MEMBER_OUTAGE = '5m';
/** Twice MEMBER_OUTAGE: members that vanished from the targets altogether (Pending, deleted). */
const MEMBERS_MISSING = '10m';
/**
 * An election takes seconds, but the new leader's `leader_uptime` only shows up at its next
 * scrape and the old leader's series disappear at once: a normal election leaves a gap of up to a
 * scrape interval plus an evaluation interval. Two minutes is past that gap.
 */
const LEADERSHIP_GAP = '2m';
/** Longer than one member's restart plus its resync, so a rolling restart stays silent. */
const QUORUM_AT_RISK = '10m';

/**
 * The ensemble's alerting rules for Prometheus, as one rule group. Every expression is scoped to
 * this ensemble: its own metrics by `namespace` and the ensemble label the monitor sets, kubelet and
 * kube-state-metrics series by namespace and the names of its pods and claims.
 */
export function renderAlertRules(model: EnsembleModel): RuleGroup[] {
  if (model.alerts === undefined) return [];
  const { thresholds: t, evaluationIntervalSeconds } = model.alerts;
  const { namespace: ns, name, replicas, quorumSize, observers } = model;
  const kubectl = `kubectl -n ${ns}`;
  const podLabels = Object.entries(model.labels.anyMember).map(([k, v]) => `${k}=${v}`).join(',');
  const statefulSets = model.memberGroups.map((g) => g.statefulSet).join(' ');
  const ensemble = `${ns}/${name}`;
  // Every member is scraped, observers included; only voters count towards the quorum.
  const members = replicas + observers.length;
  const roles = observers.length === 0 ? '' : ` (${replicas} voters and ${observers.length} observer${observers.length === 1 ? '' : 's'})`;
  const voter = observers.length === 0 ? 'member' : 'voting member';

  const ours = (metric: string, ...extra: string[]) =>
    `${metric}{${[`namespace="${ns}"`, `${model.monitoring.ensembleLabel}="${name}"`, ...extra].join(', ')}}`;
  const pods = (metric: string, ...extra: string[]) =>
    `${metric}{${[`namespace="${ns}"`, `pod=~"${memberPodPattern(model)}"`, ...extra].join(', ')}}`;
  const { data, txnLog } = model.names.claimTemplates;
  const claims = (metric: string) =>
    `${metric}{namespace="${ns}", persistentvolumeclaim=~"(${[data, txnLog].filter(Boolean).join('|')})-${memberPodPattern(model)}"}`;
  const ratio = (percent: number) => `${percent / 100}`;

  // A standalone server down is the whole service down; in an ensemble the quorum alerts say when
  // a member's absence starts to matter.
  const memberSeverity: Severity = replicas === 1 ? 'critical' : 'warning';
  const tolerance = replicas === 1
    ? 'A standalone server down is ZooKeeper down.'
    : `The ensemble keeps serving with up to ${replicas - quorumSize} of ${replicas} ${voter}s down.`
      + (observers.length === 0 ? '' : ' Observers do not count towards the quorum.');
  const scrapedBy = model.monitoring.monitor === PrometheusMonitor.NONE
    ? 'the scrape configuration of Prometheus'
    : `the ${model.monitoring.monitor} ${model.names.monitor}`;
  const logs = `${kubectl} logs {{ $labels.pod }} -c ${model.names.containers.main}`;

  const rule = (alert: string, severity: Severity, expr: string, forDuration: string | undefined,
    summary: string, description: string, runbook: string): Rule => ({
    alert,
    expr,
    ...(forDuration === undefined ? {} : { for: forDuration }),
    // Aggregated expressions lose namespace and ensemble; set them on every alert so all of this
    // ensemble's alerts group and route alike.
    labels: { severity, namespace: ns, [model.monitoring.ensembleLabel]: name },
    annotations: { summary, description, runbook },
  });

  const availability: Rule[] = [
    rule('ZooKeeperMemberDown', memberSeverity, `${ours('up')} == 0`, MEMBER_OUTAGE,
      'ZooKeeper member {{ $labels.pod }} is down',
      `{{ $labels.pod }} of ensemble ${ensemble} has failed every scrape for ${MEMBER_OUTAGE}. ${tolerance}`,
      `${kubectl} describe pod {{ $labels.pod }} (events; Last State holds the watchdog's reason when ZooKeeper could not start), `
      + `then ${logs} --previous`),
    rule('ZooKeeperMembersMissing', memberSeverity, `(count(${ours('up')} == 1) or vector(0)) < ${members}`, MEMBERS_MISSING,
      `ZooKeeper ensemble ${ensemble} has fewer than ${members} members up`,
      `Only {{ $value }} of ${members} members of ${ensemble}${roles} have been scraped successfully for ${MEMBERS_MISSING}: `
      + 'pods are missing, Pending, failing, or no longer scraped.',
      `${kubectl} get statefulset ${statefulSets} and ${kubectl} get pods -l ${podLabels} -o wide; `
      + `a Pending pod's events say why it cannot be scheduled (${kubectl} describe pod <pod>); `
      + `if all pods run, check ${scrapedBy} and the Prometheus targets page`),
    rule('ZooKeeperMemberNotServing', memberSeverity, `${ours('up')} == 1 unless on(namespace, pod) ${ours('znode_count')}`, MEMBER_OUTAGE,
      'ZooKeeper member {{ $labels.pod }} is running but not serving',
      `{{ $labels.pod }} of ${ensemble} has answered scrapes for ${MEMBER_OUTAGE} without serving clients: `
      + 'it is not in a quorum (looking for or syncing with a leader) or is still loading its database.',
      `${logs} --tail=300: look for LOOKING, "Cannot open channel" or UnknownHostException (peers unreachable on ports `
      + `${model.ports.quorum.port}/${model.ports.election.port} via ${model.names.peerService}), or a snapshot still loading`),
  ];

  const leadership: Rule[] = replicas === 1 ? [] : [
    rule('ZooKeeperNoLeader', 'critical', `absent(${ours('leader_uptime')}) and on() (count(${ours('up')} == 1) > 0)`, LEADERSHIP_GAP,
      `ZooKeeper ensemble ${ensemble} has no leader`,
      `No member of ${ensemble} has been leading for ${LEADERSHIP_GAP} while members are up: the ensemble serves `
      + `neither reads nor writes. ${quorumSize} of ${replicas} ${voter}s must reach each other to elect a leader.`,
      `${kubectl} get pods -l ${podLabels} -o wide; ${kubectl} logs <pod> -c ${model.names.containers.main} for each member: `
      + `LOOKING with connection errors to ports ${model.ports.quorum.port}/${model.ports.election.port} point at DNS `
      + `(${kubectl} get endpoints ${model.names.peerService}) or network policies`),
    rule('ZooKeeperMultipleLeaders', 'critical', `count(${ours('leader_uptime')}) > 1`, LEADERSHIP_GAP,
      `ZooKeeper ensemble ${ensemble} has more than one leader`,
      `{{ $value }} members of ${ensemble} have reported themselves leader for ${LEADERSHIP_GAP}: two quorums exist `
      + '(split brain, e.g. members still running an old server list after replicas changed), '
      + `or another ensemble's metrics carry ${model.monitoring.ensembleLabel}="${name}" in namespace ${ns}.`,
      `Find the leaders: ${ours('leader_uptime')} in Prometheus; compare the server.N lines each member runs `
      + `(${kubectl} exec <pod> -c ${model.names.containers.main} -- cat ${model.paths.zooCfg}) with ConfigMap `
      + `${model.names.configMaps.zookeeper}; members that disagree with it must be restarted`),
    rule('ZooKeeperQuorumAtRisk', 'critical', `${ours('synced_followers')} < ${quorumSize}`, QUORUM_AT_RISK,
      `ZooKeeper ensemble ${ensemble} is one failure away from losing its quorum`,
      `Leader {{ $labels.pod }} has had only {{ $value }} of ${replicas - 1} followers in sync for ${QUORUM_AT_RISK}: `
      + `with itself that is no more than the quorum of ${quorumSize}, so losing one more ${voter} stops the ensemble.`,
      `${kubectl} get pods -l ${podLabels} -o wide and the ZooKeeperMemberDown / ZooKeeperMemberNotServing alerts name `
      + 'the missing members; avoid draining nodes or restarting members until this clears'),
    // Every member records an election when it starts following or leading, so the busiest member
    // counts each election once; a restarted member also counts its own rejoin.
    rule('ZooKeeperLeaderElections', 'info', `max(increase(${ours('election_time_count')}[${COUNT_WINDOW}])) >= ${t.elections}`, undefined,
      `ZooKeeper ensemble ${ensemble} went through leader elections`,
      `Members of ${ensemble} took part in about {{ $value | printf "%.0f" }} leader election(s) in the last ${COUNT_WINDOW}. `
      + 'Expected during a rolling restart; otherwise a leader failed or lost its followers.',
      `If nothing was being restarted: ${kubectl} get pods -l ${podLabels} (restarts, ages); `
      + `${kubectl} logs <pod> -c ${model.names.containers.main} | grep -E "LEADING|FOLLOWING|LOOKING"; `
      + 'look for CPU throttling, long GC pauses, node or network trouble'),
  ];

  const slowTxnLogClaim = `${txnLog ?? data}-{{ $labels.pod }}`;
  const performance: Rule[] = [
    rule('ZooKeeperOutstandingRequestsHigh', 'warning', `${ours('outstanding_requests')} > ${t.outstandingRequests}`, '5m',
      'ZooKeeper member {{ $labels.pod }} is falling behind its clients',
      `{{ $labels.pod }} has had {{ $value }} requests queued for 5m (threshold ${t.outstandingRequests}): `
      + 'it processes requests more slowly than its clients send them.',
      `Check ZooKeeperFsyncSlow, CPU (${kubectl} top pod {{ $labels.pod }}), the heap (ZooKeeperJvmHeapNearLimit) `
      + 'and which clients are busiest (num_alive_connections per member)'),
    rule('ZooKeeperRequestLatencyHigh', 'warning',
      `(rate(${ours('readlatency_sum')}[${RATE_WINDOW}]) + rate(${ours('updatelatency_sum')}[${RATE_WINDOW}]))`
      + ` / (rate(${ours('readlatency_count')}[${RATE_WINDOW}]) + rate(${ours('updatelatency_count')}[${RATE_WINDOW}]))`
      + ` > ${t.requestLatencyMs}`, '5m',
      'ZooKeeper member {{ $labels.pod }} answers slowly',
      `Requests to {{ $labels.pod }} took {{ $value | printf "%.0f" }} ms on average (reads and writes over ${RATE_WINDOW}; `
      + `threshold ${t.requestLatencyMs} ms).`,
      `Usually the disk (ZooKeeperFsyncSlow), CPU starvation (${kubectl} top pod {{ $labels.pod }}) or a full heap `
      + '(ZooKeeperJvmHeapNearLimit); large znodes and long child lists slow reads'),
    rule('ZooKeeperFsyncSlow', 'warning',
      `rate(${ours('fsynctime_sum')}[${RATE_WINDOW}]) / rate(${ours('fsynctime_count')}[${RATE_WINDOW}]) > ${t.fsyncLatencyMs}`, '5m',
      'ZooKeeper member {{ $labels.pod }} writes its transaction log slowly',
      `Transaction-log fsyncs on {{ $labels.pod }} took {{ $value | printf "%.0f" }} ms on average over ${RATE_WINDOW} `
      + `(threshold ${t.fsyncLatencyMs} ms); every write waits for them.`,
      `${kubectl} describe pvc ${slowTxnLogClaim} (StorageClass, IOPS limits, noisy neighbours on the node); `
      + 'a dedicated transaction-log volume on fast storage (txnLogStorageGiB) helps'),
  ];

  const resources: Rule[] = [
    rule('ZooKeeperFileDescriptorsNearLimit', 'warning',
      `${ours('open_file_descriptor_count')} / ${ours('max_file_descriptor_count')} > ${ratio(t.fileDescriptorsPercent)}`, '5m',
      'ZooKeeper member {{ $labels.pod }} is running out of file descriptors',
      '{{ $labels.pod }} uses {{ $value | humanizePercentage }} of its file descriptor limit; at the limit it refuses '
      + 'connections and cannot open log files.',
      'Compare num_alive_connections of {{ $labels.pod }} with the other members: a client leaking connections is the '
      + 'usual cause (maxClientCnxns caps connections per client IP); the limit itself is the container runtime\'s nofile'),
    rule('ZooKeeperJvmHeapNearLimit', 'warning',
      `${ours('jvm_memory_bytes_used', 'area="heap"')} / ${ours('jvm_memory_bytes_max', 'area="heap"')} > ${ratio(t.jvmHeapPercent)}`, '10m',
      'ZooKeeper member {{ $labels.pod }} is running out of heap',
      '{{ $labels.pod }} has used {{ $value | humanizePercentage }} of its maximum heap for 10m; when the heap runs out '
      + 'the JVM exits (ExitOnOutOfMemoryError).',
      `Check the data and watch counts (znode_count, approximate_data_size, watch_count); raise memoryLimitMiB or `
      + `heapPercent/heapMiB (the heap is now ${model.jvm.heapMiB} MiB)`),
    rule('ZooKeeperVolumeNearlyFull', 'warning',
      `${claims('kubelet_volume_stats_used_bytes')} / ${claims('kubelet_volume_stats_capacity_bytes')} > ${ratio(t.volumeUsedPercent)}`, '5m',
      'ZooKeeper volume {{ $labels.persistentvolumeclaim }} is nearly full',
      // Observed on 3.8.4 (e2e 28, docs/recovery-full-disk.md): the server does not exit, it stops
      // serving at the first failed write and serves again by itself once there is room.
      'Volume {{ $labels.persistentvolumeclaim }} is {{ $value | humanizePercentage }} full; when a write to it fails for '
      + 'lack of space the member stops serving until space is freed.',
      `${kubectl} describe pvc {{ $labels.persistentvolumeclaim }}; check that autopurge runs (autopurgePurgeInterval > 0, `
      + 'autopurgeSnapRetainCount), remove set-aside folders a recovery left on it, and grow the claim '
      + 'if its StorageClass allows expansion (dataStorageGiB, txnLogStorageGiB)'),
  ];

  const containerRestarts = pods('kube_pod_container_status_restarts_total', `container="${model.names.containers.main}"`);
  const restarts: Rule[] = [
    rule('ZooKeeperContainerRestarts', 'warning', `increase(${containerRestarts}[${COUNT_WINDOW}]) >= ${t.restarts}`,
      undefined,
      'ZooKeeper container of {{ $labels.pod }} restarted',
      `The ${model.names.containers.main} container of {{ $labels.pod }} restarted {{ $value | printf "%.0f" }} time(s) in the last ${COUNT_WINDOW}.`,
      `${kubectl} describe pod {{ $labels.pod }}: Last State gives the reason (OOMKilled: heap plus non-heap exceed the `
      + `memory limit; a watchdog message: ZooKeeper could not be started); then ${logs} --previous`),
    // A recreated pod or a restarted container starts a new JVM too, and the series may keep their
    // labels (same pod name, possibly the same address). Only a start time that changes in a pod
    // older than the window, whose container did not restart, is a restart by supervisord. The old
    // pod's last sample predates the new pod, so it has left the window when the exclusion ends.
    rule('ZooKeeperProcessRestarts', 'warning',
      `changes(${ours('process_start_time_seconds')}[${COUNT_WINDOW}]) >= ${t.restarts}`
      + ` unless on(namespace, pod) (time() - ${pods('kube_pod_created')} < ${COUNT_WINDOW_SECONDS})`
      + ` unless on(namespace, pod) (increase(${containerRestarts}[${COUNT_WINDOW}]) > 0)`,
      undefined,
      'ZooKeeper restarted inside the container of {{ $labels.pod }}',
      `supervisord restarted ZooKeeper in {{ $labels.pod }} {{ $value }} time(s) in the last ${COUNT_WINDOW} `
      + '(the JVM start time changed while the pod and its container stayed).',
      `${logs} | grep -E "exited: |spawned: ": supervisord logs every exit with its status, `
      + 'and the lines before it hold ZooKeeper\'s reason'),
  ];

  return [{
    name: `zookeeper-${ns}-${name}`,
    ...(evaluationIntervalSeconds === undefined ? {} : { interval: `${evaluationIntervalSeconds}s` }),
    rules: [...availability, ...leadership, ...performance, ...resources, ...restarts, ...membershipAlertRules(model, rule), ...backupAlertRules(model, rule)],
  }];
}
