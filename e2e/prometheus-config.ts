// What the Prometheus Operator would make of a synthesized ServiceMonitor or PodMonitor, for a
// Prometheus that runs on the e2e host and has no Kubernetes API to discover from.
//
// The operator turns each monitor endpoint into a scrape_config with kubernetes_sd_configs and a
// fixed list of relabelings (pkg/prometheus/promcfg.go, generateServiceMonitorConfig and
// generatePodMonitorConfig). Here the discovery is replaced by a file_sd_configs file holding the
// targets Kubernetes service discovery would produce (role `endpoints` for a ServiceMonitor, `pod`
// for a PodMonitor), each with the `__meta_kubernetes_*` labels the operator's relabelings read.
// Every Service and pod of the watched namespaces becomes a target, and the relabelings do the
// selecting, as they do in a cluster. The relabelings are the operator's, unchanged.
//
// Only what the project's monitors use is translated. Any other field throws: a monitor this file
// does not understand must fail the e2e run, not be scraped approximately.
import { Manifest } from './expand';

export interface DiscoveredPort {
  readonly name?: string;
  readonly containerPort: number;
  readonly protocol?: string;
}

export interface DiscoveredContainer {
  readonly name: string;
  readonly init: boolean;
  readonly ports: readonly DiscoveredPort[];
}

/** A running pod as service discovery sees it. */
export interface DiscoveredPod {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly ip: string;
  /** The pod's Ready condition. */
  readonly ready: boolean;
  readonly containers: readonly DiscoveredContainer[];
}

/** One entry of a file_sd targets file. */
export interface TargetGroup {
  readonly targets: string[];
  readonly labels: Record<string, string>;
}

export interface ScrapeSetup {
  /** One scrape_config per monitor endpoint, named and ordered as the operator names them. */
  readonly scrapeConfigs: Record<string, unknown>[];
  /** The content of `targetsFile`, which every scrape_config reads. */
  readonly targetGroups: TargetGroup[];
}

/** A pod of the e2e harness (e.g. ExpandedPod.pod), running at `ip`. */
export function discoveredPod(pod: Manifest, ip: string, ready = true): DiscoveredPod {
  const container = (init: boolean) => (c: any): DiscoveredContainer => ({ name: c.name, init, ports: c.ports ?? [] });
  return {
    name: pod.metadata.name,
    namespace: pod.metadata.namespace ?? 'default',
    labels: pod.metadata.labels ?? {},
    ip,
    ready,
    containers: [...pod.spec.containers.map(container(false)), ...(pod.spec.initContainers ?? []).map(container(true))],
  };
}

/**
 * The scrape configs the operator would generate for `monitor`, reading their targets from
 * `targetsFile`, and that file's content for the given Services and pods.
 */
