// Semantic checks the API server performs in Go (pkg/apis/*/validation) that the OpenAPI document
// cannot express. Hooks run wherever their definition is reached, so a pod template is checked the
// same way inside a StatefulSet, a Deployment or a CronJob.
import {
  Check, dns1035Label, dns1123Label, dns1123Subdomain, ianaSvcName, labelValue, parseQuantity,
  pathSegmentName, portNumber, qualifiedName,
} from './formats';
import { formatPath, isRecord, Path, WalkContext } from './walk';

type Hook = (value: unknown, at: Path, cx: WalkContext) => void;
type Report = (at: Path, message: string) => void;

const CORE = 'io.k8s.api.core.v1';
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

const list = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.filter(isRecord) : []);
const strings = (v: unknown): Record<string, string> =>
  isRecord(v) ? Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string')) : {};

function check(report: Report, at: Path, value: unknown, rule: Check): void {
  if (typeof value !== 'string') return; // wrong types are the schema's business
  const bad = rule(value);
  if (bad) report(at, bad);
}

function checkLabelMap(report: Report, at: Path, map: unknown): void {
  for (const [k, v] of Object.entries(strings(map))) {
    check(report, [...at, k], k, qualifiedName);
    check(report, [...at, k], v, labelValue);
  }
}

/** A port given as int or named string (probes, targetPort, NetworkPolicy). */
function checkIntOrNamedPort(report: Report, at: Path, port: unknown): void {
  if (typeof port === 'number') {
    const bad = portNumber(port);
    if (bad) report(at, bad);
  } else check(report, at, port, ianaSvcName);
}

function checkPortField(report: Report, at: Path, v: unknown, what: string): void {
  if (typeof v !== 'number') return;
  const bad = portNumber(v, what);
  if (bad) report(at, bad);
}

const objectMeta: Hook = (meta, at, { report }) => {
  if (!isRecord(meta)) return;
  check(report, [...at, 'namespace'], meta.namespace, dns1123Label);
  checkLabelMap(report, [...at, 'labels'], meta.labels);
  const annotations = strings(meta.annotations);
  let size = 0;
  for (const [k, v] of Object.entries(annotations)) {
    // The API server lower-cases annotation keys before applying the qualified-name rule.
    check(report, [...at, 'annotations', k], k.toLowerCase(), qualifiedName);
    size += k.length + v.length;
  }
  if (size > 256 * 1024) report([...at, 'annotations'], `total size ${size} exceeds 262144 bytes`);
};

const labelSelector: Hook = (sel, at, { report }) => {
  if (!isRecord(sel)) return;
  checkLabelMap(report, [...at, 'matchLabels'], sel.matchLabels);
  list(sel.matchExpressions).forEach((req, i) => {
    const here = [...at, 'matchExpressions', i];
    check(report, [...here, 'key'], req.key, qualifiedName);
    const values = Array.isArray(req.values) ? req.values : [];
    if (req.operator === 'In' || req.operator === 'NotIn') {
      if (values.length === 0) report([...here, 'values'], `must be non-empty for operator ${req.operator}`);
      values.forEach((v, j) => check(report, [...here, 'values', j], v, labelValue));
    } else if (req.operator === 'Exists' || req.operator === 'DoesNotExist') {
      if (values.length > 0) report([...here, 'values'], `must be empty for operator ${req.operator}`);
    } else report([...here, 'operator'], `must be one of "In", "NotIn", "Exists", "DoesNotExist" (got ${JSON.stringify(req.operator)})`);
  });
};

function claimTemplateNames(root: Record<string, unknown>): string[] {
  if (root.kind !== 'StatefulSet' || !isRecord(root.spec)) return [];
  return list(root.spec.volumeClaimTemplates).map((t) => (isRecord(t.metadata) ? t.metadata.name : undefined))
    .filter((n): n is string => typeof n === 'string');
}

function checkUnique(report: Report, seen: Map<string, Path>, name: unknown, at: Path, what: string): void {
  if (typeof name !== 'string') return;
  const first = seen.get(name);
  if (first) report(at, `duplicate ${what} "${name}" (first used at ${formatPath(first)})`);
  else seen.set(name, at);
}

