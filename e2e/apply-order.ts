// How the objects of a dist/ folder reach the cluster, played two ways:
// - `kubectl apply`: every object is sent in one pass and nothing waits for anything; the
//   controllers then act on all of them at once. `-k` sends them in kustomize's legacy order
//   (Namespace first; api/resid/gvk.go), `-f` in file-name order, each file's documents as written.
// - an Argo CD sync (gitops-engine pkg/sync): PreSync hooks, then the Sync phase wave by wave
//   (`argocd.argoproj.io/sync-wave` ascending, 0 when unset), then PostSync hooks; each step's
//   objects are applied, then Argo CD waits until all are healthy (hooks: finished) before the next.
//   Hooks are deleted as `argocd.argoproj.io/hook-delete-policy` says.
// The plans are pure; `runSteps` plays one against whatever applies objects and tells their health.
import { Manifest } from './expand';

export const SYNC_WAVE = 'argocd.argoproj.io/sync-wave';
export const HOOK = 'argocd.argoproj.io/hook';
export const HOOK_DELETE_POLICY = 'argocd.argoproj.io/hook-delete-policy';

/** kustomize's legacy order: these kinds first, in this order (`orderFirst`), two webhook kinds last. */
const KUSTOMIZE_FIRST = ['Namespace', 'ResourceQuota', 'StorageClass', 'CustomResourceDefinition', 'ServiceAccount', 'PodSecurityPolicy',
  'Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding', 'ConfigMap', 'Secret', 'Endpoints', 'Service', 'LimitRange', 'PriorityClass',
  'PersistentVolume', 'PersistentVolumeClaim', 'Deployment', 'StatefulSet', 'CronJob', 'PodDisruptionBudget'];
const KUSTOMIZE_LAST = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'];

/** gitops-engine's kind order within one wave (pkg/sync/sync_tasks.go, Helm's); other kinds after these. */
const ARGO_KIND_ORDER = ['Namespace', 'NetworkPolicy', 'ResourceQuota', 'LimitRange', 'PodSecurityPolicy', 'PodDisruptionBudget',
  'ServiceAccount', 'Secret', 'SecretList', 'ConfigMap', 'StorageClass', 'PersistentVolume', 'PersistentVolumeClaim',
  'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleList', 'ClusterRoleBinding', 'ClusterRoleBindingList', 'Role', 'RoleList',
  'RoleBinding', 'RoleBindingList', 'Service', 'DaemonSet', 'Pod', 'ReplicationController', 'ReplicaSet', 'Deployment',
  'HorizontalPodAutoscaler', 'StatefulSet', 'Job', 'CronJob', 'IngressClass', 'Ingress', 'APIService'];

const ARGO_PHASES = ['PreSync', 'Sync', 'PostSync'] as const;
export type SyncPhase = typeof ARGO_PHASES[number];

/** One step of an apply: objects sent together; with `waitHealthy`, the next step waits for them. */
export interface ApplyStep {
  readonly label: string;
  readonly objects: Manifest[];
  readonly waitHealthy: boolean;
}

const identity = (o: Manifest) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** kustomize's `Gvk.String()`: group (`~G` for the core group), version, kind. */
function gvkString(o: Manifest): string {
  const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['~G', o.apiVersion];
  return `${group}_${version}_${o.kind}`;
}

function kustomizeRank(kind: string): number {
  if (KUSTOMIZE_FIRST.includes(kind)) return KUSTOMIZE_FIRST.indexOf(kind) - KUSTOMIZE_FIRST.length;
  return KUSTOMIZE_LAST.includes(kind) ? 1 + KUSTOMIZE_LAST.indexOf(kind) : 0;
}

/** The order `kubectl apply -k` sends objects in: kustomize's legacy sort by kind, then group/version/kind, then namespace and name. */
export function kustomizeOrder(objects: readonly Manifest[]): Manifest[] {
  return [...objects].sort((a, b) => kustomizeRank(a.kind) - kustomizeRank(b.kind)
    || (gvkString(a) === gvkString(b) ? identity(a).localeCompare(identity(b)) : gvkString(a) < gvkString(b) ? -1 : 1));
}

/**
 * `kubectl apply` of a folder: one step, nothing waited for. With `-k` the kustomization's objects
 * in kustomize's order; with `-f` every file's objects, files in name order (hook files included:
 * kubectl does not know Argo CD's annotations).
 */
export function kubectlApply(files: Readonly<Record<string, readonly Manifest[]>>, how: '-k' | '-f', kustomization?: readonly string[]): ApplyStep[] {
  if (how === '-k') {
    if (!kustomization) throw new Error('kubectl apply -k needs the kustomization\'s resources');
    return [{ label: 'kubectl apply -k', objects: kustomizeOrder(kustomization.flatMap((file) => files[file] ?? [])), waitHealthy: false }];
  }
  const names = Object.keys(files).sort();
  return [{ label: 'kubectl apply -f', objects: names.flatMap((file) => [...files[file]]), waitHealthy: false }];
}

