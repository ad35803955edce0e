import { EnsembleModel } from '../model/ensemble-model';
import { memberPodPattern } from './member-pods';

/**
 * Every metric the dashboard reads. ZooKeeper's names are those of its 3.8 Prometheus provider,
 * which the mntr exporter of images without the provider serves as well; the JVM names are
 * simpleclient_hotspot's; `up` is Prometheus' own; the volume figures come from the kubelet.
 */
export const DASHBOARD_METRICS = [
  'up',
  'leader_uptime', 'quorum_size', 'synced_followers', 'learners', 'pending_syncs',
  'readlatency_count', 'readlatency_sum', 'updatelatency_count', 'updatelatency_sum',
  'outstanding_requests', 'avg_latency', 'max_latency',
  'num_alive_connections', 'connection_rejected', 'connection_drop_count',
  'znode_count', 'watch_count', 'ephemerals_count', 'approximate_data_size',
  'fsynctime_count', 'fsynctime_sum', 'snapshottime_count', 'snapshottime_sum',
  'election_time_count', 'election_time_sum', 'looking_count',
  'jvm_memory_bytes_used', 'jvm_memory_bytes_committed', 'jvm_memory_bytes_max',
  'jvm_gc_collection_seconds_count', 'jvm_gc_collection_seconds_sum',
  'open_file_descriptor_count', 'max_file_descriptor_count',
  'kubelet_volume_stats_used_bytes', 'kubelet_volume_stats_capacity_bytes',
] as const;
export type DashboardMetric = (typeof DASHBOARD_METRICS)[number];

/** Summaries the dashboard averages (`_sum` over `_count`); ZooKeeper's are in milliseconds. */
type Summary = 'readlatency' | 'updatelatency' | 'fsynctime' | 'snapshottime' | 'election_time';

export interface QuerySpec {
  readonly expr: string;
  /** Grafana legend template, e.g. `{{pod}}`. */
  readonly legend: string;
}

export interface PanelSpec {
  readonly title: string;
  readonly description: string;
  readonly kind: 'stat' | 'timeseries';
  /** A Grafana unit id. */
  readonly unit: string;
  /** Grid columns out of 24. */
  readonly width: number;
  readonly queries: readonly QuerySpec[];
  /** Stat panels: show which series (pod) the value belongs to. */
  readonly showSeriesName?: boolean;
  /** Colour steps as [from value, colour], ascending; the first one applies from minus infinity. */
  readonly thresholds?: readonly (readonly [number | null, string])[];
  /** Series that only have values now and then (snapshots, elections): draw each point. */
  readonly sparse?: boolean;
}

export interface RowSpec {
  readonly title: string;
  readonly panels: readonly PanelSpec[];
}

/** `$__rate_interval` adapts the window to the scrape interval Grafana knows for the data source. */
const WINDOW = '$__rate_interval';

/** Builds the PromQL of the panels; every series selector carries the dashboard's scope. */
class Queries {
  constructor(private readonly model: EnsembleModel) {}

  /** The whole ensemble picked by $namespace and $ensemble, whatever $pod says. */
  ensemble(metric: DashboardMetric, extra = ''): string {
    return `${metric}{namespace="$namespace", ${this.model.monitoring.ensembleLabel}="$ensemble"${extra}}`;
  }

  /** The members picked by $pod. */
  members(metric: DashboardMetric, extra = ''): string {
    return this.ensemble(metric, `, pod=~"$pod"${extra}`);
  }

  /** The kubelet knows claims, not ensembles: a member's claim is `<template>-<pod name>`. */
  volumes(metric: DashboardMetric): string {
    const { data, txnLog } = this.model.names.claimTemplates;
    const templates = [data, ...(txnLog === undefined ? [] : [txnLog])].join('|');
    return `${metric}{namespace="$namespace", persistentvolumeclaim=~"(${templates})-${memberPodPattern(this.model, '$ensemble')}", persistentvolumeclaim=~".*-($pod)"}`;
  }

  perMember(metric: DashboardMetric, extra = ''): string {
    return `sum by (pod) (${this.members(metric, extra)})`;
  }

  ratePerMember(metric: DashboardMetric, by = 'pod'): string {
    return `sum by (${by}) (rate(${this.members(metric)}[${WINDOW}]))`;
  }

  increasePerMember(metric: DashboardMetric): string {
    return `sum by (pod) (increase(${this.members(metric)}[${WINDOW}]))`;
  }

  /** The mean of the observations made during the window, per member. */
  averagePerMember(summary: Summary): string {
    const sum: DashboardMetric = `${summary}_sum`;
    const count: DashboardMetric = `${summary}_count`;
    return `${this.ratePerMember(sum)} / ${this.ratePerMember(count)}`;
  }
}

const perPod = (expr: string): QuerySpec => ({ expr, legend: '{{pod}}' });
const labelled = (legend: string) => (expr: string): QuerySpec => ({ expr, legend: `{{pod}} ${legend}` });

