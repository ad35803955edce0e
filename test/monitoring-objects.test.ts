import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Chart, Testing, Yaml } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { Construct } from 'constructs';
import { EnsembleModel } from '../lib/model/ensemble-model';
import { resolveEnsemble } from '../lib/model/resolve';
import { addClientService } from '../lib/objects/client-service';
import { addMetricsService } from '../lib/objects/metrics-service';
import { addMonitor } from '../lib/objects/monitor';
import { addPeerService } from '../lib/objects/peer-service';
import { podTemplate } from '../lib/objects/pod-template';
import { addPrometheusRule } from '../lib/objects/prometheus-rule';
import { RuleGroup } from '../lib/render/alert-rules-types';
import { PrometheusMonitor } from '../lib/monitoring-settings';
import { ZooKeeperEnsembleProps } from '../lib/settings';
import { validateObject, validateObjects } from './support/k8s-schema';
import { monitoringCrds, registerMonitoringSchemas, upstreamProblems } from './support/monitoring-schemas';
import { selects } from './support/k8s-schema/rules';

const ROOT = path.join(__dirname, '..');
/** What package.json's `import` script runs (npm runs scripts with node_modules/.bin on PATH). */
const IMPORT_COMMAND = 'for crd in imports/*.crds.yaml; do cdk8s import --no-check-upgrade --no-save --language typescript --output imports "$crd" || exit 1; done';

// The project's own schema, held strictly: any field it does not declare is an error.
const crds = monitoringCrds();
registerMonitoringSchemas();

type Obj = Record<string, any>;

/** The Services of an ensemble plus its monitor, added to `chart`. */
function addEnsemble(chart: Chart, props: ZooKeeperEnsembleProps, namespace = 'zookeeper'): EnsembleModel {
  const model = resolveEnsemble(props, namespace);
  const scope = new Construct(chart, model.name);
  addPeerService(scope, model);
  addClientService(scope, model);
  addMetricsService(scope, model);
  addMonitor(scope, model);
  return model;
}

function synth(props: ZooKeeperEnsembleProps = {}): { model: EnsembleModel; objects: Obj[] } {
  const chart = Testing.chart();
  const model = addEnsemble(chart, props);
  return { model, objects: Testing.synth(chart) };
}

const only = (objects: Obj[], kind: string): Obj => {
  const found = objects.filter((o) => o.kind === kind);
  expect(found).toHaveLength(1);
  return found[0];
};

/** The Services a ServiceMonitor selects, by evaluating its selectors. */
function selectedServices(monitor: Obj, services: Obj[]): string[] {
  return services
    .filter((s) => monitor.spec.namespaceSelector.matchNames.includes(s.metadata.namespace) && selects(monitor.spec.selector, s.metadata.labels))
    .map((s) => s.metadata.name);
}

const mainContainer = (model: EnsembleModel) => podTemplate(model, model.memberGroups[0], 'x').spec!.containers.find((c) => c.name === model.names.containers.main)!;

const RULES: RuleGroup[] = [{
  name: 'zookeeper',
  interval: '30s',
  rules: [{
    alert: 'ZooKeeperMemberNotServing',
    // Multi-line PromQL with the characters that trip YAML writers: a leading indent, a trailing
    // blank, a `#`, a `: ` and quotes.
    expr: '  max by (namespace, ensemble, pod) (\n    zk_up{job!~"a: b"} == 0   \n  ) # not serving\n',
    for: '2m',
    labels: { severity: 'critical' },
    annotations: { summary: '{{ $labels.pod }} of "{{ $labels.ensemble }}": not serving' },
  }],
}];

describe('the metrics Service', () => {
  it('is headless over the container port named metrics and lists members that are not Ready', () => {
    // GIVEN the default ensemble
    const { model, objects } = synth();
    // WHEN its metrics Service is synthesized
    const svc = objects.find((o) => o.metadata.name === model.names.metricsService)!;
    // THEN it is headless, publishes not-ready members, and forwards to the metrics container port
    expect(svc.spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true, selector: model.labels.selector });
    expect(svc.spec.ports).toHaveLength(1);
    const target = mainContainer(model).ports!.find((p) => p.name === svc.spec.ports[0].targetPort)!;
    expect(target.containerPort).toBe(model.ports.metrics.port);
    expect(svc.metadata.labels).toMatchObject(model.labels.metricsService);
  });
});

