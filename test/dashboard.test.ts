import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { DeploymentMode, resolveEnsemble, ZooKeeperEnsembleProps } from '../lib';
import { NATIVE_METRIC_NAMES } from '../lib/metrics/native-metrics';
import { addDashboardConfigMap } from '../lib/objects/dashboard';
import { DASHBOARD_METRICS } from '../lib/render/dashboard-panels';
import { dashboardMetricNames, dashboardUid, renderDashboard } from '../lib/render/dashboard';
import { requirePrometheusTool, runBounded } from './support/tools';

const DATASOURCE_REF = '${datasource}';
const VOLUME_METRICS = ['kubelet_volume_stats_used_bytes', 'kubelet_volume_stats_capacity_bytes'];

function dashboardOf(props: ZooKeeperEnsembleProps = {}, namespace = 'ns') {
  const model = resolveEnsemble(props, namespace);
  return { model, text: renderDashboard(model), json: JSON.parse(renderDashboard(model)) };
}

function panelsOf(json: any): any[] {
  return json.panels.flatMap((p: any) => [p, ...(p.panels ?? [])]);
}

function queriesOf(json: any): { panel: string; expr: string }[] {
  return panelsOf(json).flatMap((p: any) => (p.targets ?? []).map((t: any) => ({ panel: p.title, expr: t.expr })));
}

interface Selector {
  readonly metric: string;
  readonly matchers: readonly { readonly label: string; readonly op: string; readonly value: string }[];
}

/**
 * The series selectors of a PromQL expression, and the metric names it uses without matchers
 * (`bare`). Whatever identifier is left once selectors, grouping label lists, ranges and numbers are
 * gone is a function or keyword when `(` follows it or it is a known keyword, else a bare selector.
 */
function parseSelectors(expr: string): { selectors: Selector[]; bare: string[] } {
  const selectors: Selector[] = [];
  let rest = expr.replace(/([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*\{([^}]*)\}/g, (_all, metric: string | undefined, body: string) => {
    const matchers = [...body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g)]
      .map(([, label, op, value]) => ({ label, op, value }));
    selectors.push({ metric: metric ?? '', matchers });
    return ' SELECTOR ';
  });
  rest = rest
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b\d+(\.\d+)?\b/g, ' ');
  const keywords = new Set(['SELECTOR', 'and', 'or', 'unless', 'bool', 'offset']);
  const bare = [...rest.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)]
    .filter(([, name, call]) => call === undefined && !keywords.has(name))
    .map(([, name]) => name);
  return { selectors, bare };
}

/** Why an expression is not limited to one ensemble (and for $pod-aware panels, its members). */
function scopeProblems(expr: string, ensembleLabel: string): string[] {
  const { selectors, bare } = parseSelectors(expr);
  const problems = bare.map((name) => `${name} has no matchers`);
  for (const { metric, matchers } of selectors) {
    const has = (label: string, op: string, value: RegExp) => matchers.some((m) => m.label === label && m.op === op && value.test(m.value));
    if (metric === '') problems.push('a selector without a metric name');
    if (!has('namespace', '=', /^\$namespace$/)) problems.push(`${metric} is not limited to $namespace`);
    const ensemble = VOLUME_METRICS.includes(metric)
      ? has('persistentvolumeclaim', '=~', /-\$ensemble-/)
      : has(ensembleLabel, '=', /^\$ensemble$/);
    if (!ensemble) problems.push(`${metric} is not limited to $ensemble`);
  }
  return problems;
}

/** Paths (a.b.0.c) where two JSON values differ. */
function differences(a: any, b: any, at = ''): string[] {
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return a === b ? [] : [at];
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  return keys.flatMap((key) => differences(a[key], b[key], at === '' ? key : `${at}.${key}`));
}