/** The dashboard's rows, top to bottom. */
export function dashboardRows(model: EnsembleModel): RowSpec[] {
  const q = new Queries(model);
  return [
    {
      title: 'Quorum and roles',
      panels: [
        {
          title: 'Members up', kind: 'stat', unit: 'none', width: 6,
          description: 'Members whose metrics endpoint answers a scrape. It answers before ZooKeeper serves, so compare with "Members serving".',
          queries: [{ expr: `sum(${q.ensemble('up')})`, legend: 'up' }],
        },
        {
          title: 'Members serving', kind: 'stat', unit: 'none', width: 6,
          description: 'Members in a quorum (leader, followers, observers): only they export per-server gauges such as znode_count. Fewer voters than a majority means the ensemble cannot serve.',
          queries: [{ expr: `count(${q.ensemble('znode_count')}) or vector(0)`, legend: 'serving' }],
        },
        ...(model.replicas > 1 ? leadershipPanels(q) : []),
      ],
    },
    {
      title: 'Requests and latency',
      panels: [
        {
          title: 'Requests', kind: 'timeseries', unit: 'reqps', width: 12,
          description: 'Reads and writes each member completed per second.',
          queries: [labelled('reads')(q.ratePerMember('readlatency_count')), labelled('writes')(q.ratePerMember('updatelatency_count'))],
        },
        {
          title: 'Average request latency', kind: 'timeseries', unit: 'ms', width: 12,
          description: 'Mean time from a request\'s arrival to its answer, over the window. Writes include the quorum round trip and the fsync.',
          queries: [labelled('reads')(q.averagePerMember('readlatency')), labelled('writes')(q.averagePerMember('updatelatency'))],
        },
        {
          title: 'Outstanding requests', kind: 'timeseries', unit: 'none', width: 12,
          description: 'Requests queued in a member. A lasting queue means the member cannot keep up; past globalOutstandingLimit it throttles clients.',
          queries: [perPod(q.perMember('outstanding_requests'))],
        },
        {
          title: 'Latency since server start', kind: 'timeseries', unit: 'ms', width: 12,
          description: 'Mean and worst latency since the member started (or since its statistics were reset): slow to move, but catches rare spikes the window average misses.',
          queries: [labelled('avg')(q.perMember('avg_latency')), labelled('max')(q.perMember('max_latency'))],
        },
      ],
    },
    {
      title: 'Connections',
      panels: [
        {
          title: 'Client connections', kind: 'timeseries', unit: 'none', width: 12,
          description: 'Open client connections per member. Clients move to another member when theirs goes away, so a member restart shifts the lines.',
          queries: [perPod(q.perMember('num_alive_connections'))],
        },
        {
          title: 'Rejected and dropped connections', kind: 'timeseries', unit: 'cps', width: 12,
          description: 'Connections refused (for example past maxClientCnxns per client IP) and connections the member closed, per second.',
          queries: [labelled('rejected')(q.ratePerMember('connection_rejected')), labelled('dropped')(q.ratePerMember('connection_drop_count'))],
        },
      ],
    },
    {
      title: 'Data tree',
      panels: [
        {
          title: 'Znodes', kind: 'timeseries', unit: 'none', width: 6,
          description: 'Znodes in each member\'s copy of the tree; members that disagree for long are behind.',
          queries: [perPod(q.perMember('znode_count'))],
        },
        {
          title: 'Watches', kind: 'timeseries', unit: 'none', width: 6,
          description: 'Watches set by the clients connected to each member.',
          queries: [perPod(q.perMember('watch_count'))],
        },
        {
          title: 'Ephemeral znodes', kind: 'timeseries', unit: 'none', width: 6,
          description: 'Znodes that live as long as their session: a drop means sessions expired.',
          queries: [perPod(q.perMember('ephemerals_count'))],
        },
        {
          title: 'Data size', kind: 'timeseries', unit: 'bytes', width: 6,
          description: 'Approximate size of the tree\'s data, which every snapshot writes and the heap holds.',
          queries: [perPod(q.perMember('approximate_data_size'))],
        },
      ],
    },
    {
      title: 'Disk',
      panels: [
        {
          title: 'Average fsync time', kind: 'timeseries', unit: 'ms', width: 8,
          description: 'Time to force the transaction log to disk. Every write waits for it, so a slow disk is slow writes.',
          queries: [perPod(q.averagePerMember('fsynctime'))],
        },
        {
          title: 'Average snapshot time', kind: 'timeseries', unit: 'ms', width: 8, sparse: true,
          description: 'Time to write a snapshot; there are points only where snapshots were taken (every snapCount transactions or so).',
          queries: [perPod(q.averagePerMember('snapshottime'))],
        },
        {
          title: 'Volume usage', kind: 'timeseries', unit: 'percentunit', width: 8,
          description: 'Used share of each member\'s volumes, as the kubelet reports it. Snapshots and logs are purged by autopurge.',
          queries: [{
            expr: `max by (persistentvolumeclaim) (${q.volumes('kubelet_volume_stats_used_bytes')}) / max by (persistentvolumeclaim) (${q.volumes('kubelet_volume_stats_capacity_bytes')})`,
            legend: '{{persistentvolumeclaim}}',
          }],
        },
      ],
    },
    {
      title: 'Elections',
      panels: [
        {
          title: 'Elections in time range', kind: 'stat', unit: 'none', width: 6,
          description: 'Elections the members took part in during the dashboard\'s time range (each member counts its own).',
          queries: [{ expr: `round(sum(increase(${q.ensemble('election_time_count')}[$__range])))`, legend: 'elections' }],
          thresholds: [[null, 'green'], [1, 'orange']],
        },
        {
          title: 'Elections', kind: 'timeseries', unit: 'none', width: 6, sparse: true,
          description: 'Elections each member finished during the window.',
          queries: [perPod(q.increasePerMember('election_time_count'))],
        },
        {
          title: 'Average election time', kind: 'timeseries', unit: 'ms', width: 6, sparse: true,
          description: 'Time from losing a leader to following or leading again; the ensemble serves no one meanwhile.',
          queries: [perPod(q.averagePerMember('election_time'))],
        },
        {
          title: 'Times looking', kind: 'timeseries', unit: 'none', width: 6, sparse: true,
          description: 'Times a member started looking for a leader during the window.',
          queries: [perPod(q.increasePerMember('looking_count'))],
        },
      ],
    },
    {
      title: 'JVM and process',
      panels: [
        {
          title: 'Heap', kind: 'timeseries', unit: 'bytes', width: 12,
          description: 'Heap used, committed and the maximum (-Xmx). The whole data tree lives on the heap.',
          queries: (['used', 'committed', 'max'] as const).map((kind) =>
            labelled(kind)(q.perMember(`jvm_memory_bytes_${kind}`, ', area="heap"'))),
        },
        {
          title: 'Open file descriptors', kind: 'timeseries', unit: 'percentunit', width: 12,
          description: 'Open file descriptors as a share of the limit: every client connection and log file takes one.',
          queries: [perPod(`${q.perMember('open_file_descriptor_count')} / ${q.perMember('max_file_descriptor_count')}`)],
        },
        {
          title: 'Time in garbage collection', kind: 'timeseries', unit: 'percentunit', width: 12,
          description: 'Share of time each collector ran. Long pauses stall heartbeats and expire sessions.',
          queries: [{ expr: q.ratePerMember('jvm_gc_collection_seconds_sum', 'pod, gc'), legend: '{{pod}} {{gc}}' }],
        },
        {
          title: 'Garbage collections', kind: 'timeseries', unit: 'ops', width: 12,
          description: 'Collections per second, by collector.',
          queries: [{ expr: q.ratePerMember('jvm_gc_collection_seconds_count', 'pod, gc'), legend: '{{pod}} {{gc}}' }],
        },
      ],
    },
  ];
}