export function scrapeSetupFor(
  monitor: Manifest,
  cluster: { readonly services: readonly Manifest[]; readonly pods: readonly DiscoveredPod[] },
  targetsFile: string,
): ScrapeSetup {
  const { kind, metadata } = monitor;
  const shape = monitor.apiVersion === 'monitoring.coreos.com/v1' ? SUPPORTED[kind] : undefined;
  if (!shape) throw new Error(`${monitor.apiVersion}/${kind}: not a monitor this translation knows`);
  checkSupported(monitor, shape, `${kind}/${metadata.name}`);
  const namespace = metadata.namespace ?? 'default';
  const namespaces: string[] = monitor.spec.namespaceSelector?.matchNames ?? [namespace];
  const pods = cluster.pods.filter((p) => namespaces.includes(p.namespace));
  const isServiceMonitor = kind === 'ServiceMonitor';
  const endpoints: any[] = isServiceMonitor ? monitor.spec.endpoints : monitor.spec.podMetricsEndpoints;
  const scrapeConfigs = endpoints.map((endpoint, i) => {
    const at = `${kind}/${metadata.name}: endpoint ${i}`;
    if (typeof endpoint.port !== 'string') throw new Error(`${at}: only endpoints that name their port are translated`);
    const standard = isServiceMonitor
      ? serviceMonitorRelabelings(monitor, endpoint.port)
      : podMonitorRelabelings(monitor, endpoint.port);
    return {
      job_name: `${isServiceMonitor ? 'serviceMonitor' : 'podMonitor'}/${namespace}/${metadata.name}/${i}`,
      honor_labels: endpoint.honorLabels ?? false,
      file_sd_configs: [{ files: [targetsFile] }],
      ...(endpoint.interval !== undefined ? { scrape_interval: endpoint.interval } : {}),
      ...(endpoint.scrapeTimeout !== undefined ? { scrape_timeout: endpoint.scrapeTimeout } : {}),
      ...(endpoint.path !== undefined ? { metrics_path: endpoint.path } : {}),
      relabel_configs: [...standard, ...(endpoint.relabelings ?? []).map(prometheusRelabeling)],
    };
  });
  const services = cluster.services.filter((s) => s.kind === 'Service' && namespaces.includes(s.metadata.namespace ?? 'default'));
  return { scrapeConfigs, targetGroups: isServiceMonitor ? endpointTargets(services, pods) : podTargets(pods) };
}

// ---- what is understood --------------------------------------------------------------------

/** `true`: any value; an object: these keys only; a one-element array: a list of that shape. */
type Shape = true | { readonly [key: string]: Shape } | readonly [Shape];

const RELABELING: Shape = { sourceLabels: true, separator: true, targetLabel: true, regex: true, modulus: true, replacement: true, action: true };
const ENDPOINT: Shape = { port: true, path: true, interval: true, scrapeTimeout: true, honorLabels: true, relabelings: [RELABELING] };
const SELECTION: Record<string, Shape> = { selector: { matchLabels: true }, namespaceSelector: { matchNames: true } };
const SUPPORTED: Record<string, Shape> = {
  ServiceMonitor: { apiVersion: true, kind: true, metadata: true, spec: { ...SELECTION, endpoints: [ENDPOINT] } },
  PodMonitor: { apiVersion: true, kind: true, metadata: true, spec: { ...SELECTION, podMetricsEndpoints: [ENDPOINT] } },
};