describe('the ServiceMonitor (the default monitor)', () => {
  it('is valid against the project schema, strictly, and the Services beside it are valid Kubernetes', () => {
    expect(validateObjects(synth().objects)).toEqual([]);
  });

  it("is valid against the Prometheus Operator's published schema", () => {
    expect(upstreamProblems(only(synth().objects, 'ServiceMonitor'))).toBeUndefined();
  });

  it('selects the metrics Service only: not the client or peer Service, not another ensemble in the namespace', () => {
    // GIVEN two ensembles in one namespace
    const chart = Testing.chart();
    const model = addEnsemble(chart, { name: 'zk-a' }, 'shared');
    addEnsemble(chart, { name: 'zk-b' }, 'shared');
    const objects = Testing.synth(chart);
    const services = objects.filter((o) => o.kind === 'Service');
    expect(services).toHaveLength(6);
    // WHEN the selectors of zk-a's ServiceMonitor are evaluated against every Service
    const monitor = objects.find((o) => o.kind === 'ServiceMonitor' && o.metadata.name === model.names.monitor)!;
    // THEN exactly zk-a's metrics Service matches
    expect(selectedServices(monitor, services)).toEqual([model.names.metricsService]);
  });

  it('scrapes the Service port that leads to the container port named metrics', () => {
    const { model, objects } = synth();
    const monitor = only(objects, 'ServiceMonitor');
    expect(monitor.spec.endpoints).toHaveLength(1);
    const [svc] = objects.filter((o) => o.kind === 'Service' && selectedServices(monitor, [o]).length === 1);
    // A ServiceMonitor's port names a port of the Service, which forwards to a named container port.
    const servicePort = svc.spec.ports.find((p: Obj) => p.name === monitor.spec.endpoints[0].port);
    expect(servicePort).toBeDefined();
    const containerPort = mainContainer(model).ports!.find((p) => p.name === servicePort.targetPort);
    expect(containerPort).toEqual(expect.objectContaining({ name: 'metrics', containerPort: model.ports.metrics.port }));
  });

  it("scrapes at the model's interval, timeout and path and labels every target with its ensemble", () => {
    // GIVEN an ensemble scraped every 15 s
    const { model, objects } = synth({ name: 'coord', scrapeIntervalSeconds: 15 });
    const endpoint = only(objects, 'ServiceMonitor').spec.endpoints[0];
    // THEN the endpoint carries the model's timing and path
    expect(endpoint).toMatchObject({ interval: '15s', scrapeTimeout: '10s', path: model.monitoring.metricsPath });
    // AND its one relabeling copies the pod label whose value is the ensemble's name
    expect(endpoint.relabelings).toHaveLength(1);
    const [relabeling] = endpoint.relabelings;
    expect(relabeling.targetLabel).toBe(model.monitoring.ensembleLabel);
    const podLabels = podTemplate(model, model.memberGroups[0], 'x').metadata!.labels!;
    const source = Object.keys(podLabels).filter((k) => relabeling.sourceLabels[0] === `__meta_kubernetes_pod_label_${k.replace(/[^a-zA-Z0-9_]/g, '_')}`);
    expect(source).toHaveLength(1);
    expect(podLabels[source[0]]).toBe(model.name);
  });

  it('carries the monitoring labels a Prometheus selects monitors by, in the ensemble namespace', () => {
    const monitor = only(synth({ monitoringLabels: { release: 'kube-prometheus-stack' } }).objects, 'ServiceMonitor');
    expect(monitor.metadata).toMatchObject({ name: 'zookeeper', namespace: 'zookeeper', labels: { release: 'kube-prometheus-stack', 'app.kubernetes.io/instance': 'zookeeper' } });
    expect(monitor.spec.namespaceSelector).toEqual({ matchNames: ['zookeeper'] });
  });
});

