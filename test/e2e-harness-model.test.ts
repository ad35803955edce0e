/**
 * Parts of the e2e harness that decide what a live scenario proves: which metric names it asks
 * Prometheus for, and what deleting an ensemble's namespace removes.
 */
import { Testing } from 'cdk8s';
import { DeploymentMode, PrometheusMonitor, readEnvironmentFiles, ZooKeeperChart, ZooKeeperChartProps } from '../lib';
import { NATIVE_METRIC_NAMES } from '../lib/metrics/native-metrics';
import { renderAlertRules } from '../lib/render/alert-rules';
import { dashboardMetricNames } from '../lib/render/dashboard';
import { PodmanCluster } from '../e2e/cluster';
import { Ensemble, synthesizeToYaml } from '../e2e/ensemble';
import { find, Manifest } from '../e2e/expand';
import { choosePrimary, otherEnvironments, prodEnvironment, shapeOf } from '../e2e/flavours';
import { partitionRules } from '../e2e/network-partition';
import { manifestTiming, notReadyBoundMs, writeGapBoundMs } from '../e2e/scenario-partitions';
import { monitoringUnderTest, usedMetricNames } from '../e2e/scrape';
import { FIXTURE_ENVIRONMENTS_DIR } from './support/default-app';

/** The fixture app's prod environment: the tests' own, unlike environments/prod.yaml. */
const prod = readEnvironmentFiles(FIXTURE_ENVIRONMENTS_DIR).find((env) => env.name === 'prod')!;
const monitoringOff: ZooKeeperChartProps = { alertRules: false, grafanaDashboard: false, prometheusMonitor: PrometheusMonitor.NONE };

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

  test('refuses objects without alert rules or dashboard, rather than checking nothing', () => {
    const withoutRules = synthesizeToYaml(prod.settings).filter((o) => o.kind !== 'PrometheusRule');
    expect(() => usedMetricNames(withoutRules)).toThrow(/expected alert rules and a dashboard/);
  });
});