const podSpec: Hook = (spec, at, cx) => {
  if (!isRecord(spec)) return;
  const { report } = cx;
  const volumeNames = new Map<string, Path>();
  list(spec.volumes).forEach((v, i) => {
    check(report, [...at, 'volumes', i, 'name'], v.name, dns1123Label);
    checkUnique(report, volumeNames, v.name, [...at, 'volumes', i, 'name'], 'volume name');
  });
  // A StatefulSet's controller adds one pod volume per claim template, named after the template.
  const mountable = new Set([...volumeNames.keys(), ...claimTemplateNames(cx.root)]);
  const containerNames = new Map<string, Path>();
  const portNames = new Map<string, Path>();
  for (const group of ['initContainers', 'containers', 'ephemeralContainers']) {
    list(spec[group]).forEach((c, i) => {
      const here = [...at, group, i];
      check(report, [...here, 'name'], c.name, dns1123Label);
      checkUnique(report, containerNames, c.name, [...here, 'name'], 'container name');
      list(c.ports).forEach((p, j) => checkUnique(report, portNames, p.name, [...here, 'ports', j, 'name'], 'port name'));
      list(c.volumeMounts).forEach((m, j) => {
        check(report, [...here, 'volumeMounts', j, 'name'], m.name, dns1123Label);
        if (typeof m.name === 'string' && !mountable.has(m.name)) {
          report([...here, 'volumeMounts', j, 'name'], `mounts "${m.name}", which is neither a pod volume nor a volume claim template`);
        }
      });
      // 1.28 sidecars: only init containers may set restartPolicy, and only to Always.
      if (c.restartPolicy !== undefined && (group !== 'initContainers' || c.restartPolicy !== 'Always')) {
        report([...here, 'restartPolicy'], group === 'initContainers' ? 'the only allowed value is "Always"' : 'may only be set on init containers');
      }
    });
  }
  checkLabelMap(report, [...at, 'nodeSelector'], spec.nodeSelector);
};

const containerPort: Hook = (p, at, { report }) => {
  if (!isRecord(p)) return;
  checkPortField(report, [...at, 'containerPort'], p.containerPort, 'containerPort');
  if (p.hostPort !== 0) checkPortField(report, [...at, 'hostPort'], p.hostPort, 'hostPort');
  check(report, [...at, 'name'], p.name, ianaSvcName);
};

const servicePort: Hook = (p, at, { report }) => {
  if (!isRecord(p)) return;
  checkPortField(report, [...at, 'port'], p.port, 'port');
  if (p.nodePort !== 0) checkPortField(report, [...at, 'nodePort'], p.nodePort, 'nodePort');
  if (p.targetPort !== undefined) checkIntOrNamedPort(report, [...at, 'targetPort'], p.targetPort);
  // Service port names end up in SRV records, so they follow DNS rules, not IANA ones.
  check(report, [...at, 'name'], p.name, dns1123Label);
};

const serviceSpec: Hook = (spec, at, { report }) => {
  if (!isRecord(spec)) return;
  const ports = list(spec.ports);
  const names = new Map<string, Path>();
  ports.forEach((p, i) => {
    if (ports.length > 1 && !p.name) report([...at, 'ports', i, 'name'], 'is required when a Service has more than one port');
    checkUnique(report, names, p.name, [...at, 'ports', i, 'name'], 'service port name');
  });
  checkLabelMap(report, [...at, 'selector'], spec.selector);
};

const portOf: Hook = (action, at, { report }) => {
  if (isRecord(action) && action.port !== undefined) checkIntOrNamedPort(report, [...at, 'port'], action.port);
};

const networkPolicyPort: Hook = (p, at, { report }) => {
  if (!isRecord(p)) return;
  if (p.port !== undefined) checkIntOrNamedPort(report, [...at, 'port'], p.port);
  checkPortField(report, [...at, 'endPort'], p.endPort, 'endPort');
  if (typeof p.endPort === 'number' && typeof p.port !== 'number') report([...at, 'endPort'], 'requires a numeric port');
  if (typeof p.endPort === 'number' && typeof p.port === 'number' && p.endPort < p.port) report([...at, 'endPort'], 'must be >= port');
};

const resourceRequirements: Hook = (r, at, { report }) => {
  if (!isRecord(r)) return;
  const requests = isRecord(r.requests) ? r.requests : {};
  const limits = isRecord(r.limits) ? r.limits : {};
  for (const [kind, map] of [['requests', requests], ['limits', limits]] as const) {
    for (const [name, q] of Object.entries(map)) {
      const v = parseQuantity(q);
      if (v !== undefined && v < 0) report([...at, kind, name], 'must be non-negative');
    }
  }
  for (const [name, q] of Object.entries(requests)) {
    const req = parseQuantity(q);
    const lim = parseQuantity(limits[name]);
    if (req !== undefined && lim !== undefined && req > lim) report([...at, 'requests', name], `${String(q)} exceeds the limit ${String(limits[name])}`);
  }
};

const ACCESS_MODES = ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'];
const pvcSpec: Hook = (spec, at, { report }) => {
  if (!isRecord(spec)) return;
  const modes = Array.isArray(spec.accessModes) ? spec.accessModes : [];
  if (modes.length === 0) report([...at, 'accessModes'], 'at least one access mode is required');
  modes.forEach((m, i) => {
    if (!ACCESS_MODES.includes(m as string)) report([...at, 'accessModes', i], `must be one of ${ACCESS_MODES.join(', ')} (got ${JSON.stringify(m)})`);
  });
  const requests = isRecord(spec.resources) && isRecord(spec.resources.requests) ? spec.resources.requests : {};
  const storage = parseQuantity(requests.storage);
  if (requests.storage === undefined) report([...at, 'resources', 'requests', 'storage'], 'required field is missing');
  else if (storage !== undefined && storage <= 0) report([...at, 'resources', 'requests', 'storage'], 'must be greater than zero');
};