describe('the PodMonitor', () => {
  const podMonitor = (name = 'zookeeper') => synth({ name, prometheusMonitor: PrometheusMonitor.POD_MONITOR });

  it('is valid against the project schema, strictly, and against the published schema', () => {
    const { objects } = podMonitor();
    expect(validateObjects(objects)).toEqual([]);
    expect(upstreamProblems(only(objects, 'PodMonitor'))).toBeUndefined();
    expect(objects.filter((o) => o.kind === 'ServiceMonitor')).toEqual([]);
  });

  it("selects this ensemble's member pods and not another ensemble's", () => {
    const { model, objects } = podMonitor('zk-a');
    const other = resolveEnsemble({ name: 'zk-b' }, 'zookeeper');
    const monitor = only(objects, 'PodMonitor');
    expect(monitor.spec.namespaceSelector).toEqual({ matchNames: [model.namespace] });
    expect(selects(monitor.spec.selector, podTemplate(model, model.memberGroups[0], 'x').metadata!.labels!)).toBe(true);
    expect(selects(monitor.spec.selector, podTemplate(other, other.memberGroups[0], 'x').metadata!.labels!)).toBe(false);
  });

  it('scrapes the container port named metrics, at the same timing and with the same ensemble label', () => {
    const { model, objects } = podMonitor();
    const [endpoint] = only(objects, 'PodMonitor').spec.podMetricsEndpoints;
    const containerPort = mainContainer(model).ports!.find((p) => p.name === endpoint.port);
    expect(containerPort).toEqual(expect.objectContaining({ name: 'metrics', containerPort: model.ports.metrics.port }));
    expect(endpoint).toEqual({ ...only(synth().objects, 'ServiceMonitor').spec.endpoints[0], port: 'metrics' });
  });
});

describe('prometheusMonitor none', () => {
  it('adds no Prometheus Operator object, but keeps the metrics Service for other scrapers', () => {
    const chart = Testing.chart();
    const model = resolveEnsemble({ prometheusMonitor: PrometheusMonitor.NONE }, 'zookeeper');
    expect(addMonitor(chart, model)).toBeUndefined();
    addMetricsService(chart, model);
    expect(Testing.synth(chart).map((o) => o.kind)).toEqual(['Service']);
  });
});

describe('the PrometheusRule', () => {
  const synthRule = () => {
    const chart = Testing.chart();
    const model = resolveEnsemble({ monitoringLabels: { release: 'kps' } }, 'zookeeper');
    addPrometheusRule(chart, model, RULES);
    return { model, objects: Testing.synth(chart) };
  };

  it('is valid against the project schema, strictly, and against the published schema', () => {
    const { model, objects } = synthRule();
    expect(validateObjects(objects)).toEqual([]);
    const rule = only(objects, 'PrometheusRule');
    expect(upstreamProblems(rule)).toBeUndefined();
    expect(rule.metadata).toMatchObject({ name: model.names.prometheusRule, namespace: 'zookeeper', labels: model.monitoring.objectLabels });
  });

  it('writes the rule groups as given, a multi-line expression included, as YAML that reads back the same', () => {
    // WHEN the rule is written as `cdk8s synth` writes it and read back as kubectl would
    const [doc] = parseAllDocuments(Yaml.stringify(...synthRule().objects), { version: '1.1' });
    expect(doc.errors).toEqual([]);
    // THEN every group and rule is what the renderer returned, character for character
    expect(doc.toJS().spec.groups).toEqual(RULES);
  });
});