/** A standalone server has no leader, followers or learners: these panels would only show zeros. */
function leadershipPanels(q: Queries): PanelSpec[] {
  return [
    {
      title: 'Leaders', kind: 'stat', unit: 'none', width: 6,
      description: 'Members that lead right now. 0: no quorum. More than 1: an old leader has not noticed yet that it lost its followers.',
      queries: [{ expr: `count(${q.ensemble('leader_uptime')}) or vector(0)`, legend: 'leaders' }],
      thresholds: [[null, 'red'], [1, 'green'], [2, 'red']],
    },
    {
      title: 'Leader', kind: 'stat', unit: 'ms', width: 6, showSeriesName: true,
      description: 'The leading member and how long it has led; a short time means a recent election.',
      queries: [perPod(q.ensemble('leader_uptime'))],
    },
    {
      title: 'Followers in sync', kind: 'timeseries', unit: 'none', width: 12,
      description: 'Followers synced with the leader, against what a quorum needs besides the leader. quorum_size is the number of voting members.',
      queries: [
        { expr: `sum(${q.ensemble('synced_followers')})`, legend: 'synced followers' },
        { expr: `floor(max(${q.ensemble('quorum_size')}) / 2)`, legend: 'needed for a quorum' },
        { expr: `max(${q.ensemble('quorum_size')}) - 1`, legend: 'all followers' },
      ],
    },
    {
      title: 'Learners and pending syncs', kind: 'timeseries', unit: 'none', width: 12,
      description: 'Learners (followers and observers) connected to the leader, and those still being synced. A sync that stays pending points at a large snapshot or a slow disk or network.',
      queries: [
        { expr: `sum(${q.ensemble('learners')})`, legend: 'learners' },
        { expr: `sum(${q.ensemble('pending_syncs')})`, legend: 'pending syncs' },
      ],
    },
  ];
}
