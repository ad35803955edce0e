import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { expandStatefulSet, Manifest } from '../e2e/expand';
import { DiscoveredPod, discoveredPod, scrapeSetupFor, ScrapeSetup } from '../e2e/prometheus-config';
import { PrometheusServer, Target } from '../e2e/prometheus';
import { resolveEnsemble } from '../lib/model/resolve';
import { addClientService } from '../lib/objects/client-service';
import { addMetricsService } from '../lib/objects/metrics-service';
import { addMonitor } from '../lib/objects/monitor';
import { addPeerService } from '../lib/objects/peer-service';
import { addStatefulSet } from '../lib/objects/stateful-set';
import { PrometheusMonitor } from '../lib/monitoring-settings';
import { ZooKeeperEnsembleProps } from '../lib/settings';
import { requirePrometheusTool, runBounded } from './support/tools';

const NS = 'shared';

/**
 * Ensemble zk-a (monitored as `kind`) and zk-b side by side in one namespace: their Services and
 * the pods of their StatefulSets, zk-a's on 127.0.0.1-3 and zk-b's on 127.0.0.11-13.
 */
function twoEnsembles(kind: PrometheusMonitor, metricsPort = 7000): { monitor: Manifest; services: Manifest[]; pods: DiscoveredPod[] } {
  const chart = Testing.chart();
  const settings: [string, ZooKeeperEnsembleProps][] = [
    ['zk-a', { name: 'zk-a', prometheusMonitor: kind, metricsPort, scrapeIntervalSeconds: 5 }],
    ['zk-b', { name: 'zk-b', metricsPort }],
  ];
  for (const [name, props] of settings) {
    const scope = new Construct(chart, name);
    const model = resolveEnsemble(props, NS);
    addPeerService(scope, model);
    addClientService(scope, model);
    addMetricsService(scope, model);
    for (const group of model.memberGroups) addStatefulSet(scope, model, group, 'checksum');
    addMonitor(scope, model);
  }
  const objects = Testing.synth(chart) as Manifest[];
  const pods = [
    ...expandStatefulSet(objects, 'zk-a', 'cluster.local').map((m, i) => discoveredPod(m.pod, `127.0.0.${i + 1}`)),
    ...expandStatefulSet(objects, 'zk-b', 'cluster.local').map((m, i) => discoveredPod(m.pod, `127.0.0.${i + 11}`)),
  ];
  const monitor = objects.find((o) => o.kind === kind && o.metadata.name === 'zk-a')!;
  return { monitor, services: objects.filter((o) => o.kind === 'Service'), pods };
}

function setupFor(kind: PrometheusMonitor, targetsFile = 'targets.json', metricsPort?: number): ScrapeSetup {
  const { monitor, services, pods } = twoEnsembles(kind, metricsPort);
  return scrapeSetupFor(monitor, { services, pods }, targetsFile);
}

/** Writes the targets files for both monitor kinds into `dir`; returns their scrape configs. */
function writeTargets(dir: string, metricsPort?: number): Record<string, unknown>[] {
  return [PrometheusMonitor.SERVICE_MONITOR, PrometheusMonitor.POD_MONITOR].flatMap((kind) => {
    const targetsFile = path.join(dir, `${kind}.targets.json`);
    const setup = setupFor(kind, targetsFile, metricsPort);
    fs.writeFileSync(targetsFile, JSON.stringify(setup.targetGroups, null, 2));
    return setup.scrapeConfigs;
  });
}

/** Writes prometheus.yml and the targets files for both monitor kinds into `dir`. */
function writeConfig(dir: string): string {
  const scrapeConfigs = writeTargets(dir);
  const config = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(config, stringify({ scrape_configs: scrapeConfigs }));
  return config;
}

