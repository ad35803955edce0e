// Offline validator for the plain objects cdk8s synthesizes, against the Kubernetes 1.28 API.
//
// Schema data: kubernetes-models@4.3.1 (npm; devDependency), whose definitions are generated from
// Kubernetes v1.27.1 -- no npm package ships the 1.28 OpenAPI document as JSON. Established by:
// its README badge (kubernetes-1.27.1); fingerprint fields (has Container.resizePolicy, new in 1.27;
// lacks Container.restartPolicy, new in 1.28); and comparing the property names of all its
// definitions with @kubernetes/client-node 0.19.0, generated from "release-1.27": 460 identical,
// 4 differing only by properties the kubernetes-models generator strips (`description`,
// `x-kubernetes-*`). Later kubernetes-models releases skip 1.28: 4.4.x is still 1.27.1 but ships
// only precompiled ajv code, 4.5.x is 1.33 and 5.x is 1.34 (ESM-only).
//
// The gap to 1.28 is closed in ./k8s-schema/schemas.ts from a diff of @kubernetes/client-node
// 0.19.0 against 0.20.0 ("release-1.28"): Container/EphemeralContainer.restartPolicy (sidecars),
// JobSpec backoffLimitPerIndex/maxFailedIndexes/podReplacementPolicy, JobStatus
// failedIndexes/terminating, PodFailurePolicyRule action FailIndex, PVC status
// allocatedResourceStatuses (resizeStatus removed), PV status lastPhaseTransitionTime, PodStatus
// hostIPs/resourceClaimStatuses, flowcontrol PriorityLevelConfigurationSpec.exempt,
// NetworkPolicy.status removed, CRD ValidationRule fieldPath/reason. Group-versions no longer served
// (extensions/v1beta1, policy/v1beta1, ...) are rejected. Not covered: kinds new in 1.28
// (admissionregistration v1beta1 ValidatingAdmissionPolicy, authentication v1 SelfSubjectReview)
// and enum additions other than FailIndex (the client-node models do not carry enums).
import { getCatalog, JsonSchema, OBJECT_META } from './k8s-schema/schemas';
import { checkObjectName, HOOKS, selects } from './k8s-schema/rules';
import { formatPath, isRecord, Path, walk } from './k8s-schema/walk';

export const SCHEMA_SOURCE = 'kubernetes-models@4.3.1 (Kubernetes v1.27.1) patched to Kubernetes 1.28';

const custom = new Map<string, JsonSchema>();

/**
 * Adds (or replaces) the schema for a kind, e.g. a CRD's `openAPIV3Schema`. apiVersion, kind and
 * metadata are supplied here, with metadata checked as a real ObjectMeta. `$ref`s may name any
 * built-in definition by id, e.g. `io.k8s.api.core.v1.PodTemplateSpec`. Objects declaring
 * `properties` reject unknown fields unless they set `x-kubernetes-preserve-unknown-fields: true`.
 */
export function registerSchema(apiVersion: string, kind: string, jsonSchema: object): void {
  const s = jsonSchema as JsonSchema;
  custom.set(`${apiVersion}|${kind}`, {
    ...s,
    type: 'object',
    properties: {
      ...(s.properties as object | undefined),
      apiVersion: { type: 'string', enum: [apiVersion] },
      kind: { type: 'string', enum: [kind] },
      metadata: { $ref: `${OBJECT_META}#` },
    },
    required: [...new Set([...((s.required as string[] | undefined) ?? []), 'apiVersion', 'kind'])],
  });
}

function schemaFor(apiVersion: unknown, kind: unknown): JsonSchema | string {
  const key = `${String(apiVersion)}|${String(kind)}`;
  const { defs, kinds } = getCatalog();
  const found = custom.get(key) ?? defs.get(kinds.get(key) ?? '');
  if (found) return found;
  const elsewhere = [...kinds.keys(), ...custom.keys()].filter((k) => k.endsWith(`|${String(kind)}`)).map((k) => k.split('|')[0]);
  const hint = elsewhere.length ? `; ${String(kind)} is served as ${elsewhere.join(', ')}` : '; register a schema for custom resources';
  return `unknown apiVersion/kind ${JSON.stringify(apiVersion)}/${JSON.stringify(kind)} for Kubernetes 1.28${hint}`;
}

