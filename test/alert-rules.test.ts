import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';
import { DeploymentMode, resolveEnsemble, ZooKeeperEnsembleProps } from '../lib';
import { EnsembleModel } from '../lib/model/ensemble-model';
import { renderAlertRules } from '../lib/render/alert-rules';
import { RuleGroup } from '../lib/render/alert-rules-types';
import { counter, EnsembleSeries, fill, gap, InputSeries, LEADER_GAUGES } from './fixtures/alerts/ensemble-series';
import { Expectations } from './fixtures/alerts/expected-alerts';
import { requirePrometheusTool, runBounded } from './support/tools';

type Rule = RuleGroup['rules'][number];

const promtool = requirePrometheusTool('promtool');
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-alert-rules-'));
// KEEP_ALERT_TEST_FILES=1 keeps the generated rule and promtool test files for reading.
afterAll(() => process.env.KEEP_ALERT_TEST_FILES || fs.rmSync(workDir, { recursive: true, force: true }));

const model = resolveEnsemble({ namespace: 'zk' });
const ALERTS = rulesOf(model).map((r) => r.alert);

function rulesOf(m: EnsembleModel): readonly Rule[] {
  const groups = renderAlertRules(m);
  expect(groups).toHaveLength(1);
  return groups[0].rules;
}

function writeRules(m: EnsembleModel, file: string): string {
  const target = path.join(workDir, file);
  fs.writeFileSync(target, stringify({ groups: renderAlertRules(m) }, { lineWidth: 0 }));
  return target;
}

