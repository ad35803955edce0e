/**
 * Parts of the e2e harness that decide what a live scenario proves: which metric names it asks
 * Prometheus for, and what deleting an ensemble's namespace removes.
 */
import { Testing } from 'cdk8s';
import { ZooKeeperChart } from '../lib';
import { NATIVE_METRIC_NAMES } from '../lib/metrics/native-metrics';
import { renderAlertRules } from '../lib/render/alert-rules';
import { dashboardMetricNames } from '../lib/render/dashboard';
import { PodmanCluster } from '../e2e/cluster';
import { distObjects } from '../e2e/dist';
import { Ensemble } from '../e2e/ensemble';
import { Manifest } from '../e2e/expand';
import { prodEnvironment } from '../e2e/flavours';
import { partitionRules } from '../e2e/network-partition';
import { usedMetricNames } from '../e2e/scrape';

const prod = prodEnvironment();

describe('the metric names scenario 15 checks live', () => {
  test('are every name the alert rules and the dashboard read, split into ZooKeeper\'s and the cluster\'s', () => {
    // GIVEN the prod environment's chart, and the names its renderers use (taken from the model, not the YAML)
    const chart = new ZooKeeperChart(Testing.app(), 'c', prod.settings);
    const model = chart.ensemble.model;
    const ruleNames = renderAlertRules(model).flatMap((g) => g.rules.flatMap((r) => [...r.expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{/g)].map((m) => m[1])));
    const expected = [...new Set([...dashboardMetricNames(model), ...ruleNames])].sort();
    // WHEN the harness reads the names from the synthesized objects
    const used = usedMetricNames(Testing.synth(chart) as Manifest[]);
    // THEN it finds all of them, and only ZooKeeper's (and Prometheus' own `up`) count as checkable
    expect([...used.served, ...used.cluster].sort()).toEqual(expected);
    expect(used.served.filter((name) => name !== 'up' && !NATIVE_METRIC_NAMES.has(name))).toEqual([]);
    expect(used.served).toEqual(expect.arrayContaining(['up', 'leader_uptime', 'synced_followers', 'election_time_count', 'znode_count']));
    expect(used.cluster.every((name) => /^kube(let)?_/.test(name))).toBe(true);
  });

  test('come from the committed dist/prod, the objects the harness plays', () => {
    const fromDist = usedMetricNames(distObjects('prod'));
    const fromChart = usedMetricNames(Testing.synth(new ZooKeeperChart(Testing.app(), 'c', prod.settings)) as Manifest[]);
    expect(fromDist).toEqual(fromChart);
  });

  test('refuses objects without alert rules or dashboard, rather than checking nothing', () => {
    const withoutMonitoring = distObjects('prod').filter((o) => o.kind !== 'PrometheusRule');
    expect(() => usedMetricNames(withoutMonitoring)).toThrow(/expected alert rules and a dashboard/);
  });
});

describe('deleting an ensemble as its namespace is deleted', () => {
  function fakeCluster() {
    const calls: string[] = [];
    const cluster = {
      deletePod: async (name: string) => { calls.push(`pod ${name}`); },
      removeVolumes: async (names: string[]) => { calls.push(...names.map((n) => `volume ${n}`)); },
    } as unknown as PodmanCluster;
    return { cluster, calls };
  }

  test('delete removes the pods and keeps their claims, as deleting StatefulSet pods does', async () => {
    const { cluster, calls } = fakeCluster();
    const ensemble = new Ensemble(distObjects('prod'), cluster);
    await ensemble.delete();
    expect(calls.sort()).toEqual(ensemble.members.map((m) => `pod ${m.name}`).sort());
    expect(calls.length).toBeGreaterThan(0);
  });

  test('destroy also frees the claims and ConfigMaps, so dist/dev\'s objects of the same names start fresh', async () => {
    const { cluster, calls } = fakeCluster();
    await new Ensemble(distObjects('prod'), cluster).destroy();
    expect(calls).toEqual(expect.arrayContaining(['pod zookeeper-0', 'volume data-zookeeper-0', 'volume data-zookeeper-2', 'volume zookeeper-config', 'volume zookeeper-logging']));
    const dev = new Ensemble(distObjects('dev'), {} as PodmanCluster);
    const devVolumes = [...dev.members.flatMap((m) => m.claims.map((c) => c.metadata.name)), ...dev.configMaps.map((c) => c.metadata.name)];
    expect(devVolumes.filter((name) => !calls.includes(`volume ${name}`))).toEqual([]);
  });
});

describe('the network partitions of scenarios 10 and 20', () => {
  test('drops the peer ports in both directions and nothing else, so probes and metrics still answer', () => {
    const rules = partitionRules([2888, 3888]);
    expect(rules.map((r) => r[0]).sort()).toEqual(['INPUT', 'OUTPUT']);
    for (const rule of rules) {
      expect(rule.join(' ')).toMatch(/-p tcp -m multiport --ports 2888,3888 -j DROP$/);
      expect(rule.join(' ')).not.toMatch(/2181|7000|8080/);
    }
  });

  test('a one-way cut drops only what arrives on the peer ports: the member\'s own packets still leave', () => {
    // GIVEN the rules of a cut where the member can send but not receive
    const rules = partitionRules([2888, 3888], 'inbound');
    // THEN only the chain of arriving packets drops anything, and it drops the same peer traffic a full cut does
    expect(rules.map((r) => r[0])).toEqual(['INPUT']);
    expect(rules[0]).toEqual(partitionRules([2888, 3888], 'both').find((r) => r[0] === 'INPUT'));
  });
});