/** The Argo CD phases of an object: a hook's from its annotation, every other object's is Sync. */
export function phasesOf(o: Manifest): string[] {
  const hook = o.metadata.annotations?.[HOOK];
  return hook === undefined ? ['Sync'] : String(hook).split(',').map((p) => p.trim());
}

export function waveOf(o: Manifest): number {
  const wave = o.metadata.annotations?.[SYNC_WAVE];
  return wave === undefined ? 0 : Number(wave);
}

const argoKindRank = (kind: string) => (ARGO_KIND_ORDER.includes(kind) ? ARGO_KIND_ORDER.indexOf(kind) - ARGO_KIND_ORDER.length : 0);

/**
 * An Argo CD sync of these objects: one step per phase and wave, in phase order then wave order,
 * each waited for; within a step, Argo CD's kind order then name. SyncFail and Skip hooks are not
 * part of a sync that succeeds, so they get no step.
 */
export function argoSync(objects: readonly Manifest[]): ApplyStep[] {
  const steps: ApplyStep[] = [];
  for (const phase of ARGO_PHASES) {
    const inPhase = objects.filter((o) => phasesOf(o).includes(phase));
    for (const wave of [...new Set(inPhase.map(waveOf))].sort((a, b) => a - b)) {
      const step = inPhase.filter((o) => waveOf(o) === wave)
        .sort((a, b) => argoKindRank(a.kind) - argoKindRank(b.kind) || a.metadata.name.localeCompare(b.metadata.name));
      steps.push({ label: `${phase} wave ${wave}`, objects: step, waitHealthy: true });
    }
  }
  return steps;
}

export type HookDeletePolicy = 'BeforeHookCreation' | 'HookSucceeded' | 'HookFailed';

/** A hook's deletion policies; BeforeHookCreation when it names none (gitops-engine's default). */
export function hookDeletePolicies(o: Manifest): HookDeletePolicy[] {
  const text = o.metadata.annotations?.[HOOK_DELETE_POLICY];
  return text === undefined ? ['BeforeHookCreation'] : String(text).split(',').map((p) => p.trim() as HookDeletePolicy);
}

/**
 * What happens to a hook object around its run: whether an existing object of its name is
 * deleted before it is created (so a Job of an unchanged name runs again on every sync), and
 * whether it is deleted once it finished with `outcome`.
 */
export function hookLifecycle(o: Manifest, outcome: 'succeeded' | 'failed'): { deleteBefore: boolean; deleteAfter: boolean } {
  const policies = hookDeletePolicies(o);
  return {
    deleteBefore: policies.includes('BeforeHookCreation'),
    deleteAfter: policies.includes(outcome === 'succeeded' ? 'HookSucceeded' : 'HookFailed'),
  };
}

/** Argo CD's health of a StatefulSet (gitops-engine pkg/health/health_statefulset.go). */
export function argoStatefulSetHealth(statefulSet: Manifest, status: { observedGeneration: number; generation: number; readyReplicas: number;
  updatedReplicas: number; currentRevision: string; updateRevision: string }): 'Healthy' | 'Progressing' {
  const replicas = statefulSet.spec.replicas ?? 1;
  if (status.observedGeneration === 0 || status.generation > status.observedGeneration) return 'Progressing';
  if (status.readyReplicas < replicas) return 'Progressing';
  const strategy = statefulSet.spec.updateStrategy;
  if ((strategy?.type ?? 'RollingUpdate') === 'RollingUpdate' && strategy?.rollingUpdate !== undefined) {
    return status.updatedReplicas < replicas - (strategy.rollingUpdate.partition ?? 0) ? 'Progressing' : 'Healthy';
  }
  if (strategy?.type === 'OnDelete') return 'Healthy';
  return status.updateRevision !== status.currentRevision ? 'Progressing' : 'Healthy';
}

/** Whatever plays the cluster for `runSteps`. */
export interface ApplyTarget {
  apply(o: Manifest): Promise<void>;
  /** Healthy by Argo CD's rules (a hook: finished); rejects when it failed, which fails the sync. */
  healthy(o: Manifest): Promise<boolean>;
}

/**
 * Plays the steps: each step's objects applied in order, then, if the step says so, polled until
 * every one is healthy before the next step starts. Returns when each step started (ms since the epoch).
 */
export async function runSteps(steps: readonly ApplyStep[], target: ApplyTarget, options: { pollMs?: number; timeoutMs?: number } = {}): Promise<{ label: string; at: number }[]> {
  const { pollMs = 1000, timeoutMs = 600_000 } = options;
  const started: { label: string; at: number }[] = [];
  for (const step of steps) {
    started.push({ label: step.label, at: Date.now() });
    for (const o of step.objects) await target.apply(o);
    if (!step.waitHealthy) continue;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const health = await Promise.all(step.objects.map((o) => target.healthy(o)));
      if (health.every(Boolean)) break;
      if (Date.now() > deadline) throw new Error(`${step.label}: not healthy within ${timeoutMs} ms: ${step.objects.filter((_, i) => !health[i]).map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
  return started;
}