function checkSupported(value: unknown, shape: Shape, at: string): void {
  if (shape === true || value === undefined) return;
  if (Array.isArray(shape)) {
    if (!Array.isArray(value)) throw new Error(`${at}: expected a list`);
    value.forEach((item, i) => checkSupported(item, shape[0], `${at}[${i}]`));
    return;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${at}: expected an object`);
  for (const [key, v] of Object.entries(value)) {
    const sub = (shape as Record<string, Shape>)[key];
    if (sub === undefined) throw new Error(`${at}.${key}: not supported by the e2e translation of monitors (e2e/prometheus-config.ts)`);
    checkSupported(v, sub, `${at}.${key}`);
  }
}

// ---- the operator's relabelings --------------------------------------------------------------

type Relabeling = Record<string, unknown>;

/** Prometheus' rule for label names: anything else becomes `_`. */
const sanitize = (name: string) => name.replace(/[^a-zA-Z0-9_]/g, '_');

const copy = (source: string, target: string): Relabeling => ({ source_labels: [source], target_label: target });

const dropFinishedPods: Relabeling = { action: 'drop', source_labels: ['__meta_kubernetes_pod_phase'], regex: '(Failed|Succeeded)' };

/** Keeps targets whose object (`service` or `pod`) carries every label of the selector. */
function keepSelected(object: 'service' | 'pod', matchLabels: Record<string, string> = {}): Relabeling[] {
  return Object.keys(matchLabels).sort().map((key) => ({
    action: 'keep',
    source_labels: [`__meta_kubernetes_${object}_label_${sanitize(key)}`, `__meta_kubernetes_${object}_labelpresent_${sanitize(key)}`],
    regex: `(${matchLabels[key]});true`,
  }));
}

function serviceMonitorRelabelings(monitor: Manifest, port: string): Relabeling[] {
  // A fresh array each time: a shared one would be written as a YAML anchor and alias.
  const targetRef = () => ['__meta_kubernetes_endpoint_address_target_kind', '__meta_kubernetes_endpoint_address_target_name'];
  return [
    copy('job', '__tmp_prometheus_job_name'),
    ...keepSelected('service', monitor.spec.selector.matchLabels),
    { action: 'keep', source_labels: ['__meta_kubernetes_endpoint_port_name'], regex: port },
    { source_labels: targetRef(), separator: ';', regex: 'Node;(.*)', replacement: '${1}', target_label: 'node' },
    { source_labels: targetRef(), separator: ';', regex: 'Pod;(.*)', replacement: '${1}', target_label: 'pod' },
    copy('__meta_kubernetes_namespace', 'namespace'),
    copy('__meta_kubernetes_service_name', 'service'),
    copy('__meta_kubernetes_pod_name', 'pod'),
    copy('__meta_kubernetes_pod_container_name', 'container'),
    dropFinishedPods,
    { source_labels: ['__meta_kubernetes_service_name'], target_label: 'job', replacement: '${1}' },
    { target_label: 'endpoint', replacement: port },
  ];
}

function podMonitorRelabelings(monitor: Manifest, port: string): Relabeling[] {
  return [
    copy('job', '__tmp_prometheus_job_name'),
    dropFinishedPods,
    ...keepSelected('pod', monitor.spec.selector.matchLabels),
    { action: 'keep', source_labels: ['__meta_kubernetes_pod_container_port_name'], regex: port },
    copy('__meta_kubernetes_namespace', 'namespace'),
    copy('__meta_kubernetes_pod_container_name', 'container'),
    copy('__meta_kubernetes_pod_name', 'pod'),
    { target_label: 'job', replacement: `${monitor.metadata.namespace}/${monitor.metadata.name}` },
    { target_label: 'endpoint', replacement: port },
  ];
}

/** A monitor's relabeling in Prometheus' syntax; the operator lower-cases the action. */
function prometheusRelabeling(r: any): Relabeling {
  const out: Relabeling = {};
  if (r.sourceLabels?.length) out.source_labels = r.sourceLabels;
  if (r.separator !== undefined) out.separator = r.separator;
  if (r.targetLabel !== undefined) out.target_label = r.targetLabel;
  if (r.regex !== undefined) out.regex = r.regex;
  if (r.modulus !== undefined) out.modulus = r.modulus;
  if (r.replacement !== undefined) out.replacement = r.replacement;
  if (r.action !== undefined) out.action = String(r.action).toLowerCase();
  return out;
}

// ---- Kubernetes service discovery, as a targets file ------------------------------------------

function labelsOf(prefix: string, labels: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels)) {
    out[`${prefix}_label_${sanitize(key)}`] = value;
    out[`${prefix}_labelpresent_${sanitize(key)}`] = 'true';
  }
  return out;
}

/** What both roles attach for a pod (the harness knows no node, uid, controller or annotations). */
function podMeta(pod: DiscoveredPod): Record<string, string> {
  return {
    __meta_kubernetes_namespace: pod.namespace,
    __meta_kubernetes_pod_name: pod.name,
    __meta_kubernetes_pod_ip: pod.ip,
    __meta_kubernetes_pod_ready: String(pod.ready),
    __meta_kubernetes_pod_phase: 'Running',
    ...labelsOf('__meta_kubernetes_pod', pod.labels),
  };
}

function containerPortMeta(container: DiscoveredContainer, port: DiscoveredPort): Record<string, string> {
  return {
    __meta_kubernetes_pod_container_name: container.name,
    __meta_kubernetes_pod_container_port_name: port.name ?? '',
    __meta_kubernetes_pod_container_port_number: String(port.containerPort),
    __meta_kubernetes_pod_container_port_protocol: port.protocol ?? 'TCP',
  };
}

/** Role `pod`: one target per container port, and a port-less one per container without ports. */
function podTargets(pods: readonly DiscoveredPod[]): TargetGroup[] {
  return pods.flatMap((pod) => pod.containers.flatMap((container) => {
    const meta = { ...podMeta(pod), __meta_kubernetes_pod_container_init: String(container.init) };
    if (container.ports.length === 0) return [{ targets: [pod.ip], labels: { ...meta, __meta_kubernetes_pod_container_name: container.name } }];
    return container.ports.map((port) => ({ targets: [`${pod.ip}:${port.containerPort}`], labels: { ...meta, ...containerPortMeta(container, port) } }));
  }));
}

/**
 * Role `endpoints`: per Service, the endpoints the endpoints controller would list (each selected
 * pod, per Service port whose target port the pod has), then every other container port of those
 * pods, as Prometheus adds them.
 */
function endpointTargets(services: readonly Manifest[], pods: readonly DiscoveredPod[]): TargetGroup[] {
  return services.filter((s) => s.spec?.selector && Object.keys(s.spec.selector).length > 0).flatMap((service) => {
    const group = {
      __meta_kubernetes_namespace: service.metadata.namespace ?? 'default',
      __meta_kubernetes_endpoints_name: service.metadata.name,
      __meta_kubernetes_service_name: service.metadata.name,
      ...labelsOf('__meta_kubernetes_service', service.metadata.labels ?? {}),
    };
    const selected = pods.filter((p) => p.namespace === group.__meta_kubernetes_namespace
      && Object.entries(service.spec.selector as Record<string, string>).every(([k, v]) => p.labels[k] === v));
    const covered = new Map<DiscoveredPod, Set<number>>(selected.map((p) => [p, new Set()]));
    const groups: TargetGroup[] = [];
    for (const servicePort of service.spec.ports ?? []) {
      for (const pod of selected) {
        const found = resolveTargetPort(pod, servicePort);
        if (!found) continue;
        covered.get(pod)!.add(found.number);
        groups.push({
          targets: [`${pod.ip}:${found.number}`],
          labels: {
            ...group,
            ...podMeta(pod),
            ...(found.container && found.port ? containerPortMeta(found.container, found.port) : {}),
            __meta_kubernetes_endpoint_port_name: servicePort.name ?? '',
            __meta_kubernetes_endpoint_port_protocol: servicePort.protocol ?? 'TCP',
            __meta_kubernetes_endpoint_ready: String(pod.ready || service.spec.publishNotReadyAddresses === true),
            __meta_kubernetes_endpoint_address_target_kind: 'Pod',
            __meta_kubernetes_endpoint_address_target_name: pod.name,
          },
        });
      }
    }
    for (const pod of selected) {
      for (const container of pod.containers.filter((c) => !c.init)) {
        for (const port of container.ports.filter((p) => !covered.get(pod)!.has(p.containerPort))) {
          groups.push({ targets: [`${pod.ip}:${port.containerPort}`], labels: { ...group, ...podMeta(pod), ...containerPortMeta(container, port) } });
        }
      }
    }
    return groups;
  });
}

/**
 * Where a Service port forwards to on `pod`: a named target port the pod does not declare means no
 * endpoint; a numeric one need not be declared (the container labels are then missing).
 */
function resolveTargetPort(pod: DiscoveredPod, servicePort: any): { number: number; container?: DiscoveredContainer; port?: DiscoveredPort } | undefined {
  const target = servicePort.targetPort ?? servicePort.port;
  for (const container of pod.containers.filter((c) => !c.init)) {
    const port = container.ports.find((p) => (typeof target === 'string' ? p.name === target : p.containerPort === target));
    if (port) return { number: port.containerPort, container, port };
  }
  return typeof target === 'number' ? { number: target } : undefined;
}
