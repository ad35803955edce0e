/**
 * Changes Kubernetes will not make in place. The API server refuses an update of a StatefulSet's
 * spec outside a few fields ("updates to statefulset spec for fields other than ... are
 * forbidden"), so `kubectl apply` fails and an Argo CD sync retries for ever. The synthesis
 * compares each new StatefulSet with the one dist/ held before and says so while the diff is still
 * under review, with the way through for the common case: a grown volume.
 */

/** The StatefulSet spec fields an update may change (Kubernetes 1.28); any other is refused. */
const MUTABLE_SPEC_FIELDS = ['replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'];

export interface StatefulSet {
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Readonly<Record<string, string>> };
  readonly spec: Record<string, unknown> & {
    readonly replicas?: number;
    readonly volumeClaimTemplates?: readonly ClaimTemplate[];
  };
}

interface ClaimTemplate {
  readonly metadata: { readonly name: string };
  readonly spec: { readonly resources?: { readonly requests?: { readonly storage?: string } } } & Record<string, unknown>;
}

/**
 * One message per StatefulSet of `after` whose refused fields differ from its namesake in `before`.
 *
 * @param file the manifest as the user knows it (`dist/prod/zookeeper.k8s.yaml`), named in the message
 */
export function refusedUpdates(before: readonly unknown[], after: readonly unknown[], file: string): string[] {
  const previous = new Map(statefulSets(before).map((sts) => [identity(sts), sts]));
  return statefulSets(after).flatMap((sts) => {
    const old = previous.get(identity(sts));
    if (!old) return [];
    const changed = refusedFields(old, sts);
    if (changed.length === 0) return [];
    const heading = `${file}: StatefulSet ${identity(sts)} changes spec.${changed.join(', spec.')}, which Kubernetes does not update in place: `
      + 'kubectl apply fails and an Argo CD sync keeps retrying until the StatefulSet is re-created.';
    const growth = changed.length === 1 && changed[0] === 'volumeClaimTemplates' ? claimGrowth(old, sts) : undefined;
    const shrunk = shrunkClaims(old, sts);
    const shrinking = shrunk.length === 0 ? ''
      : ` A claim never shrinks: the existing ${shrunk.join(' and ')} claims keep their size, and only claims created later get the new one.`;
    return [growth ? `${heading}\n${growth}` : `${heading}\n${recreation(sts)}${shrinking}`];
  });
}

/** The StatefulSets among manifest objects. */
export function statefulSets(objects: readonly unknown[]): StatefulSet[] {
  return objects.filter((o): o is StatefulSet => (o as StatefulSet | null)?.kind === 'StatefulSet');
}

/** `namespace/name`, as the notices name a StatefulSet. */
export function identity(sts: StatefulSet): string {
  return `${sts.metadata.namespace ?? 'default'}/${sts.metadata.name}`;
}

function refusedFields(before: StatefulSet, after: StatefulSet): string[] {
  const fields = [...new Set([...Object.keys(before.spec), ...Object.keys(after.spec)])].sort();
  return fields.filter((field) => !MUTABLE_SPEC_FIELDS.includes(field) && JSON.stringify(before.spec[field]) !== JSON.stringify(after.spec[field]));
}

/**
 * The commands for claims that only grew: each existing claim is resized (the expansion the
 * StorageClass must allow), then the StatefulSet goes without its pods and the apply re-creates it.
 * Undefined when anything else about the claims changed (a new, removed or smaller claim, another
 * StorageClass or access mode): existing claims cannot follow those.
 */
function claimGrowth(before: StatefulSet, after: StatefulSet): string | undefined {
  const oldClaims = before.spec.volumeClaimTemplates ?? [];
  const newClaims = after.spec.volumeClaimTemplates ?? [];
  if (oldClaims.length !== newClaims.length) return undefined;
  const grown: { name: string; from: string; to: string }[] = [];
  for (const [i, claim] of newClaims.entries()) {
    const old = oldClaims[i];
    const [from, to] = [storage(old), storage(claim)];
    if (old.metadata.name !== claim.metadata.name || from === undefined || to === undefined) return undefined;
    if (JSON.stringify(withoutStorage(old)) !== JSON.stringify(withoutStorage(claim))) return undefined;
    if (from === to) continue;
    if (!(bytes(to) > bytes(from))) return undefined;
    grown.push({ name: claim.metadata.name, from, to });
  }
  if (grown.length === 0) return undefined;
  const { name, namespace = 'default' } = after.metadata;
  const members = before.spec.replicas ?? 1;
  const patches = grown.flatMap((claim) => [...Array(members).keys()].map((ordinal) =>
    `  kubectl -n ${namespace} patch pvc ${claim.name}-${name}-${ordinal} -p '{"spec":{"resources":{"requests":{"storage":"${claim.to}"}}}}'`));
  return [
    `To grow ${grown.map((c) => `${c.name} from ${c.from} to ${c.to}`).join(' and ')} (the claims' StorageClass must allow volume expansion), before applying:`,
    ...patches,
    `  kubectl -n ${namespace} delete statefulset ${name} --cascade=orphan    # the pods keep running`,
    'then apply or sync as usual: the new StatefulSet adopts the running pods and restarts none. docs/volumes.md has the whole procedure.',
  ].join('\n');
}

/** The claim templates, by name, whose storage is smaller than before. */
function shrunkClaims(before: StatefulSet, after: StatefulSet): string[] {
  const old = new Map((before.spec.volumeClaimTemplates ?? []).map((claim) => [claim.metadata.name, storage(claim)]));
  return (after.spec.volumeClaimTemplates ?? [])
    .filter((claim) => bytes(storage(claim) ?? '') < bytes(old.get(claim.metadata.name) ?? ''))
    .map((claim) => claim.metadata.name);
}

function recreation(sts: StatefulSet): string {
  const { name, namespace = 'default' } = sts.metadata;
  return `To apply it: kubectl -n ${namespace} delete statefulset ${name} --cascade=orphan (the pods and their claims stay), then apply or sync; `
    + 'docs/volumes.md says what the re-created StatefulSet does with the running pods.';
}

function storage(claim: ClaimTemplate | undefined): string | undefined {
  return claim?.spec.resources?.requests?.storage;
}

function withoutStorage(claim: ClaimTemplate): unknown {
  const requests = { ...claim.spec.resources?.requests, storage: undefined };
  return { ...claim, spec: { ...claim.spec, resources: { ...claim.spec.resources, requests } } };
}

/** A quantity such as `20Gi` or `500Mi` in bytes; the synthesis writes only binary suffixes. */
function bytes(quantity: string): number {
  const units: Record<string, number> = { '': 1, 'Ki': 2 ** 10, 'Mi': 2 ** 20, 'Gi': 2 ** 30, 'Ti': 2 ** 40, 'Pi': 2 ** 50 };
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|Pi)?$/.exec(quantity);
  if (!match) return NaN;
  return Number(match[1]) * units[match[2] ?? ''];
}