describe('the validators are not vacuous', () => {
  const mutate = (obj: Obj, change: (o: Obj) => void): Obj => {
    const copy = structuredClone(obj);
    change(copy);
    return copy;
  };
  const { objects } = synth();
  const serviceMonitor = only(objects, 'ServiceMonitor');
  const podMonitor = only(synth({ prometheusMonitor: PrometheusMonitor.POD_MONITOR }).objects, 'PodMonitor');
  const rule = only((() => { const c = Testing.chart(); addPrometheusRule(c, resolveEnsemble({}, 'zk'), RULES); return Testing.synth(c); })(), 'PrometheusRule');

  it('the strict project schema rejects unknown fields and wrong types', () => {
    expect(validateObject(mutate(serviceMonitor, (o) => { o.spec.endpoints[0].scrapeTimout = '5s'; })))
      .toEqual([expect.stringMatching(/spec\.endpoints\[0\]\.scrapeTimout: unknown field .*did you mean "scrapeTimeout"/)]);
    expect(validateObject(mutate(serviceMonitor, (o) => { o.spec.endpoints[0].interval = 30; })))
      .toEqual([expect.stringMatching(/spec\.endpoints\[0\]\.interval: expected string/)]);
    expect(validateObject(mutate(podMonitor, (o) => { o.spec.podMetricsEndpoints[0].relabelings[0].sourceLabels = ['app.kubernetes.io/instance']; })))
      .toEqual([expect.stringMatching(/sourceLabels\[0\]: .* does not match pattern/)]);
    expect(validateObject(mutate(rule, (o) => { o.spec.groups[0].rules[0].for = '5 minutes'; })))
      .toEqual([expect.stringMatching(/rules\[0\]\.for: .* does not match pattern/)]);
    expect(validateObject(mutate(rule, (o) => { delete o.spec.groups[0].rules[0].expr; })))
      .toEqual([expect.stringMatching(/rules\[0\]\.expr: required field is missing/)]);
  });

  it('the published schema rejects wrong types and missing required fields', () => {
    expect(upstreamProblems(mutate(serviceMonitor, (o) => { o.spec.endpoints[0].interval = 30; }))).toMatch(/endpoints\/0\/interval must be string/);
    expect(upstreamProblems(mutate(podMonitor, (o) => { delete o.spec.selector; }))).toMatch(/spec must have required property selector/);
    expect(upstreamProblems(mutate(rule, (o) => { o.spec.groups[0].rules[0].for = '5 minutes'; }))).toMatch(/rules\/0\/for must match pattern/);
  });
});

describe('imports/', () => {
  it('holds CustomResourceDefinitions the API server would accept', () => {
    expect(crds.map((c) => c.spec.names.kind)).toEqual(['ServiceMonitor', 'PodMonitor', 'PrometheusRule']);
    expect(validateObjects(crds)).toEqual([]);
  });

  it('`npm run import` regenerates the committed bindings byte for byte', () => {
    // GIVEN a scratch project holding only the schema files
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-import-'));
    try {
      fs.mkdirSync(path.join(dir, 'imports'));
      for (const file of fs.readdirSync(path.join(ROOT, 'imports')).filter((f) => f.endsWith('.crds.yaml'))) {
        fs.copyFileSync(path.join(ROOT, 'imports', file), path.join(dir, 'imports', file));
      }
      // WHEN the import runs there, as npm would run the script
      execFileSync('sh', ['-c', IMPORT_COMMAND], {
        cwd: dir,
        env: { ...process.env, PATH: `${path.join(ROOT, 'node_modules', '.bin')}${path.delimiter}${process.env.PATH}` },
        stdio: 'pipe',
        timeout: 30_000,
      });
      // THEN it produced exactly the committed files, nothing more or less
      const generated = fs.readdirSync(path.join(dir, 'imports')).filter((f) => f.endsWith('.ts')).sort();
      const committed = fs.readdirSync(path.join(ROOT, 'imports')).filter((f) => f.endsWith('.ts')).sort();
      expect(generated).toEqual(committed);
      for (const file of generated) {
        expect(fs.readFileSync(path.join(dir, 'imports', file)).equals(fs.readFileSync(path.join(ROOT, 'imports', file)))).toBe(true);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('imports/README.md quotes the same command', () => {
    expect(fs.readFileSync(path.join(ROOT, 'imports', 'README.md'), 'utf8')).toContain(`\`${IMPORT_COMMAND}\``);
  });

  it('package.json\'s "import" script is the command checked above', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.scripts.import).toBe(IMPORT_COMMAND);
  });
});