const pdbSpec: Hook = (spec, at, { report }) => {
  if (!isRecord(spec)) return;
  if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined) report([...at, 'maxUnavailable'], 'minAvailable and maxUnavailable cannot both be set');
  for (const field of ['minAvailable', 'maxUnavailable']) {
    const v = spec[field];
    if (typeof v === 'number' && v < 0) report([...at, field], 'must be non-negative');
    if (typeof v === 'string' && !/^(100|[1-9]?\d)%$/.test(v)) report([...at, field], `"${v}" must be an integer or a percentage between 0% and 100%`);
  }
};

/** Whether a pod with these labels is selected, per LabelSelector semantics. */
export function selects(selector: Record<string, unknown>, labels: Record<string, string>): boolean {
  const byLabels = Object.entries(strings(selector.matchLabels)).every(([k, v]) => labels[k] === v);
  return byLabels && list(selector.matchExpressions).every((e) => {
    const values = Array.isArray(e.values) ? e.values : [];
    const has = typeof e.key === 'string' && e.key in labels;
    const value = typeof e.key === 'string' ? labels[e.key] : undefined;
    if (e.operator === 'In') return has && values.includes(value);
    if (e.operator === 'NotIn') return !has || !values.includes(value);
    if (e.operator === 'Exists') return has;
    return e.operator === 'DoesNotExist' ? !has : false;
  });
}

const workloadSpec: Hook = (spec, at, { report }) => {
  if (!isRecord(spec)) return;
  if (typeof spec.replicas === 'number' && spec.replicas < 0) report([...at, 'replicas'], 'must be non-negative');
  const template = isRecord(spec.template) && isRecord(spec.template.metadata) ? spec.template.metadata : {};
  if (isRecord(spec.selector) && !selects(spec.selector, strings(template.labels))) {
    report([...at, 'selector'], 'does not match template labels (spec.template.metadata.labels)');
  }
};

export const HOOKS: Record<string, Hook> = {
  [`${META}.ObjectMeta`]: objectMeta,
  [`${META}.LabelSelector`]: labelSelector,
  [`${CORE}.PodSpec`]: podSpec,
  [`${CORE}.ContainerPort`]: containerPort,
  [`${CORE}.ServiceSpec`]: serviceSpec,
  [`${CORE}.ServicePort`]: servicePort,
  [`${CORE}.HTTPGetAction`]: portOf,
  [`${CORE}.TCPSocketAction`]: portOf,
  [`${CORE}.GRPCAction`]: portOf,
  [`${CORE}.ResourceRequirements`]: resourceRequirements,
  [`${CORE}.PersistentVolumeClaimSpec`]: pvcSpec,
  'io.k8s.api.networking.v1.NetworkPolicyPort': networkPolicyPort,
  'io.k8s.api.policy.v1.PodDisruptionBudgetSpec': pdbSpec,
  'io.k8s.api.apps.v1.StatefulSetSpec': workloadSpec,
  'io.k8s.api.apps.v1.DeploymentSpec': workloadSpec,
  'io.k8s.api.apps.v1.ReplicaSetSpec': workloadSpec,
  'io.k8s.api.apps.v1.DaemonSetSpec': workloadSpec,
};

const RBAC = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']);

/** metadata.name rules differ per kind (pkg/apis/core/validation ValidateXName functions). */
export function checkObjectName(obj: Record<string, unknown>, report: Report): void {
  const meta = isRecord(obj.metadata) ? obj.metadata : {};
  const at = ['metadata', 'name'];
  if (meta.name === undefined) return report(at, 'required field is missing');
  if (typeof meta.name !== 'string') return;
  const name = meta.name;
  const kind = obj.kind;
  const rule = kind === 'Namespace' ? dns1123Label : kind === 'Service' ? dns1035Label
    : typeof kind === 'string' && RBAC.has(kind) ? pathSegmentName : dns1123Subdomain;
  check(report, at, name, rule);
  if (kind !== 'StatefulSet' || !isRecord(obj.spec)) return;
  // Pods are named <sts>-<ordinal> and that name is also their hostname, so it must be a label.
  const start = isRecord(obj.spec.ordinals) && typeof obj.spec.ordinals.start === 'number' ? obj.spec.ordinals.start : 0;
  const replicas = typeof obj.spec.replicas === 'number' ? obj.spec.replicas : 1;
  const lastPod = `${name}-${start + Math.max(replicas, 1) - 1}`;
  const bad = dns1123Label(lastPod);
  if (bad) report(at, `pod name ${lastPod}: ${bad}`);
  // Pods carry controller-revision-hash=<sts>-<hash of up to 10 chars>; that value must fit in a label.
  if (name.length > 52) report(at, `must be no more than 52 characters so the controller-revision-hash label "${name}-<hash>" fits in 63`);
}