function label(obj: Record<string, unknown>): string {
  const kind = typeof obj.kind === 'string' ? obj.kind : '?';
  const name = isRecord(obj.metadata) && typeof obj.metadata.name === 'string' ? obj.metadata.name : '<unnamed>';
  return `${kind}/${name}`;
}

/** Problems with one object, each as `<kind>/<name>: <json path>: <message>`; empty when valid. */
export function validateObject(obj: unknown): string[] {
  if (!isRecord(obj)) return [`?/?: (root): expected an object, got ${Array.isArray(obj) ? 'array' : typeof obj}`];
  const problems: string[] = [];
  const report = (at: Path, message: string) => void problems.push(`${label(obj)}: ${formatPath(at)}: ${message}`);
  const schema = schemaFor(obj.apiVersion, obj.kind);
  if (typeof schema === 'string') {
    report([obj.kind === undefined ? 'kind' : 'apiVersion'], schema);
    return problems;
  }
  walk(obj, schema, [], { defs: getCatalog().defs, hooks: HOOKS, root: obj, report });
  checkObjectName(obj, report);
  return problems;
}

/** Each object's problems plus those only visible across objects (duplicates, Service -> pod ports). */
export function validateObjects(objs: unknown[]): string[] {
  const problems = objs.flatMap(validateObject);
  const records = objs.filter(isRecord);
  const seen = new Map<string, number>();
  records.forEach((o, i) => {
    const meta = isRecord(o.metadata) ? o.metadata : {};
    const group = String(o.apiVersion).includes('/') ? String(o.apiVersion).split('/')[0] : '';
    const key = `${group}|${String(o.kind)}|${String(meta.namespace ?? '')}|${String(meta.name)}`;
    const first = seen.get(key);
    if (first !== undefined) problems.push(`${label(o)}: (root): duplicates object #${first} of the same kind, namespace and name`);
    else seen.set(key, i);
  });
  for (const svc of records.filter((o) => o.kind === 'Service' && o.apiVersion === 'v1')) problems.push(...checkServiceTargets(svc, records));
  return problems;
}

function podTemplateOf(o: Record<string, unknown>): { labels: Record<string, string>; ports: Set<string> } | undefined {
  const spec = isRecord(o.spec) ? o.spec : {};
  const jobTemplate = isRecord(spec.jobTemplate) && isRecord(spec.jobTemplate.spec) ? spec.jobTemplate.spec : {};
  const template = o.kind === 'Pod' ? o : o.kind === 'CronJob' ? jobTemplate.template : spec.template;
  if (!isRecord(template) || !isRecord(template.spec)) return undefined;
  const meta = isRecord(template.metadata) ? template.metadata : {};
  const labels = isRecord(meta.labels) ? (meta.labels as Record<string, string>) : {};
  const ports = new Set<string>();
  for (const group of ['containers', 'initContainers']) {
    const containers = template.spec[group];
    for (const c of Array.isArray(containers) ? containers.filter(isRecord) : []) {
      for (const p of Array.isArray(c.ports) ? c.ports.filter(isRecord) : []) if (typeof p.name === 'string') ports.add(p.name);
    }
  }
  return { labels, ports };
}

// A named targetPort is resolved per pod; a name no selected pod declares leaves the Service
// without endpoints, silently.
function checkServiceTargets(svc: Record<string, unknown>, all: Record<string, unknown>[]): string[] {
  const spec = isRecord(svc.spec) ? svc.spec : {};
  if (!isRecord(spec.selector) || Object.keys(spec.selector).length === 0) return [];
  const ns = isRecord(svc.metadata) ? svc.metadata.namespace : undefined;
  const selector = { matchLabels: spec.selector };
  const backends = all
    .filter((o) => o !== svc && (isRecord(o.metadata) ? o.metadata.namespace : undefined) === ns)
    .map((o) => ({ o, pod: podTemplateOf(o) }))
    .filter((b) => b.pod !== undefined && selects(selector, b.pod.labels));
  const problems: string[] = [];
  (Array.isArray(spec.ports) ? spec.ports : []).forEach((p: unknown, i) => {
    if (!isRecord(p) || typeof p.targetPort !== 'string') return;
    for (const { o, pod } of backends) {
      if (pod && !pod.ports.has(p.targetPort)) {
        problems.push(`${label(svc)}: ${formatPath(['spec', 'ports', i, 'targetPort'])}: "${p.targetPort}" names no container port of ${label(o)} (has ${[...pod.ports].join(', ') || 'none'})`);
      }
    }
  });
  return problems;
}
