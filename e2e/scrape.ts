// A real Prometheus watching one running ensemble through the scrape config its own ServiceMonitor
// translates to (prometheus-config.ts), and the metric names the ensemble's alert rules and
// dashboard read, to ask it for each.
import * as fs from 'fs';
import * as path from 'path';
import { stringify } from 'yaml';
import { PrometheusMonitor, ZooKeeperChartProps } from '../lib';
import { PodmanCluster } from './cluster';
import { differences, withImage } from './dist';
import { Ensemble, synthesizeToYaml } from './ensemble';
import { find, Manifest } from './expand';
import { discoveredPod, scrapeSetupFor, ScrapeSetup } from './prometheus-config';
import { PrometheusServer } from './prometheus';

/**
 * Writes the targets file of the scrape config the operator would generate from the monitor, for
 * the pods as they are now, and returns the whole setup. Prometheus re-reads the file when it changes.
 */
export async function writeTargets(ensemble: Ensemble, cluster: PodmanCluster, monitor: Manifest, targetsFile: string): Promise<ScrapeSetup> {
  const pods = await Promise.all(ensemble.members.map(async (m) => discoveredPod(m.pod, await cluster.podIp(m.name))));
  const setup = scrapeSetupFor(monitor, { services: find(ensemble.objects, 'Service'), pods }, targetsFile);
  fs.writeFileSync(targetsFile, stringify(setup.targetGroups));
  return setup;
}

/** Metric names an ensemble's objects read, split by who exports them. */
export interface UsedMetricNames {
  /** From ZooKeeper (native provider or exporter) and Prometheus itself (`up`): checkable here. */
  readonly served: string[];
  /** From the kubelet and kube-state-metrics, which this test bed does not run. */
  readonly cluster: string[];
}

/** Every string under an `expr` or `query` key of a (dashboard) JSON value. */
function queries(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(queries);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, v]) => ((key === 'expr' || key === 'query') && typeof v === 'string' ? [v] : queries(v)));
}

const MONITOR_KINDS = [PrometheusMonitor.SERVICE_MONITOR, PrometheusMonitor.POD_MONITOR] as const;

function dashboardQueries(objects: Manifest[]): string[] {
  return find(objects, 'ConfigMap').flatMap((c) => Object.entries(c.data ?? {})
    .filter(([key]) => key.endsWith('.json'))
    .flatMap(([, text]) => queries(JSON.parse(String(text)))));
}

/**
 * The objects that say what to scrape and which names must be live: the ensemble's own monitor,
 * alert rules and dashboard or, where its environment turned any of them off, the ones the library
 * renders for the same settings with all three on. Those switches add objects and leave the pods
 * alone, so the members under test are the ones the environment deploys either way; that is
 * checked here, not assumed.
 */
export function monitoringUnderTest(objects: Manifest[], settings: ZooKeeperChartProps): Manifest[] {
  const complete = MONITOR_KINDS.some((kind) => find(objects, kind).length > 0)
    && find(objects, 'PrometheusRule').length > 0 && dashboardQueries(objects).length > 0;
  if (complete) return objects;
  const prometheusMonitor = settings.prometheusMonitor === PrometheusMonitor.POD_MONITOR ? PrometheusMonitor.POD_MONITOR : PrometheusMonitor.SERVICE_MONITOR;
  const rendered = synthesizeToYaml({ ...settings, prometheusMonitor, alertRules: true, grafanaDashboard: true });
  const [statefulSet] = find(objects, 'StatefulSet');
  const played = withImage(rendered, statefulSet?.spec.template.spec.containers[0].image);
  const changed = differences(find(objects, 'StatefulSet'), find(played, 'StatefulSet'));
  if (changed.length > 0) throw new Error(`turning monitoring on changed the StatefulSet at ${changed.join(', ')}: its pods are not the ones under test`);
  return played;
}

/**
 * The metric names used by the PrometheusRule's expressions and the dashboard ConfigMap's queries
 * (panels and variables) among `objects`. Every series selector of theirs has matchers, so a name
 * is the identifier right before `{`.
 */
export function usedMetricNames(objects: Manifest[]): UsedMetricNames {
  const rules = find(objects, 'PrometheusRule').flatMap((r) => r.spec.groups.flatMap((g: any) => g.rules.map((rule: any) => String(rule.expr))));
  const dashboards = dashboardQueries(objects);
  const names = [...new Set([...rules, ...dashboards].flatMap((expr) => [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{/g)].map((m) => m[1])))].sort();
  if (rules.length === 0 || dashboards.length === 0) throw new Error(`expected alert rules and a dashboard, found ${rules.length} rules and ${dashboards.length} dashboard queries`);
  const fromCluster = (name: string) => /^(kube_|kubelet_)/.test(name);
  return { served: names.filter((n) => !fromCluster(n)), cluster: names.filter(fromCluster) };
}

/** Prometheus scraping one ensemble through its ServiceMonitor or PodMonitor. */
export class ScrapedEnsemble {
  private constructor(
    public readonly prometheus: PrometheusServer,
    private readonly ensemble: Ensemble,
    private readonly cluster: PodmanCluster,
    private readonly monitor: Manifest,
    private readonly targetsFile: string,
    /** The monitor, alert rules and dashboard of `monitoringUnderTest`. */
    public readonly monitoring: Manifest[],
  ) {}

  public static async start(ensemble: Ensemble, cluster: PodmanCluster, workdir: string, monitoring: Manifest[], ruleGroups: unknown[] = []): Promise<ScrapedEnsemble> {
    const [monitor] = MONITOR_KINDS.flatMap((kind) => find(monitoring, kind));
    if (!monitor) throw new Error('the objects hold no ServiceMonitor or PodMonitor');
    fs.mkdirSync(workdir, { recursive: true });
    const targetsFile = path.join(workdir, 'targets.yaml');
    const setup = await writeTargets(ensemble, cluster, monitor, targetsFile);
    const prometheus = new PrometheusServer(path.join(workdir, 'prometheus'));
    await prometheus.start(setup.scrapeConfigs, ruleGroups, 5);
    return new ScrapedEnsemble(prometheus, ensemble, cluster, monitor, targetsFile, monitoring);
  }

  /** Kubernetes service discovery always has the pods' current addresses; so does the targets file. */
  public async refreshTargets(): Promise<ScrapeSetup> {
    return writeTargets(this.ensemble, this.cluster, this.monitor, this.targetsFile);
  }

  /** The pods (label `pod`) that have a series of `name` for this ensemble now. */
  public async podsWith(name: string): Promise<string[]> {
    const { namespace } = this.monitor.metadata;
    const instance = this.ensemble.members[0].pod.metadata.labels['app.kubernetes.io/instance'];
    const result = await this.prometheus.query(`count by (pod) (${name}{namespace="${namespace}", ensemble="${instance}"})`);
    return result.map((r) => r.metric.pod).sort();
  }

  public stop(): Promise<void> {
    return this.prometheus.stop();
  }
}