const tmpDirs: string[] = [];
function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-prom-config-'));
  tmpDirs.push(dir);
  return dir;
}
afterAll(() => tmpDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('the operator translation of a ServiceMonitor', () => {
  const [config] = setupFor(PrometheusMonitor.SERVICE_MONITOR).scrapeConfigs;

  it('is one scrape job per endpoint with the monitor timing, path and honor_labels', () => {
    expect(setupFor(PrometheusMonitor.SERVICE_MONITOR).scrapeConfigs).toHaveLength(1);
    expect(config).toMatchObject({
      job_name: `serviceMonitor/${NS}/zk-a/0`, honor_labels: false, file_sd_configs: [{ files: ['targets.json'] }],
      scrape_interval: '5s', scrape_timeout: '5s', metrics_path: '/metrics',
    });
  });

  it("keeps only the selected Services' metrics port, sets the operator's labels, then applies the monitor's relabeling", () => {
    const relabelings = config.relabel_configs as Record<string, unknown>[];
    expect(relabelings).toContainEqual({ action: 'keep', source_labels: ['__meta_kubernetes_service_label_cdk8s_zookeeper_metrics', '__meta_kubernetes_service_labelpresent_cdk8s_zookeeper_metrics'], regex: '(true);true' });
    expect(relabelings).toContainEqual({ action: 'keep', source_labels: ['__meta_kubernetes_endpoint_port_name'], regex: 'tcp-metrics' });
    const targets = relabelings.map((r) => r.target_label).filter(Boolean);
    expect(targets).toEqual(['__tmp_prometheus_job_name', 'node', 'pod', 'namespace', 'service', 'pod', 'container', 'job', 'endpoint', 'ensemble']);
    expect(relabelings[relabelings.length - 1]).toEqual({ source_labels: ['__meta_kubernetes_pod_label_app_kubernetes_io_instance'], target_label: 'ensemble' });
  });

  it('lists every endpoint of every Service in the namespace, with the labels Kubernetes discovery attaches', () => {
    const { targetGroups } = setupFor(PrometheusMonitor.SERVICE_MONITOR);
    // Per pod and Service: its endpoints, plus one target for each container port the Service leaves
    // out (Prometheus adds those too). Every Service reaches all 4 ports: 2 ensembles x 3 Services x 3 pods x 4.
    expect(targetGroups).toHaveLength(72);
    expect(targetGroups.every((g) => g.targets.length === 1)).toBe(true);
    const metricsTarget = targetGroups.find((g) => g.labels.__meta_kubernetes_service_name === 'zk-a-metrics' && g.labels.__meta_kubernetes_pod_name === 'zk-a-1')!;
    expect(metricsTarget.targets).toEqual(['127.0.0.2:7000']);
    expect(metricsTarget.labels).toMatchObject({
      __meta_kubernetes_namespace: NS,
      __meta_kubernetes_endpoint_port_name: 'tcp-metrics',
      __meta_kubernetes_endpoint_ready: 'true',
      __meta_kubernetes_endpoint_address_target_kind: 'Pod',
      __meta_kubernetes_endpoint_address_target_name: 'zk-a-1',
      __meta_kubernetes_service_label_cdk8s_zookeeper_metrics: 'true',
      __meta_kubernetes_pod_label_app_kubernetes_io_instance: 'zk-a',
      __meta_kubernetes_pod_label_statefulset_kubernetes_io_pod_name: 'zk-a-1',
      __meta_kubernetes_pod_container_name: 'zookeeper',
      __meta_kubernetes_pod_container_port_name: 'metrics',
      __meta_kubernetes_pod_phase: 'Running',
    });
    const services = new Set(targetGroups.map((g) => g.labels.__meta_kubernetes_service_name));
    expect([...services].sort()).toEqual(['zk-a', 'zk-a-headless', 'zk-a-metrics', 'zk-b', 'zk-b-headless', 'zk-b-metrics']);
  });
});

describe('the operator translation of a PodMonitor', () => {
  const { scrapeConfigs, targetGroups } = setupFor(PrometheusMonitor.POD_MONITOR);

  it("keeps the selected pods' metrics container port and names the job after the monitor", () => {
    const relabelings = scrapeConfigs[0].relabel_configs as Record<string, unknown>[];
    expect(scrapeConfigs[0]).toMatchObject({ job_name: `podMonitor/${NS}/zk-a/0`, scrape_interval: '5s', metrics_path: '/metrics' });
    expect(relabelings).toContainEqual({ action: 'keep', source_labels: ['__meta_kubernetes_pod_container_port_name'], regex: 'metrics' });
    expect(relabelings).toContainEqual({ target_label: 'job', replacement: `${NS}/zk-a` });
    expect(relabelings.map((r) => r.target_label).filter(Boolean)).toEqual(['__tmp_prometheus_job_name', 'namespace', 'container', 'pod', 'job', 'endpoint', 'ensemble']);
  });

  it('lists every container port of every pod in the namespace, init containers included', () => {
    // 6 pods x (4 ports of the main container + 1 port-less init container)
    expect(targetGroups).toHaveLength(30);
    expect(targetGroups.find((g) => g.labels.__meta_kubernetes_pod_name === 'zk-b-2' && g.labels.__meta_kubernetes_pod_container_port_name === 'metrics'))
      .toEqual(expect.objectContaining({ targets: ['127.0.0.13:7000'] }));
    expect(targetGroups.filter((g) => g.labels.__meta_kubernetes_pod_container_init === 'true').map((g) => g.targets[0])[0]).toBe('127.0.0.1');
  });
});

describe('a monitor the translation does not understand', () => {
  const { monitor, services, pods } = twoEnsembles(PrometheusMonitor.SERVICE_MONITOR);
  const translate = (change: (m: any) => void) => () => {
    const copy = structuredClone(monitor);
    change(copy);
    return scrapeSetupFor(copy, { services, pods }, 'targets.json');
  };

  it.each([
    ['an endpoint field', (m: any) => { m.spec.endpoints[0].scheme = 'https'; }, /spec\.endpoints\[0\]\.scheme: not supported/],
    ['a selector expression', (m: any) => { m.spec.selector.matchExpressions = []; }, /spec\.selector\.matchExpressions: not supported/],
    ['all namespaces', (m: any) => { m.spec.namespaceSelector = { any: true }; }, /spec\.namespaceSelector\.any: not supported/],
    ['a spec field', (m: any) => { m.spec.jobLabel = 'app'; }, /spec\.jobLabel: not supported/],
    ['an endpoint without a port name', (m: any) => { delete m.spec.endpoints[0].port; }, /only endpoints that name their port/],
    ['another kind', (m: any) => { m.kind = 'Probe'; }, /not a monitor this translation knows/],
  ])('fails loudly on %s', (_what, change, message) => {
    expect(translate(change)).toThrow(message);
  });
});

describe('the generated configuration in a real Prometheus 2.42', () => {
  // promtool 2.42 does not read file_sd files; the scrape test below has Prometheus load them.
  it('passes promtool check config', async () => {
    const dir = tmpDir();
    const result = await runBounded(requirePrometheusTool('promtool'), ['check', 'config', writeConfig(dir)], { env: process.env, timeoutMs: 20_000 });
    expect({ code: result.code, output: result.stdout + result.stderr }).toEqual({ code: 0, output: expect.stringContaining('SUCCESS') });
  });

  it('scrapes exactly the three zk-a members per monitor kind, labelled namespace, pod and ensemble', async () => {
    // GIVEN three fake members serving a metric on 127.0.0.1-3, on one port
    const servers: http.Server[] = [];
    const listen = (host: string, port: number) => new Promise<number>((resolve, reject) => {
      const server = http.createServer((_req, res) => res.end('# TYPE zk_up gauge\nzk_up 1\n'));
      servers.push(server);
      server.once('error', reject).listen(port, host, () => resolve((server.address() as AddressInfo).port));
    });
    const dir = tmpDir();
    const prometheus = new PrometheusServer(path.join(dir, 'prometheus'));
    try {
      const metricsPort = await listen('127.0.0.1', 0);
      await listen('127.0.0.2', metricsPort);
      await listen('127.0.0.3', metricsPort);
      // AND a Prometheus configured with both monitor kinds
      await prometheus.start(writeTargets(dir, metricsPort), [], 5);
      // WHEN every target it keeps has been scraped once
      let active: Target[] = [];
      for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
        active = await prometheus.targets();
        if (active.length === 6 && active.every((t) => t.health === 'up')) break;
      }
      // THEN each monitor kind yields zk-a's three members and nothing else, up and labelled
      const byPool = (pool: string) => active.filter((t) => t.scrapePool === pool)
        .map((t): Record<string, string> => ({ ...t.labels, health: t.health })).sort((a, b) => a.pod.localeCompare(b.pod));
      const member = (i: number) => ({
        namespace: NS, pod: `zk-a-${i}`, ensemble: 'zk-a', container: 'zookeeper', instance: `127.0.0.${i + 1}:${metricsPort}`, health: 'up',
      });
      expect(byPool(`serviceMonitor/${NS}/zk-a/0`)).toEqual([0, 1, 2].map((i) => ({
        ...member(i), job: 'zk-a-metrics', service: 'zk-a-metrics', endpoint: 'tcp-metrics',
      })));
      expect(byPool(`podMonitor/${NS}/zk-a/0`)).toEqual([0, 1, 2].map((i) => ({ ...member(i), job: `${NS}/zk-a`, endpoint: 'metrics' })));
      expect(active).toHaveLength(6);
    } catch (error) {
      throw new Error(`${(error as Error).message}\nprometheus log:\n${prometheus.tail()}`);
    } finally {
      await prometheus.stop();
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    }
  }, 30_000);
});