async function promtoolRun(...args: string[]): Promise<void> {
  const result = await runBounded(promtool, args, { env: process.env, timeoutMs: 20_000 });
  if (result.code !== 0) throw new Error(`promtool ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
}

/** Series of ensemble `m`, healthy for `minutes` minutes until a scenario changes them. */
function ensemble(m: EnsembleModel = model, minutes = 40): EnsembleSeries {
  const { data, txnLog } = m.names.claimTemplates;
  return new EnsembleSeries({
    namespace: m.namespace, name: m.name, ensembleLabel: m.monitoring.ensembleLabel, replicas: m.replicas,
    pods: [...m.members, ...m.observers].map((x) => x.podName),
    claimTemplates: txnLog === undefined ? [data] : [data, txnLog], container: m.names.containers.main,
    statefulSets: Object.fromEntries(m.memberGroups.map((g) => [g.statefulSet, g.members.length])),
  }, minutes);
}

/** The labels member i's own series carry (voters first, then observers). */
function member(i: number, m: EnsembleModel = model): Record<string, string> {
  return { namespace: m.namespace, [m.monitoring.ensembleLabel]: m.name, pod: [...m.members, ...m.observers][i].podName };
}

let scenarios = 0;
/** Runs `promtool test rules` once for one scenario: its series against the expected alerts. */
async function promtoolTest(series: readonly InputSeries[], expectations: Expectations): Promise<void> {
  const id = ++scenarios;
  const rules = path.join(workDir, `rules-${id}.yml`);
  fs.writeFileSync(rules, stringify({ groups: expectations.groups }, { lineWidth: 0 }));
  const testFile = path.join(workDir, `test-${id}.yml`);
  fs.writeFileSync(testFile, stringify(expectations.testFile(rules, series), { lineWidth: 0 }));
  await promtoolRun('test', 'rules', testFile);
}

/** Expectations on the alerts of ensemble `m`. */
const alertsOf = (m: EnsembleModel = model) => new Expectations(renderAlertRules(m));

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => from + k);

/**
 * The StatefulSet deletes member i at minute `at` (the terminating pod fails its last scrape); its
 * replacement (same name, new JVM, counters from zero) answers scrapes a minute later and joins the
 * quorum, counting its own election, the minute after that.
 */
function recreate(zk: EnsembleSeries, i: number, at: number): void {
  zk.vanish(i, at, at + 1).stopServing(i, at, at + 2);
  zk.scraped(i, 'up')[at] = 0;
  fill(zk.scraped(i, 'process_start_time_seconds'), at + 1, at * 60 + 20);
  fill(fill(zk.scraped(i, 'election_time_count'), at + 1, 0), at + 2, 1);
  for (const [metric, perMinute] of [['fsynctime_sum', 2], ['fsynctime_count', 1]] as const) counter(zk.scraped(i, metric), at + 1, perMinute, 0);
  for (const metric of ['readlatency_sum', 'readlatency_count', 'updatelatency_sum', 'updatelatency_count']) {
    const samples = zk.scraped(i, metric);
    counter(samples, at + 1, (samples[1] as number) - (samples[0] as number), 0);
  }
  fill(zk.podSeries(i, 'kube_pod_created'), at, at * 60);
  gap(zk.podSeries(i, 'kube_pod_container_status_restarts_total', { container: 'zookeeper' }), at, at + 1);
}

describe('rendering', () => {
  test('no rule group when alertRules is off', () => {
    expect(renderAlertRules(resolveEnsemble({ namespace: 'zk', alertRules: false }))).toEqual([]);
  });

  test('one group per ensemble, evaluated at the configured interval or Prometheus\' own', () => {
    expect(renderAlertRules(model).map((g) => [g.name, g.interval])).toEqual([['zookeeper-zk-zookeeper', undefined]]);
    const custom = resolveEnsemble({ namespace: 'kafka', name: 'coordination', alertEvaluationIntervalSeconds: 45 });
    expect(renderAlertRules(custom).map((g) => [g.name, g.interval])).toEqual([['zookeeper-kafka-coordination', '45s']]);
  });

  test('a standalone server has no leader, quorum or election alerts, and its outage is critical', () => {
    const rules = rulesOf(resolveEnsemble({ namespace: 'zk', replicas: 1 }));
    expect(rules.map((r) => r.alert)).toEqual(ALERTS.filter((a) => !/Leader|Quorum/.test(a)));
    expect(rules.find((r) => r.alert === 'ZooKeeperMemberDown')?.labels?.severity).toBe('critical');
  });

  test('every expression selects only this ensemble\'s series, from a known set of metrics', () => {
    const metrics = new Set<string>();
    for (const rule of rulesOf(resolveEnsemble({ namespace: 'zk', txnLogStorageGiB: 5 }))) {
      for (const [, metric, matchers] of rule.expr.matchAll(/([a-z_]+)\{([^}]*)\}/g)) {
        metrics.add(metric);
        expect({ metric, matchers }).toEqual({ metric, matchers: expect.stringMatching(/^namespace="zk", /) });
        expect({ metric, matchers }).toEqual({
          metric, matchers: expect.stringMatching(/ensemble="zookeeper"|pod=~"zookeeper-\[0-9\]\+"|persistentvolumeclaim=~"\(data\|txnlog\)-zookeeper-\[0-9\]\+"|statefulset="zookeeper"$/),
        });
      }
      // No metric without a selector: what is left are functions, operators and keywords.
      const rest = rule.expr.replace(/[a-z_]+\{[^}]*\}/g, ' ').replace(/\[\d+m\]/g, '').replace(/\b(on|by) ?\([a-z_, ]*\)/g, ' ');
      for (const [word] of rest.matchAll(/[a-z_]+(?!\w*\s*\()/g)) expect({ rule: rule.alert, word }).toEqual({ rule: rule.alert, word: expect.stringMatching(/^(unless|and|or)$/) });
    }
    expect([...metrics].sort()).toEqual([
      'election_time_count', 'fsynctime_count', 'fsynctime_sum', 'jvm_memory_bytes_max', 'jvm_memory_bytes_used',
      'kube_pod_container_status_restarts_total', 'kube_pod_created', 'kube_statefulset_replicas', 'kubelet_volume_stats_capacity_bytes',
      'kubelet_volume_stats_used_bytes', 'leader_uptime', 'max_file_descriptor_count', 'open_file_descriptor_count',
      'outstanding_requests', 'process_start_time_seconds', 'quorum_size', 'readlatency_count', 'readlatency_sum', 'synced_followers',
      'up', 'updatelatency_count', 'updatelatency_sum', 'znode_count',
    ]);
  });

  test('the quorum alert states the quorum of the ensemble it belongs to', () => {
    const rule = rulesOf(resolveEnsemble({ namespace: 'zk', replicas: 5 })).find((r) => r.alert === 'ZooKeeperQuorumAtRisk')!;
    expect(rule.expr).toBe('synced_followers{namespace="zk", ensemble="zookeeper"} < 3');
    expect(rule.annotations?.description).toContain('{{ $value }} of 4 followers in sync');
    expect(rule.annotations?.description).toContain('no more than the quorum of 3');
  });
});

describe('promtool check rules accepts', () => {
  const variants: Record<string, ZooKeeperEnsembleProps> = {
    'the defaults': {},
    'a standalone server': { replicas: 1 },
    'five members with a transaction-log volume': { replicas: 5, txnLogStorageGiB: 10 },
    'a cluster with observers and a transaction-log volume': { mode: DeploymentMode.CLUSTER, observers: 2, txnLogStorageGiB: 10 },
    'custom thresholds and evaluation interval': {
      alertEvaluationIntervalSeconds: 30,
      alertThresholds: { outstandingRequests: 50, requestLatencyMs: 250, fsyncLatencyMs: 40, fileDescriptorsPercent: 70, jvmHeapPercent: 75, volumeUsedPercent: 60, elections: 3, restarts: 2 },
    },
  };
  test.each(Object.keys(variants))('the rules for %s', async (variant) => {
    await promtoolRun('check', 'rules', writeRules(resolveEnsemble({ namespace: 'zk', ...variants[variant] }), `check-${variant.replace(/\W+/g, '-')}.yml`));
  });
});

describe('each alert fires in the failure it describes, and not before its `for` has passed', () => {
  test('ZooKeeperMemberDown: a member whose metrics endpoint stops answering, after 5 minutes', async () => {
    const zk = ensemble().vanish(1, 10);
    fill(zk.scraped(1, 'up'), 10, 0);
    fill(zk.scraped(0, 'synced_followers'), 10, 1);
    await promtoolTest(zk.toInput(), alertsOf()
      .silent('ZooKeeperMemberDown', 9, 14)
      .firing('ZooKeeperMemberDown', [15, 40], { labels: member(1) }));
  });

  test('ZooKeeperMembersMissing: a member that is no longer scraped at all (ZooKeeperMemberDown cannot see it), after 10 minutes', async () => {
    const zk = ensemble().vanish(2, 10);
    fill(zk.scraped(0, 'synced_followers'), 10, 1);
    await promtoolTest(zk.toInput(), alertsOf()
      .silent('ZooKeeperMembersMissing', 9, 19)
      .firing('ZooKeeperMembersMissing', [20, 40], { value: '2' })
      .silent('ZooKeeperMemberDown', 15, 20, 40));
  });

  test('ZooKeeperMembersMissing: with every target gone the count is zero, and there is no ZooKeeperNoLeader without members', async () => {
    const zk = ensemble();
    for (const i of [0, 1, 2]) zk.vanish(i, 10);
    await promtoolTest(zk.toInput(), alertsOf()
      .silent('ZooKeeperMembersMissing', 19)
      .firing('ZooKeeperMembersMissing', [20, 40], { value: '0' })
      .silent('ZooKeeperNoLeader', 12, 20, 40));
  });

  test('ZooKeeperMemberNotServing: a member that answers scrapes but serves no clients, after 5 minutes', async () => {
    const zk = ensemble().stopServing(1, 10);
    fill(zk.scraped(0, 'synced_followers'), 10, 1);
    await promtoolTest(zk.toInput(), alertsOf()
      .silent('ZooKeeperMemberNotServing', 9, 14)
      .firing('ZooKeeperMemberNotServing', [15, 40], { labels: member(1) }));
  });

  test('ZooKeeperNoLeader: members up but none leading, after 2 minutes', async () => {
    const zk = ensemble();
    for (const i of [0, 1, 2]) zk.stopServing(i, 10);
    await promtoolTest(zk.toInput(), alertsOf()
      .silent('ZooKeeperNoLeader', 9, 11)
      .firing('ZooKeeperNoLeader', [12, 40], {})
      .firing('ZooKeeperMemberNotServing', 15, { labels: member(0) }, { labels: member(1) }, { labels: member(2) }));
  });

  test('ZooKeeperMultipleLeaders: a second member reporting itself leader, after 2 minutes', async () => {
    const zk = ensemble().lead(1, 10, 1);
    await promtoolTest(zk.toInput(), alertsOf()
      .silent('ZooKeeperMultipleLeaders', 9, 11)
      .firing('ZooKeeperMultipleLeaders', [12, 40], { value: '2' }));
  });

  test('ZooKeeperMultipleLeaders and ZooKeeperNoLeader stay silent when a cut-off leader and its successor both report leading in one scrape', async () => {
    // GIVEN a partition: member 2 leads from minute 10, while the cut-off member 0 still reports
    // leading at that scrape (it steps down after syncLimit x tickTime) and no longer at the next
    const zk = ensemble().lead(2, 10, 1);
    for (const gauge of LEADER_GAUGES) gap(zk.scraped(0, gauge), 11, 41);
    // THEN neither leadership alert fires at any time
    await promtoolTest(zk.toInput(), alertsOf()
      .silent('ZooKeeperMultipleLeaders', ...range(0, 40))
      .silent('ZooKeeperNoLeader', ...range(0, 40)));
  });

  test('ZooKeeperQuorumAtRisk: the leader with only a bare quorum in sync, after 10 minutes', async () => {
    const zk = ensemble().vanish(2, 10);
    fill(zk.scraped(0, 'synced_followers'), 10, 1);
    await promtoolTest(zk.toInput(), alertsOf()
      .silent('ZooKeeperQuorumAtRisk', 9, 19)
      .firing('ZooKeeperQuorumAtRisk', [20, 40], { labels: member(0), value: '1' }));
  });

  test('ZooKeeperLeaderElections: the leader is killed, the others elect a new one: only this info alert, at once, for 15 minutes', async () => {
    const zk = ensemble();
    recreate(zk, 0, 10);
    for (const gauge of LEADER_GAUGES) gap(zk.scraped(0, gauge), 10, 41);
    for (const i of [1, 2]) fill(zk.scraped(i, 'election_time_count'), 10, 2);
    zk.lead(2, 11, 1);
    fill(zk.scraped(2, 'synced_followers'), 12, 2);
    await promtoolTest(zk.toInput(), alertsOf()
      .silent('ZooKeeperLeaderElections', 9, 30)
      .firing('ZooKeeperLeaderElections', [10, 24], { value: '1' })
      .othersSilent(['ZooKeeperLeaderElections'], range(0, 40)));
  });

  test('ZooKeeperOutstandingRequestsHigh: a queue above the threshold, after 5 minutes', async () => {
    const zk = ensemble();
    fill(zk.scraped(1, 'outstanding_requests'), 10, 60);
    await promtoolTest(zk.toInput(), alertsOf()
      .silent('ZooKeeperOutstandingRequestsHigh', 9, 14)
      .firing('ZooKeeperOutstandingRequestsHigh', [15, 40], { labels: member(1), value: '60' }));
  });

  test('ZooKeeperRequestLatencyHigh: slow writes among fast reads, averaged together; silent again once the member is idle', async () => {
    const zk = ensemble();
    // From minute 10 member 1's 60 reads a minute take 2 ms and its 60 writes 1998 ms: 1000 ms on
    // average. From minute 20 it has no clients: 0/0 is no latency.
    counter(zk.scraped(1, 'readlatency_sum'), 10, 120);
    counter(zk.scraped(1, 'updatelatency_sum'), 10, 119880);
    for (const summary of ['readlatency', 'updatelatency']) {
      counter(zk.scraped(1, `${summary}_sum`), 20, 0);
      counter(zk.scraped(1, `${summary}_count`), 20, 0);
    }
    await promtoolTest(zk.toInput(), alertsOf()
      .silent('ZooKeeperRequestLatencyHigh', 9, 14, 25, 40)
      .firing('ZooKeeperRequestLatencyHigh', [15, 20], { labels: member(1), value: '1000' }));
  });

  test('ZooKeeperFsyncSlow: slow transaction-log fsyncs, after 5 minutes', async () => {
    const zk = ensemble();
    counter(zk.scraped(1, 'fsynctime_sum'), 10, 1000);
    await promtoolTest(zk.toInput(), alertsOf()
      .silent('ZooKeeperFsyncSlow', 9, 14)
      .firing('ZooKeeperFsyncSlow', [15, 40], { labels: member(1), value: '1000' }));
  });

  test('ZooKeeperFileDescriptorsNearLimit: 90 % of the limit open, after 5 minutes', async () => {
    const zk = ensemble();
    fill(zk.scraped(1, 'open_file_descriptor_count'), 10, 900);
    await promtoolTest(zk.toInput(), alertsOf()
      .silent('ZooKeeperFileDescriptorsNearLimit', 9, 14)
      .firing('ZooKeeperFileDescriptorsNearLimit', [15, 40], { labels: member(1), value: '90%' }));
  });

  test('ZooKeeperJvmHeapNearLimit: 95 % of the heap in use, after 10 minutes', async () => {
    const zk = ensemble();
    fill(zk.scraped(1, 'jvm_memory_bytes_used', { area: 'heap' }), 10, 950);
    await promtoolTest(zk.toInput(), alertsOf()
      .silent('ZooKeeperJvmHeapNearLimit', 9, 19)
      .firing('ZooKeeperJvmHeapNearLimit', [20, 40], { labels: { ...member(1), area: 'heap' }, value: '95%' }));
  });

  test('ZooKeeperVolumeNearlyFull: a data volume 90 % full, after 5 minutes', async () => {
    const zk = ensemble();
    fill(zk.volume('data', 1, 'used'), 10, 900);
    await promtoolTest(zk.toInput(), alertsOf()
      .silent('ZooKeeperVolumeNearlyFull', 9, 14)
      .firing('ZooKeeperVolumeNearlyFull', [15, 40], { labels: { namespace: 'zk', persistentvolumeclaim: 'data-zookeeper-1' }, value: '90%' }));
  });

  test('ZooKeeperContainerRestarts: the kubelet restarts a member\'s container: at once, for 15 minutes, and not as a supervisord restart', async () => {
    const zk = ensemble();
    fill(zk.podSeries(1, 'kube_pod_container_status_restarts_total', { container: 'zookeeper' }), 10, 1);
    fill(zk.scraped(1, 'process_start_time_seconds'), 10, 590);
    await promtoolTest(zk.toInput(), alertsOf()
      .silent('ZooKeeperContainerRestarts', 9, 25)
      .firing('ZooKeeperContainerRestarts', [10, 24], { labels: { namespace: 'zk', pod: 'zookeeper-1', container: 'zookeeper' }, value: '1' })
      .silent('ZooKeeperProcessRestarts', ...range(0, 40)));
  });

  test('ZooKeeperProcessRestarts: supervisord restarts ZooKeeper inside the container: at once, for 15 minutes', async () => {
    const zk = ensemble();
    fill(zk.scraped(1, 'process_start_time_seconds'), 10, 590);
    await promtoolTest(zk.toInput(), alertsOf()
      .silent('ZooKeeperProcessRestarts', 9, 25)
      .firing('ZooKeeperProcessRestarts', [10, 24], { labels: member(1), value: '1' }));
  });

  test('five members with a transaction-log volume: the quorum alert waits for the second member lost, the txnlog volume is watched', async () => {
    const five = resolveEnsemble({ namespace: 'zk', replicas: 5, txnLogStorageGiB: 10 });
    const zk = ensemble(five).vanish(4, 5).vanish(3, 10);
    fill(fill(zk.scraped(0, 'synced_followers'), 5, 3), 10, 2);
    fill(zk.volume('txnlog', 1, 'used'), 10, 900);
    await promtoolTest(zk.toInput(), alertsOf(five)
      .silent('ZooKeeperQuorumAtRisk', 9, 15, 19)
      .firing('ZooKeeperQuorumAtRisk', [20, 40], { labels: member(0, five), value: '2' })
      .firing('ZooKeeperVolumeNearlyFull', 15, { labels: { namespace: 'zk', persistentvolumeclaim: 'txnlog-zookeeper-1' }, value: '90%' }));
  });

  test('a standalone server: silent while healthy, critical when down', async () => {
    const solo = resolveEnsemble({ namespace: 'zk', replicas: 1 });
    const zk = ensemble(solo, 60).vanish(0, 30);
    fill(zk.scraped(0, 'up'), 30, 0);
    await promtoolTest(zk.toInput(), alertsOf(solo)
      .othersSilent([], range(0, 34))
      .firing('ZooKeeperMemberDown', 35, { labels: member(0, solo) }));
  });
});

describe('silence when nothing is wrong with this ensemble', () => {
  test('a healthy ensemble (one member without clients) stays silent for three hours', async () => {
    await promtoolTest(ensemble(model, 180).toInput(), alertsOf().othersSilent([], range(0, 180)));
  });

  test('a rolling restart, one member at a time and the leader last, raises only the info election alert', async () => {
    const zk = ensemble(model, 60);
    // From the highest ordinal down, five minutes apart; while one is away the leader has one follower in sync.
    recreate(zk, 2, 10);
    recreate(zk, 1, 15);
    const synced = zk.scraped(0, 'synced_followers');
    for (const [from, value] of [[10, 1], [12, 2], [15, 1], [17, 2]]) fill(synced, from, value);
    // The leader last: members 1 and 2 elect 2 within seconds, then 0 rejoins as a follower.
    recreate(zk, 0, 20);
    for (const gauge of LEADER_GAUGES) gap(zk.scraped(0, gauge), 20, 61);
    for (const i of [1, 2]) {
      zk.stopServing(i, 20, 21);
      fill(zk.scraped(i, 'election_time_count'), 21, 2);
    }
    zk.lead(2, 21, 1);
    fill(zk.scraped(2, 'synced_followers'), 22, 2);
    await promtoolTest(zk.toInput(), alertsOf()
      .othersSilent(['ZooKeeperLeaderElections'], range(0, 60))
      .silent('ZooKeeperLeaderElections', ...range(0, 11), ...range(37, 60))
      // A member that restarts records its own rejoin as an election: from minute 12 (member 2 back
      // in the quorum) the alert is on; members 1 and 2 count their rejoin plus the leader's
      // election while both are in the window; it ends 15 minutes after member 0 rejoined.
      .firing('ZooKeeperLeaderElections', range(12, 20), { value: '1' })
      .firing('ZooKeeperLeaderElections', range(21, 31), { value: '2' })
      .firing('ZooKeeperLeaderElections', range(32, 36), { value: '1' }));
  });
});

describe('other ensembles', () => {
  /** Everything a member can get wrong with its load and resources, from minute `from`. */
  function overload(zk: EnsembleSeries, i: number, from: number): void {
    fill(zk.scraped(i, 'outstanding_requests'), from, 1000);
    fill(zk.scraped(i, 'open_file_descriptor_count'), from, 990);
    fill(zk.scraped(i, 'jvm_memory_bytes_used', { area: 'heap' }), from, 990);
    for (const template of zk.shape.claimTemplates) fill(zk.volume(template, i, 'used'), from, 990);
    counter(zk.scraped(i, 'fsynctime_sum'), from, 5000);
    counter(zk.scraped(i, 'readlatency_sum'), from, 600000);
    counter(zk.scraped(i, 'election_time_count'), from, 1);
  }

  // Pods `zookeeper-1-N` and claims `data-zookeeper-1-N` in our namespace: the pod and claim
  // patterns must not take them for ours. And our own name in another namespace.
  const neighbourModel = resolveEnsemble({ namespace: 'zk', name: 'zookeeper-1' });
  const namesakeModel = resolveEnsemble({ namespace: 'zk-test' });

  test('another ensemble in trouble, in this namespace or under this name elsewhere, raises none of this ensemble\'s alerts', async () => {
    const neighbour = ensemble(neighbourModel);
    const namesake = ensemble(namesakeModel);
    for (const zk of [neighbour, namesake]) for (const i of [0, 1, 2]) overload(zk, i, 10);
    // Both are scaled to 7 replicas and their members still count 3 voters.
    for (const zk of [neighbour, namesake]) fill(zk.desired(zk.shape.name), 10, 7);
    // The neighbour lost its quorum; one member is down with its container restarting, in the
    // others supervisord keeps restarting ZooKeeper.
    for (const i of [0, 1, 2]) neighbour.stopServing(i, 10);
    neighbour.vanish(1, 10);
    fill(neighbour.scraped(1, 'up'), 10, 0);
    counter(neighbour.podSeries(1, 'kube_pod_container_status_restarts_total', { container: 'zookeeper' }), 10, 1);
    for (const i of [0, 2]) counter(neighbour.scraped(i, 'process_start_time_seconds'), 10, 60);
    // The namesake has two leaders, neither with followers, and containers that keep restarting.
    namesake.lead(1, 10, 0).vanish(2, 10);
    fill(namesake.scraped(0, 'synced_followers'), 10, 0);
    for (const i of [0, 1, 2]) counter(namesake.podSeries(i, 'kube_pod_container_status_restarts_total', { container: 'zookeeper' }), 10, 1);

    await promtoolTest([...ensemble().toInput(), ...neighbour.toInput(), ...namesake.toInput()],
      alertsOf().othersSilent([], range(0, 40)));
  });

  test('this ensemble\'s failures are not hidden by the healthy members and leaders of other ensembles', async () => {
    const zk = ensemble().vanish(2, 10);
    for (const i of [0, 1]) zk.stopServing(i, 10);
    await promtoolTest([...zk.toInput(), ...ensemble(neighbourModel).toInput(), ...ensemble(namesakeModel).toInput()], alertsOf()
      .firing('ZooKeeperNoLeader', 12, {})
      .firing('ZooKeeperMembersMissing', 20, { value: '2' }));
  });
});

describe('thresholds from the settings move the firing point', () => {
  const custom = resolveEnsemble({
    namespace: 'zk',
    alertEvaluationIntervalSeconds: 30,
    alertThresholds: { outstandingRequests: 50, requestLatencyMs: 500, fsyncLatencyMs: 500, fileDescriptorsPercent: 95, jvmHeapPercent: 97, volumeUsedPercent: 95, elections: 2, restarts: 2 },
  });

  /**
   * From minute 10, member 1 sits between the default and the custom thresholds above and member 2
   * beyond the custom ones. Restarts and elections are counted at the minutes given below.
   */
  function ladder(): EnsembleSeries {
    const zk = ensemble();
    const levels = [
      { i: 1, outstanding: 30, latencyMs: 300, fsyncMs: 300, fileDescriptors: 900, heap: 950, volume: 900 },
      { i: 2, outstanding: 60, latencyMs: 700, fsyncMs: 700, fileDescriptors: 970, heap: 980, volume: 970 },
    ];
    for (const { i, outstanding, latencyMs, fsyncMs, fileDescriptors, heap, volume } of levels) {
      fill(zk.scraped(i, 'outstanding_requests'), 10, outstanding);
      counter(zk.scraped(i, 'readlatency_count'), 10, 60);
      counter(zk.scraped(i, 'readlatency_sum'), 10, 60 * latencyMs);
      counter(zk.scraped(i, 'updatelatency_count'), 10, 0);
      counter(zk.scraped(i, 'updatelatency_sum'), 10, 0);
      counter(zk.scraped(i, 'fsynctime_sum'), 10, fsyncMs);
      fill(zk.scraped(i, 'open_file_descriptor_count'), 10, fileDescriptors);
      fill(zk.scraped(i, 'jvm_memory_bytes_used', { area: 'heap' }), 10, heap);
      fill(zk.volume('data', i, 'used'), 10, volume);
    }
    // Containers: member 1 restarts at minute 3, member 2 at 3 and 6 (counted at 10).
    const containerRestarts = (i: number) => zk.podSeries(i, 'kube_pod_container_status_restarts_total', { container: 'zookeeper' });
    fill(containerRestarts(1), 3, 1);
    fill(fill(containerRestarts(2), 3, 1), 6, 2);
    // supervisord: member 1 restarts ZooKeeper at minute 22, member 2 at 18 and 22 (counted at 25).
    fill(zk.scraped(1, 'process_start_time_seconds'), 22, 1320);
    fill(fill(zk.scraped(2, 'process_start_time_seconds'), 18, 1080), 22, 1320);
    // Elections at minutes 22 and 33: one in the window at 30, two at 36.
    for (const i of [0, 1, 2]) fill(fill(zk.scraped(i, 'election_time_count'), 22, 2), 33, 3);
    return zk;
  }

  function beyond(m: EnsembleModel, members: readonly number[]): Expectations {
    const each = (value: (i: number) => string, labels: (i: number) => Record<string, string> = (i) => member(i)) =>
      members.map((i) => ({ labels: labels(i), value: value(i) }));
    const pick = (i: number, one: string, two: string) => (i === 1 ? one : two);
    return alertsOf(m)
      .firing('ZooKeeperOutstandingRequestsHigh', 30, ...each((i) => pick(i, '30', '60')))
      .firing('ZooKeeperRequestLatencyHigh', 30, ...each((i) => pick(i, '300', '700')))
      .firing('ZooKeeperFsyncSlow', 30, ...each((i) => pick(i, '300', '700')))
      .firing('ZooKeeperFileDescriptorsNearLimit', 30, ...each((i) => pick(i, '90%', '97%')))
      .firing('ZooKeeperJvmHeapNearLimit', 30, ...each((i) => pick(i, '95%', '98%'), (i) => ({ ...member(i), area: 'heap' })))
      .firing('ZooKeeperVolumeNearlyFull', 30, ...each((i) => pick(i, '90%', '97%'), (i) => ({ namespace: 'zk', persistentvolumeclaim: `data-zookeeper-${i}` })))
      .firing('ZooKeeperContainerRestarts', 10, ...each((i) => `${i}`, (i) => ({ namespace: 'zk', pod: `zookeeper-${i}`, container: 'zookeeper' })))
      .firing('ZooKeeperProcessRestarts', 25, ...each((i) => `${i}`));
  }

  test('the defaults: both members are beyond every threshold, one election is enough', async () => {
    await promtoolTest(ladder().toInput(), beyond(model, [1, 2])
      .firing('ZooKeeperLeaderElections', 30, { value: '1' })
      .firing('ZooKeeperLeaderElections', 36, { value: '2' }));
  });

  test('custom thresholds: only the member beyond them fires, and it takes two elections', async () => {
    await promtoolTest(ladder().toInput(), beyond(custom, [2])
      .silent('ZooKeeperLeaderElections', 30)
      .firing('ZooKeeperLeaderElections', 36, { value: '2' }));
  });
});

describe('a cluster with observers: every member is counted and watched, only voters make the quorum', () => {
  // Members 0-4 are the voters zookeeper-0..4, members 5 and 6 the observers zookeeper-observer-0 and -1.
  const withObservers = resolveEnsemble({ namespace: 'zk', mode: DeploymentMode.CLUSTER, observers: 2 });

  test('a healthy cluster with observers stays silent', async () => {
    await promtoolTest(ensemble(withObservers, 60).toInput(), alertsOf(withObservers).othersSilent([], range(0, 60)));
  });

  test('ZooKeeperMembersMissing counts observers: two voters gone while both observers run leaves 5 of 7 members', async () => {
    const zk = ensemble(withObservers).vanish(4, 10).vanish(3, 10);
    fill(zk.scraped(0, 'synced_followers'), 10, 2);
    await promtoolTest(zk.toInput(), alertsOf(withObservers)
      .silent('ZooKeeperMembersMissing', 9, 19)
      .firing('ZooKeeperMembersMissing', [20, 40], { value: '5' })
      .firing('ZooKeeperQuorumAtRisk', [20, 40], { labels: member(0, withObservers), value: '2' }));
  });

  test('an observer gone is a member missing, but no risk to the quorum', async () => {
    const zk = ensemble(withObservers).vanish(6, 10);
    await promtoolTest(zk.toInput(), alertsOf(withObservers)
      .silent('ZooKeeperMembersMissing', 9, 19)
      .firing('ZooKeeperMembersMissing', [20, 40], { value: '6' })
      .silent('ZooKeeperQuorumAtRisk', ...range(0, 40)));
  });

  test('an observer\'s volume and container restarts raise the same alerts as a voter\'s', async () => {
    const zk = ensemble(withObservers);
    fill(zk.volume('data', 5, 'used'), 10, 900);
    fill(zk.podSeries(6, 'kube_pod_container_status_restarts_total', { container: 'zookeeper' }), 10, 1);
    fill(zk.scraped(6, 'process_start_time_seconds'), 10, 590);
    await promtoolTest(zk.toInput(), alertsOf(withObservers)
      .silent('ZooKeeperVolumeNearlyFull', 14)
      .firing('ZooKeeperVolumeNearlyFull', 15, { labels: { namespace: 'zk', persistentvolumeclaim: 'data-zookeeper-observer-0' }, value: '90%' })
      .firing('ZooKeeperContainerRestarts', 10, { labels: { namespace: 'zk', pod: 'zookeeper-observer-1', container: 'zookeeper' }, value: '1' })
      .silent('ZooKeeperProcessRestarts', ...range(0, 40)));
  });
});

describe('ZooKeeperMembershipDiffers: members that run another number of voters than their StatefulSet\'s replicas, past the longest roll', () => {
  const five = resolveEnsemble({ namespace: 'zk', replicas: 5 });

  /** From minute `at` member i runs a server list of `voters` voters (its replacement started with it). */
  const runs = (zk: EnsembleSeries, i: number, at: number, voters: number) => fill(zk.scraped(i, 'quorum_size'), at, voters);

  test('the bound is the roll Job\'s deadline: 30 minutes for 3 voters, 42 for 5, 18 for a single server', () => {
    const bound = (m: EnsembleModel) => rulesOf(m).find((r) => r.alert === 'ZooKeeperMembershipDiffers')?.for;
    expect([bound(model), bound(five), bound(resolveEnsemble({ namespace: 'zk', replicas: 1 }))]).toEqual(['30m', '42m', '18m']);
    expect(model.roll?.deadlineSeconds).toBe(30 * 60);
  });

  test('replicas 3 -> 5 applied, the roll never came: the three old members fire after 42 minutes, the new ones never; each resolves when rolled', async () => {
    // GIVEN the StatefulSet scaled to 5 at minute 10, as two kube-state-metrics replicas report it
    const zk = ensemble(five, 80);
    for (const extra of [{}, { instance: 'kube-state-metrics-2' }] as Record<string, string>[]) fill(fill(zk.desired('zookeeper', extra), 0, 3), 10, 5);
    // the new members 3 and 4 start at minute 11 with the new list; 0-2 keep the old one
    zk.vanish(3, 0, 11).vanish(4, 0, 11);
    for (const i of [0, 1, 2]) runs(zk, i, 0, 3);
    // WHEN the roll replaces member 2 at minute 60 and members 1 and 0 one and two minutes later
    for (const [i, at] of [[2, 60], [1, 61], [0, 62]]) runs(zk, i, at, 5);
    // THEN it fires 42 minutes after the scale (not at 51), for the old members alone, each with the count it runs
    await promtoolTest(zk.toInput(), alertsOf(five)
      .silent('ZooKeeperMembershipDiffers', 0, 9, 10, 11, 30, 51, 62, 80)
      .firing('ZooKeeperMembershipDiffers', [52, 59], ...[0, 1, 2].map((i) => ({ labels: member(i, five), value: '3' })))
      .firing('ZooKeeperMembershipDiffers', 60, ...[0, 1].map((i) => ({ labels: member(i, five), value: '3' }))));
  });

  test('replicas 5 -> 3 carried by a slow roll that ends within the bound (28 minutes): silent throughout', async () => {
    // GIVEN members 3 and 4 deleted at minute 10, 0-2 still running the list of 5
    const zk = ensemble(model, 60);
    fill(fill(zk.desired('zookeeper'), 0, 5), 10, 3);
    for (const i of [0, 1, 2]) runs(zk, i, 0, 5);
    // WHEN the roll replaces them at minutes 15, 25 and 38, each back with the list of 3 two minutes later
    for (const [i, at] of [[2, 15], [1, 25], [0, 38]]) {
      recreate(zk, i, at);
      runs(zk, i, at + 2, 3);
    }
    await promtoolTest(zk.toInput(), alertsOf().silent('ZooKeeperMembershipDiffers', ...range(0, 60)));
  });

  test('replicas 1 -> 3: the old member still standalone counts as one voter and fires; the new members do not', async () => {
    // GIVEN a standalone member (no quorum_size, serving) and the StatefulSet scaled to 3 at minute 10
    const zk = ensemble(model, 60);
    gap(zk.scraped(0, 'quorum_size'), 0, 61);
    fill(fill(zk.desired('zookeeper'), 0, 1), 10, 3);
    zk.vanish(1, 0, 11).vanish(2, 0, 11);
    // WHEN it is rolled at minute 50 and comes back with the list of 3 at 52
    recreate(zk, 0, 50);
    runs(zk, 0, 52, 3);
    await promtoolTest(zk.toInput(), alertsOf()
      .silent('ZooKeeperMembershipDiffers', 0, 9, 39, 52, 60)
      .firing('ZooKeeperMembershipDiffers', [40, 49], { labels: member(0), value: '1' }));
  });

  test('scaled to 0: the members go within their grace period and nothing is left to differ', async () => {
    const zk = ensemble(model, 60);
    fill(zk.desired('zookeeper'), 10, 0);
    for (const i of [0, 1, 2]) zk.stopServing(i, 10).vanish(i, 11);
    await promtoolTest(zk.toInput(), alertsOf().silent('ZooKeeperMembershipDiffers', ...range(0, 60)));
  });

  test('an observer counts the voters too, against the voters\' StatefulSet, not its own', async () => {
    // GIVEN 5 voters and 2 observers, observer zookeeper-observer-1 still running a list of 3 voters
    const withObservers = resolveEnsemble({ namespace: 'zk', mode: DeploymentMode.CLUSTER, observers: 2 });
    const zk = ensemble(withObservers, 60);
    runs(zk, 6, 5, 3);
    await promtoolTest(zk.toInput(), alertsOf(withObservers)
      .silent('ZooKeeperMembershipDiffers', 0, 46)
      .firing('ZooKeeperMembershipDiffers', [47, 60], { labels: member(6, withObservers), value: '3' }));
  });

  test('without kube-state-metrics there is nothing to compare with: silent', async () => {
    const zk = ensemble(model, 60);
    for (const i of [0, 1, 2]) runs(zk, i, 0, 5);
    const input = zk.toInput().filter((s) => !s.series.startsWith('kube_statefulset_replicas'));
    await promtoolTest(input, alertsOf().silent('ZooKeeperMembershipDiffers', ...range(0, 60)));
  });
});