describe('the Grafana dashboard', () => {
  const { model, text, json } = dashboardOf();
  const queries = queriesOf(json);
  const panels = panelsOf(json).filter((p) => p.type !== 'row');

  test('is a Grafana dashboard named after the ensemble, refreshed every 30 s over the last hour', () => {
    expect(json).toMatchObject({
      uid: 'zk_ns_zookeeper', title: 'ZooKeeper / ns / zookeeper', schemaVersion: 38,
      refresh: '30s', time: { from: 'now-1h', to: 'now' }, tags: expect.arrayContaining(['zookeeper']),
    });
    expect(text.endsWith('}\n')).toBe(true);
  });

  test('lets the viewer pick data source, namespace, ensemble and members, opening on this ensemble', () => {
    const variables = Object.fromEntries(json.templating.list.map((v: any) => [v.name, v]));
    expect(variables.datasource).toMatchObject({ type: 'datasource', query: 'prometheus' });
    expect(variables.namespace).toMatchObject({ type: 'query', current: { value: 'ns' }, datasource: { uid: DATASOURCE_REF } });
    expect(variables.ensemble).toMatchObject({ type: 'query', current: { value: 'zookeeper' }, datasource: { uid: DATASOURCE_REF } });
    expect(variables.ensemble.query).toContain('namespace="$namespace"');
    expect(variables.ensemble.query).toMatch(new RegExp(`, ${model.monitoring.ensembleLabel}\\)$`));
    expect(variables.pod).toMatchObject({ multi: true, includeAll: true, current: { value: ['$__all'] } });
  });

  test('reads every panel and query from the data source the viewer picked', () => {
    expect(panels.length).toBeGreaterThan(20);
    for (const p of panels) {
      expect({ panel: p.title, uid: p.datasource?.uid }).toEqual({ panel: p.title, uid: DATASOURCE_REF });
      expect(p.targets.length).toBeGreaterThan(0);
      for (const t of p.targets) expect({ panel: p.title, uid: t.datasource?.uid }).toEqual({ panel: p.title, uid: DATASOURCE_REF });
    }
  });

  test('scopes every query to the selected namespace and ensemble', () => {
    for (const { panel, expr } of queries) expect({ panel, expr, problems: scopeProblems(expr, model.monitoring.ensembleLabel) }).toEqual({ panel, expr, problems: [] });
  });

  test('the scope check catches a query that reads another ensemble or every ensemble', () => {
    expect(scopeProblems('sum(rate(readlatency_count[5m]))', 'ensemble')).toEqual(['readlatency_count has no matchers']);
    expect(scopeProblems('up{namespace="$namespace"} / on (pod) znode_count', 'ensemble'))
      .toEqual(['znode_count has no matchers', 'up is not limited to $ensemble']);
    expect(scopeProblems('kubelet_volume_stats_used_bytes{namespace="$namespace", persistentvolumeclaim=~"data-.*"}', 'ensemble'))
      .toEqual(['kubelet_volume_stats_used_bytes is not limited to $ensemble']);
  });

  test('counts volume usage on exactly the claims of the ensemble\'s members, observers and transaction log volumes included', () => {
    const claimsPattern = (m: typeof model) => {
      const volume = queriesOf(JSON.parse(renderDashboard(m))).find((q) => q.expr.includes('kubelet_volume_stats_used_bytes'))!;
      const claims = parseSelectors(volume.expr).selectors[0].matchers.filter((x) => x.label === 'persistentvolumeclaim');
      return (claim: string) => claims.every((c) => new RegExp(`^(?:${c.value.replace(/\$ensemble/g, m.name).replace(/\$pod/g, '.+')})$`).test(claim));
    };
    const withTxnLog = resolveEnsemble({ txnLogStorageGiB: 5 }, 'ns');
    const matches = claimsPattern(withTxnLog);
    for (const member of withTxnLog.members) {
      expect(matches(`${withTxnLog.names.claimTemplates.data}-${member.podName}`)).toBe(true);
      expect(matches(`${withTxnLog.names.claimTemplates.txnLog}-${member.podName}`)).toBe(true);
    }
    expect(matches('data-zookeeper-other-0')).toBe(false);
    expect(matches('data-kafka-0')).toBe(false);
    expect(claimsPattern(model)('txnlog-zookeeper-0')).toBe(false);
    expect(claimsPattern(model)('data-zookeeper-observer-0')).toBe(false);

    const withObservers = resolveEnsemble({ mode: DeploymentMode.CLUSTER, observers: 2 }, 'ns');
    const observerMatches = claimsPattern(withObservers);
    for (const member of [...withObservers.members, ...withObservers.observers]) {
      expect(observerMatches(`${withObservers.names.claimTemplates.data}-${member.podName}`)).toBe(true);
    }
    expect(observerMatches('data-zookeeper-other-0')).toBe(false);
  });

  test('gives every panel its own id and its own place on the grid', () => {
    const all = panelsOf(json);
    expect(new Set(all.map((p) => p.id)).size).toBe(all.length);
    for (const p of all) {
      expect(p.gridPos.x).toBeGreaterThanOrEqual(0);
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
    }
    const overlap = (a: any, b: any) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
    for (const [i, a] of all.entries()) {
      for (const b of all.slice(i + 1)) expect({ a: a.title, b: b.title, overlap: overlap(a.gridPos, b.gridPos) }).toEqual({ a: a.title, b: b.title, overlap: false });
    }
  });

  const topics: [string, string[]][] = [
    ['members up', ['up']],
    ['members serving', ['znode_count']],
    ['the leader', ['leader_uptime']],
    ['synced followers against the quorum size', ['synced_followers', 'quorum_size']],
    ['learners and pending syncs', ['learners', 'pending_syncs']],
    ['request rate', ['readlatency_count', 'updatelatency_count']],
    ['average read and write latency', ['readlatency_sum', 'readlatency_count', 'updatelatency_sum', 'updatelatency_count']],
    ['outstanding requests', ['outstanding_requests']],
    ['latency gauges', ['avg_latency', 'max_latency']],
    ['client connections', ['num_alive_connections']],
    ['rejected and dropped connections', ['connection_rejected', 'connection_drop_count']],
    ['znodes', ['znode_count']],
    ['watches', ['watch_count']],
    ['ephemeral znodes', ['ephemerals_count']],
    ['data size', ['approximate_data_size']],
    ['fsync time', ['fsynctime_sum', 'fsynctime_count']],
    ['snapshot time', ['snapshottime_sum', 'snapshottime_count']],
    ['elections', ['election_time_count']],
    ['election time', ['election_time_sum', 'election_time_count']],
    ['looking', ['looking_count']],
    ['JVM heap', ['jvm_memory_bytes_used', 'jvm_memory_bytes_committed', 'jvm_memory_bytes_max']],
    ['time in garbage collection', ['jvm_gc_collection_seconds_sum']],
    ['garbage collections', ['jvm_gc_collection_seconds_count']],
    ['file descriptors against their limit', ['open_file_descriptor_count', 'max_file_descriptor_count']],
    ['volume usage', ['kubelet_volume_stats_used_bytes', 'kubelet_volume_stats_capacity_bytes']],
  ];
  test.each(topics)('has a panel on %s', (_topic, metrics) => {
    const panelMetrics = panels.map((p) => new Set(p.targets.flatMap((t: any) => parseSelectors(t.expr).selectors.map((s) => s.metric))));
    expect(panelMetrics.some((used) => metrics.every((m) => used.has(m)))).toBe(true);
  });

  test('reads only the metric names both images export, and lists them for other checks', () => {
    const used = [...new Set([...queries.map((q) => q.expr), ...json.templating.list.map((v: any) => v.query)]
      .flatMap((expr) => parseSelectors(expr).selectors.map((s) => s.metric)))].sort();
    expect(dashboardMetricNames(model)).toEqual(used);
    expect([...DASHBOARD_METRICS].sort()).toEqual(used);
    const notExported = used.filter((name) => !NATIVE_METRIC_NAMES.has(name) && !['up', ...VOLUME_METRICS].includes(name));
    expect(notExported).toEqual([]);
  });

  test('shows no leader panels for a standalone server, which has no leader', () => {
    const titles = panelsOf(dashboardOf({ replicas: 1 }).json).map((p) => p.title);
    expect(titles).toEqual(expect.arrayContaining(['Members up', 'Members serving']));
    expect(titles).not.toEqual(expect.arrayContaining(['Leaders']));
    expect(panelsOf(json).map((p) => p.title)).toEqual(expect.arrayContaining(['Leaders', 'Leader', 'Followers in sync']));
  });

  test('renders the same bytes every time', () => {
    expect(renderDashboard(resolveEnsemble({}, 'ns'))).toBe(text);
  });

  test('differs between two ensembles only in their names: uid, title and the variables\' defaults', () => {
    const other = dashboardOf({ name: 'orders' }, 'payments');
    expect(differences(json, other.json).sort()).toEqual([
      'templating.list.1.current.text', 'templating.list.1.current.value',
      'templating.list.2.current.text', 'templating.list.2.current.value',
      'title', 'uid',
    ]);
    expect(other.json).toMatchObject({ uid: 'zk_payments_orders', title: 'ZooKeeper / payments / orders' });
  });

  test('keeps uids within Grafana\'s 40 characters and distinct for long names', () => {
    const namespace = 'n'.repeat(63);
    const uids = ['a', 'b'].map((suffix) => dashboardUid(resolveEnsemble({ name: `z${'x'.repeat(50)}${suffix}` }, namespace)));
    for (const uid of uids) expect(uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
    expect(uids[0]).not.toBe(uids[1]);
  });

  test('every query is valid PromQL according to promtool', async () => {
    const promtool = requirePrometheusTool('promtool');
    const values: Record<string, string> = { namespace: 'ns', ensemble: 'zookeeper', pod: '.+', __rate_interval: '2m', __range: '1h' };
    const substitute = (expr: string) => expr.replace(/\$(\w+)/g, (all, name: string) => values[name] ?? all);
    // label_values(<selector>, <label>) is Grafana's; the selector in it must be PromQL.
    const variableSelectors = json.templating.list.filter((v: any) => v.type === 'query')
      .map((v: any) => /^label_values\((.*), [a-zA-Z_]+\)$/.exec(v.query)![1]);
    const expressions = [...queries.map((q) => q.expr), ...variableSelectors].map(substitute);
    for (const expr of expressions) expect(expr).not.toContain('$');

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dashboard-promql-'));
    try {
      const check = async (exprs: string[]) => {
        const file = path.join(dir, `rules-${exprs.length}.json`);
        const rules = exprs.map((expr, i) => ({ record: `dashboard:query_${i}`, expr }));
        fs.writeFileSync(file, JSON.stringify({ groups: [{ name: 'dashboard', rules }] }));
        return runBounded(promtool, ['check', 'rules', file], { env: { PATH: process.env.PATH ?? '' }, timeoutMs: 10_000 });
      };
      const result = await check(expressions);
      expect({ code: result.code, out: result.stdout + result.stderr }).toEqual({ code: 0, out: expect.stringContaining(`SUCCESS: ${expressions.length} rules found`) });
      // promtool does reject what Prometheus would not parse.
      expect((await check(['rate(up{[5m])'])).code).not.toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the dashboard ConfigMap', () => {
  const synth = (props: ZooKeeperEnsembleProps) => {
    const chart = Testing.chart();
    const model = resolveEnsemble(props, 'ns');
    const made = addDashboardConfigMap(chart, model);
    return { model, made, manifests: Testing.synth(chart) };
  };

  test('carries the dashboard under a file name unique across namespaces, with the Grafana sidecar\'s label', () => {
    const { model, manifests } = synth({});
    expect(manifests).toHaveLength(1);
    const [configMap] = manifests;
    expect(configMap).toMatchObject({ kind: 'ConfigMap', metadata: { name: 'zookeeper-dashboard', namespace: 'ns' } });
    expect(configMap.metadata.labels).toEqual({ ...model.labels.common, grafana_dashboard: '1' });
    expect(configMap.data).toEqual({ 'ns-zookeeper.json': renderDashboard(model) });
  });

  test('custom sidecar labels replace the default one', () => {
    const [configMap] = synth({ grafanaDashboardLabels: { 'example.com/dashboard': 'zookeeper' } }).manifests;
    expect(configMap.metadata.labels['example.com/dashboard']).toBe('zookeeper');
    expect(configMap.metadata.labels).not.toHaveProperty('grafana_dashboard');
  });

  test('is not created when grafanaDashboard is off', () => {
    const { made, manifests } = synth({ grafanaDashboard: false });
    expect(made).toBeUndefined();
    expect(manifests).toEqual([]);
  });

  test('fits ConfigMap and client-side kubectl apply limits', () => {
    const [configMap] = synth({ txnLogStorageGiB: 5 }).manifests;
    // ConfigMaps hold at most 1 MiB; `kubectl apply` also copies the object into an annotation,
    // and all annotations together may hold at most 256 KiB.
    expect(Buffer.byteLength(JSON.stringify(configMap))).toBeLessThan(128 * 1024);
  });
});
