// Three duties of the kubelet that decide what a member sees during a membership change, as pure
// functions the harness plays and test/e2e-statefulset-model.test.ts holds to Kubernetes:
// - graceful deletion: the preStop hook, then SIGTERM, then SIGKILL once the grace period is out
//   (`killContainer` in pkg/kubelet/kuberuntime/kuberuntime_container.go);
// - ConfigMap volumes that follow an update late and per pod, each update switched in at once
//   (the kubelet's periodic sync and its AtomicWriter's `..data` symlink);
// - environment variables fixed when the container starts: a pod's spec never changes, and
//   values from a ConfigMap key are read at container start only.
import { Manifest } from './expand';

/** The kubelet never stops a container with less than this after its preStop hook (`minimumGracePeriodInSeconds`). */
export const MINIMUM_GRACE_SECONDS = 2;

/** How the kubelet stops a pod's main container on a graceful deletion. */
export interface Termination {
  /** `terminationGracePeriodSeconds` of the pod (30 when unset), which the deletion uses. */
  readonly graceSeconds: number;
  /** The main container's `lifecycle.preStop.exec.command`, if it has one. */
  readonly preStop?: readonly string[];
}

export function terminationOf(pod: Manifest, container = 'zookeeper'): Termination {
  const main = pod.spec.containers.find((c: Manifest) => c.name === container) ?? pod.spec.containers[0];
  const preStop = main.lifecycle?.preStop?.exec?.command;
  return { graceSeconds: pod.spec.terminationGracePeriodSeconds ?? 30, ...(preStop ? { preStop } : {}) };
}

/**
 * When the signals go, in ms from the deletion, given how long the preStop hook ran (`preStopMs`,
 * ignored without a hook). The hook may use the whole grace period; the kubelet waits for it no
 * longer than that. What is left goes to StopContainer, SIGTERM then SIGKILL, never less than 2 s.
 * The kubelet counts whole seconds: the hook's time is rounded down, as Go's int64 conversion does.
 */
export function signalTimes(termination: Termination, preStopMs = 0): { sigtermMs: number; sigkillMs: number } {
  const graceMs = termination.graceSeconds * 1000;
  if (termination.preStop === undefined || termination.graceSeconds <= 0) {
    return { sigtermMs: 0, sigkillMs: Math.max(termination.graceSeconds, MINIMUM_GRACE_SECONDS) * 1000 };
  }
  const hookMs = Math.min(preStopMs, graceMs);
  const leftSeconds = Math.max(termination.graceSeconds - Math.floor(hookMs / 1000), MINIMUM_GRACE_SECONDS);
  return { sigtermMs: hookMs, sigkillMs: hookMs + leftSeconds * 1000 };
}

/** The kubelet's readiness verdict of a pod, and the results in a row that disagree with it. */
export interface Readiness {
  readonly ready: boolean;
  readonly streak: number;
}

/**
 * The verdict after one more probe result (the prober's result counting): a pod turns Ready after
 * `successThreshold` successes in a row and not Ready after `failureThreshold` failures in a row.
 * A new pod starts not Ready.
 */
export function nextReadiness(state: Readiness, ok: boolean, probe: { successThreshold?: number; failureThreshold?: number } = {}): Readiness {
  if (ok === state.ready) return { ready: state.ready, streak: 0 };
  const streak = state.streak + 1;
  const needed = ok ? probe.successThreshold ?? 1 : probe.failureThreshold ?? 3;
  return streak >= needed ? { ready: ok, streak: 0 } : { ready: state.ready, streak };
}

/** One apply of a ConfigMap: its data, from `at` (ms) on the API server. */
export interface ConfigMapVersion {
  readonly at: number;
  readonly data: Readonly<Record<string, string>>;
}

/**
 * The data a pod's ConfigMap volume shows at `now`. The kubelet writes the volume when it sets
 * the pod up, from the ConfigMap as it is then, and afterwards refreshes it on its periodic sync,
 * which reaches a running pod `delayMs` after the apply (the sync period, a minute by default,
 * plus the cache's delay; 0 to 60 s in the harness). Each refresh swaps the whole volume in one
 * rename of `..data`, so a pod sees one version or the next, never a mix of keys. Versions must be
 * in the order they were applied; undefined when the ConfigMap did not exist when the pod started.
 */
export function volumeDataAt(history: readonly ConfigMapVersion[], podStartedAt: number, delayMs: number, now: number): Readonly<Record<string, string>> | undefined {
  const latest = (t: number) => [...history].reverse().find((v) => v.at <= t);
  const mounted = latest(podStartedAt);
  const refreshed = latest(now - delayMs);
  if (!mounted) return undefined;
  return refreshed && refreshed.at > mounted.at ? refreshed.data : mounted.data;
}

/** When the pod's volume switches to `version` (ms), or undefined when it already had it at its start. */
export function volumeSwitchAt(version: ConfigMapVersion, podStartedAt: number, delayMs: number): number | undefined {
  return version.at <= podStartedAt ? undefined : Math.max(version.at + delayMs, podStartedAt);
}

/**
 * The environment of a container as the kubelet sets it when the container starts: plain values
 * from the pod's spec (a pod's spec is immutable, so a new template reaches only new pods) and
 * `configMapKeyRef` values read from the ConfigMaps as they are at that start. A running
 * container never sees either change.
 */
export function containerEnv(container: Manifest, configMapsAtStart: readonly Manifest[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of container.env ?? []) {
    const ref = entry.valueFrom?.configMapKeyRef;
    if (ref) {
      const value = configMapsAtStart.find((c) => c.metadata.name === ref.name)?.data?.[ref.key];
      if (value === undefined && !ref.optional) throw new Error(`${entry.name}: ConfigMap ${ref.name} has no key ${ref.key} (the kubelet would not start the container)`);
      if (value !== undefined) env[entry.name] = value;
      continue;
    }
    if (entry.value !== undefined) env[entry.name] = entry.value;
  }
  return env;
}