describe('the monitoring objects scenario 15 scrapes through and checks', () => {
  test('are the ensemble\'s own when its environment has a monitor, alert rules and a dashboard', () => {
    const objects = synthesizeToYaml(prod.settings);
    expect(monitoringUnderTest(objects, prod.settings)).toBe(objects);
  });

  test('are the library\'s, for the same pods, when the environment turned monitoring off', () => {
    // GIVEN an environment with every monitoring switch off
    const settings = { ...prod.settings, ...monitoringOff };
    const objects = synthesizeToYaml(settings);
    expect(find(objects, 'PrometheusRule')).toEqual([]);
    // WHEN the harness asks what to scrape through and check
    const monitoring = monitoringUnderTest(objects, settings);
    // THEN it gets a ServiceMonitor and every name the full monitoring of the same settings uses
    expect(find(monitoring, 'ServiceMonitor')).toHaveLength(1);
    expect(usedMetricNames(monitoring)).toEqual(usedMetricNames(synthesizeToYaml(prod.settings)));
  });

  test('keep the environment\'s monitor kind, a PodMonitor, when only the rules are off', () => {
    const settings = { ...prod.settings, alertRules: false, prometheusMonitor: PrometheusMonitor.POD_MONITOR };
    const monitoring = monitoringUnderTest(synthesizeToYaml(settings), settings);
    expect(find(monitoring, 'PodMonitor')).toHaveLength(1);
    expect(find(monitoring, 'ServiceMonitor')).toEqual([]);
  });

  test('are refused when turning monitoring on would change the pods under test', () => {
    const settings = { ...prod.settings, ...monitoringOff };
    const objects = synthesizeToYaml(settings).map((o) => (o.kind === 'StatefulSet' ? { ...o, spec: { ...o.spec, replicas: 7 } } : o));
    expect(() => monitoringUnderTest(objects, settings)).toThrow(/changed the StatefulSet at \[0\]\.spec\.replicas/);
  });

  test('can be found for the app\'s production folder, whatever its environment turned off', () => {
    const production = prodEnvironment();
    const monitoring = monitoringUnderTest(production.objects(), production.settings);
    expect(usedMetricNames(monitoring).served).toEqual(expect.arrayContaining(['up', 'znode_count']));
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
    const ensemble = new Ensemble(synthesizeToYaml(prod.settings), cluster);
    await ensemble.delete();
    expect(calls.sort()).toEqual(ensemble.members.map((m) => `pod ${m.name}`).sort());
    expect(calls.length).toBeGreaterThan(0);
  });

  test('destroy also frees every claim and ConfigMap it played, so a later ensemble of the same names starts fresh', async () => {
    const { cluster, calls } = fakeCluster();
    const ensemble = new Ensemble(synthesizeToYaml(prod.settings), cluster);
    await ensemble.destroy();
    const played = [...ensemble.members.flatMap((m) => m.claims.map((c) => c.metadata.name)), ...ensemble.configMaps.map((c) => c.metadata.name)];
    expect(played).toEqual(expect.arrayContaining(['data-zookeeper-0', 'data-zookeeper-2', 'zookeeper-config', 'zookeeper-logging']));
    expect(calls).toEqual(expect.arrayContaining([...ensemble.members.map((m) => `pod ${m.name}`), ...played.map((name) => `volume ${name}`)]));
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

describe('which of the app\'s environments the core scenarios play', () => {
  const env = (name: string, settings: ZooKeeperChartProps) => ({ name, settings: { namespace: name, ...settings } });

  test('prod, when the app has one with three voters or more', () => {
    const chosen = choosePrimary([env('big', { replicas: 5 }), env('dev', { mode: DeploymentMode.STANDALONE }), env('prod', {})]);
    expect(chosen.label).toBe('dist/prod');
  });

  test('otherwise the one with the most voters, so a renamed or single-member prod still leaves one to fail over', () => {
    expect(choosePrimary([env('dev', { mode: DeploymentMode.STANDALONE }), env('production', {}), env('prod', { replicas: 1 })]).label).toBe('dist/production');
    expect(choosePrimary([env('b', { replicas: 3 }), env('a', { replicas: 3 }), env('c', { replicas: 5 })]).label).toBe('dist/c');
    expect(choosePrimary([env('b', { replicas: 3 }), env('a', { replicas: 3 })]).label).toBe('dist/a');
  });

  test('the library defaults, three voters, when no environment has three', () => {
    const chosen = choosePrimary([env('dev', { mode: DeploymentMode.STANDALONE })]);
    expect(chosen.label).toMatch(/^the library defaults/);
    expect(shapeOf(chosen.settings)).toEqual({ voters: 3, observers: 0, standalone: false });
    expect(find(chosen.objects(), 'StatefulSet')[0].spec.replicas).toBe(3);
  });

  test('leave every other environment to scenario 8, except those whose pods need the cluster\'s Secrets', () => {
    const fixture = readEnvironmentFiles(FIXTURE_ENVIRONMENTS_DIR);
    const { played, needsSecrets } = otherEnvironments(fixture);
    expect(played.map((e) => e.label)).toEqual(['dist/bare', 'dist/dev']);
    expect(needsSecrets).toEqual(['dist/secure']);
  });

  test('count voters and observers as the library resolves the settings', () => {
    expect(shapeOf({ mode: DeploymentMode.STANDALONE })).toEqual({ voters: 1, observers: 0, standalone: true });
    expect(shapeOf({ mode: DeploymentMode.CLUSTER, replicas: 5, observers: 2 })).toEqual({ voters: 5, observers: 2, standalone: false });
  });
});

describe('the bounds scenario 20 holds a partition to', () => {
  test('come from the played manifest: 12 s write gap (32 s one-way) and 14 s to NotReady with the defaults', () => {
    const timing = manifestTiming(synthesizeToYaml(prod.settings));
    expect(timing).toEqual({ tickTime: 2000, initLimit: 10, syncLimit: 2, readinessPeriodMs: 2000, readinessFailureThreshold: 2 });
    expect(writeGapBoundMs(timing, 'both')).toBe(12_000);
    expect(writeGapBoundMs(timing, 'inbound')).toBe(32_000);
    expect(notReadyBoundMs(timing)).toBe(14_000);
  });

  test('follow an environment that keeps the old margin, so its own scenario 20 still holds', () => {
    const timing = manifestTiming(synthesizeToYaml({ ...prod.settings, syncLimit: 5, tickTime: 3000 }));
    expect(notReadyBoundMs(timing)).toBe(6 * 3000 + 3 * 2000 + 2000);
    expect(writeGapBoundMs(timing, 'both')).toBe(6 * 3000 + 6000);
  });
});
