// Turns synthesized manifests into what `podman kube play` runs. podman does not accept a
// StatefulSet, so each ordinal becomes a Pod the way the StatefulSet controller would create it:
// name `<sts>-<ordinal>`, hostname and subdomain for its DNS name, one PVC per claim template, and
// environment values from fieldRef/resourceFieldRef resolved as the kubelet would resolve them.
// Everything else (command, args, env, mounts, securityContext, probes) is the manifest's own.

/** A Kubernetes object as parsed from dist/ YAML. */
export type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; [k: string]: any }; [k: string]: any };

/** One member's pod and claims, ready for `podman kube play`. */
export interface ExpandedPod {
  readonly ordinal: number;
  readonly name: string;
  /** `<pod>.<service>.<namespace>.svc.<domain>`: the alias the pod gets on the podman network. */
  readonly fqdn: string;
  readonly pod: Manifest;
  readonly claims: Manifest[];
}

const BINARY_SUFFIXES: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
const DECIMAL_SUFFIXES: Record<string, number> = { m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** A Kubernetes quantity in base units (bytes, cores). */
export function parseQuantity(quantity: string | number): number {
  const match = /^([0-9.]+)([A-Za-z]*)$/.exec(String(quantity));
  const factor = match ? BINARY_SUFFIXES[match[2]] ?? DECIMAL_SUFFIXES[match[2]] : undefined;
  if (!match || factor === undefined) throw new Error(`not a quantity this harness understands: ${quantity}`);
  return Number(match[1]) * factor;
}

/** Sets `env` on a container spec, replacing its own value of a name it sets (a duplicate name would leave the winner to the runtime). */
export function withEnv(container: { env?: { name: string }[] }, env: Record<string, string>): void {
  container.env = [...(container.env ?? []).filter((e) => !(e.name in env)), ...Object.entries(env).map(([name, value]) => ({ name, value }))];
}

/** The objects of one kind (and name) in a manifest list. */
export function find(objects: Manifest[], kind: string, name?: string): Manifest[] {
  return objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
}

/** Expands the StatefulSet named `name` into one pod per ordinal in `ordinals` (default: all). */
export function expandStatefulSet(objects: Manifest[], name: string, clusterDomain: string): ExpandedPod[] {
  const [sts] = find(objects, 'StatefulSet', name);
  if (!sts) throw new Error(`no StatefulSet ${name} in the manifests`);
  const namespace = sts.metadata.namespace ?? 'default';
  return Array.from({ length: sts.spec.replicas }, (_, ordinal) => {
    const podName = `${name}-${ordinal}`;
    const template = structuredClone(sts.spec.template);
    const claims: Manifest[] = (sts.spec.volumeClaimTemplates ?? []).map((claim: any) => ({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: `${claim.metadata.name}-${podName}`, namespace, labels: claim.metadata.labels },
      spec: claim.spec,
    }));
    const spec = template.spec;
    spec.hostname = podName;
    spec.subdomain = sts.spec.serviceName;
    spec.volumes = [
      ...(spec.volumes ?? []),
      ...(sts.spec.volumeClaimTemplates ?? []).map((claim: any) => ({
        name: claim.metadata.name,
        persistentVolumeClaim: { claimName: `${claim.metadata.name}-${podName}` },
      })),
    ];
    const meta = { name: podName, namespace };
    for (const container of [...(spec.initContainers ?? []), ...spec.containers]) {
      container.env = (container.env ?? []).map((env: any) => resolveEnv(env, meta, spec));
    }
    return {
      ordinal,
      name: podName,
      fqdn: `${podName}.${sts.spec.serviceName}.${namespace}.svc.${clusterDomain}`,
      pod: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: podName,
          namespace,
          labels: { ...template.metadata.labels, 'statefulset.kubernetes.io/pod-name': podName },
          annotations: template.metadata.annotations,
        },
        spec,
      },
      claims,
    };
  });
}

/** An env entry with its valueFrom replaced by the value the kubelet would inject. */
function resolveEnv(env: any, meta: { name: string; namespace: string }, podSpec: any): any {
  if (!env.valueFrom) return env;
  // podman kube play resolves these itself from the ConfigMaps it is given (an optional one it is
  // not given leaves the variable unset, as the kubelet does).
  if (env.valueFrom.configMapKeyRef) return env;
  const { fieldRef, resourceFieldRef } = env.valueFrom;
  if (fieldRef) {
    const fields: Record<string, string> = { 'metadata.name': meta.name, 'metadata.namespace': meta.namespace };
    const value = fields[fieldRef.fieldPath];
    if (value === undefined) throw new Error(`fieldRef ${fieldRef.fieldPath} is not resolved by this harness`);
    return { name: env.name, value };
  }
  if (resourceFieldRef) {
    const container = podSpec.containers.find((c: any) => c.name === resourceFieldRef.containerName);
    const [scope, resource] = resourceFieldRef.resource.split('.');
    const quantity = container?.resources?.[scope === 'limits' ? 'limits' : 'requests']?.[resource];
    if (quantity === undefined) throw new Error(`${resourceFieldRef.resource} of ${resourceFieldRef.containerName} is not set; the kubelet would use node allocatable`);
    // The kubelet rounds up to a whole number of divisors.
    const value = Math.ceil(parseQuantity(quantity) / parseQuantity(resourceFieldRef.divisor ?? '1'));
    return { name: env.name, value: String(value) };
  }
  throw new Error(`env ${env.name}: valueFrom ${Object.keys(env.valueFrom).join(',')} is not resolved by this harness`);
}
