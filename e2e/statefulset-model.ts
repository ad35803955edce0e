// The StatefulSet controller and the kubelet's pod lifecycle, played over pods that something
// else runs (`StatefulPods`: podman in the e2e suite, memory in the unit tests). Every decision
// comes from statefulset-controller.ts (which pods to create or delete) and kubelet-model.ts (how
// a pod is stopped); this file only keeps the state the controller would read from the API: each
// pod's revision, readiness and deletion, and the revisions applied. It is the scale and
// rolling-update counterpart of api-server.ts, whose eviction path is OnDelete's recreation.
import { revisionOf } from './api-server';
import { Manifest } from './expand';
import { nextReadiness, Termination, terminationOf } from './kubelet-model';
import {
  claimsRemovedOnScaleDown, ControllerSpec, controllerSpecOf, currentRevisionAfter, ObservedPod, podName, syncStatefulSet,
} from './statefulset-controller';

/** What runs the pods. */
export interface StatefulPods {
  /**
   * Starts the pod of `ordinal` from `statefulSet` (the revision it is created at), mounting its
   * claims: the ones that exist as they are, new ones empty. Resolves once it runs.
   */
  create(statefulSet: Manifest, ordinal: number): Promise<void>;
  /** Stops the pod as the kubelet does on a graceful deletion, then removes it (not its claims). */
  delete(name: string, termination: Termination): Promise<void>;
  /** The kubelet's current readiness verdict. */
  ready(name: string): Promise<boolean>;
  removeClaims(names: string[]): Promise<void>;
}

/** What happened to a pod, and when (ms since the epoch). */
export interface PodLifecycleEvent {
  readonly pod: string;
  readonly what: 'created' | 'running' | 'ready' | 'not ready' | 'deleting' | 'deleted';
  readonly revision: string;
  readonly at: number;
}

interface PodRecord { ordinal: number; revision: string; ready: boolean; streak: number; terminating: boolean; running: boolean }

export class StatefulSetModel {
  public readonly events: PodLifecycleEvent[] = [];
  private spec: ControllerSpec;
  private readonly revisions = new Map<string, Manifest>();
  private currentRevision: string;
  private updateRevision: string;
  private readonly pods = new Map<string, PodRecord>();
  private readonly pending = new Set<Promise<void>>();
  private generation = 1;
  private observedGeneration = 0;
  private loop?: NodeJS.Timeout;
  private syncing: Promise<void> = Promise.resolve();
  /** Creations and deletions the runtime could not carry out. */
  private readonly failures: Error[] = [];

  /**
   * @param statefulSet the StatefulSet as applied
   * @param running whether its pods run already (the harness started them), each at its revision
   */
  constructor(statefulSet: Manifest, private readonly runtime: StatefulPods, running: boolean) {
    this.spec = controllerSpecOf(statefulSet);
    this.updateRevision = this.currentRevision = revisionOf(statefulSet);
    this.revisions.set(this.updateRevision, statefulSet);
    if (!running) return;
    for (let ordinal = 0; ordinal < this.spec.replicas; ordinal++) {
      this.pods.set(podName(this.spec, ordinal), { ordinal, revision: this.updateRevision, ready: false, streak: 0, terminating: false, running: true });
    }
  }

  /** A new spec, as `kubectl apply` or Argo CD sends it: nothing happens until the next sync. */
  public apply(statefulSet: Manifest): void {
    if (statefulSet.metadata.name !== this.spec.name) throw new Error(`apply of ${statefulSet.metadata.name}, the model plays ${this.spec.name}`);
    this.spec = controllerSpecOf(statefulSet);
    this.updateRevision = revisionOf(statefulSet);
    this.revisions.set(this.updateRevision, statefulSet);
    this.generation++;
  }

  /** The StatefulSet as applied last. */
  public get statefulSet(): Manifest {
    return this.revisions.get(this.updateRevision)!;
  }

  /** The status the controller would write, as far as Argo CD's health check reads it. */
  public status(): { generation: number; observedGeneration: number; readyReplicas: number; updatedReplicas: number; currentRevision: string; updateRevision: string } {
    const pods = [...this.pods.values()].filter((p) => !p.terminating);
    return {
      generation: this.generation,
      observedGeneration: this.observedGeneration,
      readyReplicas: pods.filter((p) => p.ready).length,
      updatedReplicas: pods.filter((p) => p.revision === this.updateRevision).length,
      currentRevision: this.currentRevision,
      updateRevision: this.updateRevision,
    };
  }

  /** A pod deleted from outside (an eviction, `kubectl delete pod`): the controller re-creates it. */
  public deletePod(name: string): void {
    const pod = this.pods.get(name);
    if (pod && !pod.terminating) this.startDeletion(name, pod, false);
  }

  /** The pods the API would list, by name: revision, readiness, deletion. */
  public podStates(): Record<string, ObservedPod> {
    return Object.fromEntries([...this.pods].map(([name, p]) => [name, { ordinal: p.ordinal, revision: p.revision, ready: p.ready, terminating: p.terminating }]));
  }

  public get revision(): { current: string; update: string } {
    return { current: this.currentRevision, update: this.updateRevision };
  }

  /** Every pod of the spec runs at the update revision and is Ready, and no other pod is left. */
  public get converged(): boolean {
    const pods = [...this.pods.values()];
    const wanted = this.spec.updateStrategy === 'OnDelete' ? () => true : (p: PodRecord) => p.revision === this.updateRevision;
    return this.pending.size === 0 && pods.length === this.spec.replicas
      && pods.every((p) => p.ordinal < this.spec.replicas && p.ready && !p.terminating && wanted(p));
  }

  /** One round: the kubelet's readiness verdicts, then one sync of the controller (its actions start, unawaited). */
  public sync(): Promise<void> {
    // One sync at a time, as the controller's work queue holds a StatefulSet once.
    const run = this.syncing.then(() => this.syncOnce());
    this.syncing = run.catch(() => undefined);
    return run;
  }

  private async syncOnce(): Promise<void> {
    const generation = this.generation;
    await this.observeReadiness();
    const observed = [...this.pods.values()].map((p) => ({ ordinal: p.ordinal, revision: p.revision, ready: p.ready, terminating: p.terminating }));
    for (const action of syncStatefulSet(this.spec, observed, this.revision)) {
      const name = podName(this.spec, action.ordinal);
      if (action.kind === 'create') this.startCreation(name, action.ordinal, action.revision);
      else this.startDeletion(name, this.pods.get(name)!, action.reason === 'scale-down');
    }
    this.currentRevision = currentRevisionAfter(this.spec, observed, this.revision);
    this.observedGeneration = generation;
  }

  /** Syncs every `periodMs` in the background, as the controller and the kubelet do, until stop(). */
  public start(periodMs = 2000): void {
    const tick = async () => {
      await this.sync().catch((error) => console.log(`statefulset model: sync failed: ${error}`));
      if (this.loop) this.loop = setTimeout(tick, periodMs);
    };
    this.loop = setTimeout(tick, 0);
  }

  public stop(): void {
    clearTimeout(this.loop);
    this.loop = undefined;
  }

  /** Syncs every `periodMs` until converged; throws past `timeoutMs`. */
  public async converge(timeoutMs: number, periodMs = 1000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.sync();
      if (this.failures.length > 0) throw new Error(`${this.spec.name}: the pods could not be changed: ${this.failures.map((e) => e.message).join('; ')}`);
      if (this.converged) return;
      if (Date.now() > deadline) throw new Error(`${this.spec.name} did not converge within ${timeoutMs} ms: ${JSON.stringify(this.podStates())}`);
      await new Promise((r) => setTimeout(r, periodMs));
    }
  }

  /** Resolves once every creation and deletion started so far has finished. */
  public async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** The kubelet's part: one readiness probe of every running pod, counted against the probe's thresholds. */
  private async observeReadiness(): Promise<void> {
    await Promise.all([...this.pods].filter(([, p]) => p.running && !p.terminating).map(async ([name, pod]) => {
      const ok = await this.runtime.ready(name).catch(() => false);
      if (this.pods.get(name) !== pod || pod.terminating) return;
      const probe = this.revisions.get(pod.revision)!.spec.template.spec.containers[0].readinessProbe;
      const next = nextReadiness(pod, ok, probe);
      pod.streak = next.streak;
      if (next.ready === pod.ready) return;
      pod.ready = next.ready;
      this.record(name, pod.ready ? 'ready' : 'not ready', pod.revision);
    }));
  }

  /** Keeps a creation or deletion in flight; one that failed is kept for converge to report. */
  private track(work: Promise<void>): void {
    const tracked = work.catch((error) => { this.failures.push(error as Error); }).finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  private startCreation(name: string, ordinal: number, revision: string): void {
    const pod: PodRecord = { ordinal, revision, ready: false, streak: 0, terminating: false, running: false };
    this.pods.set(name, pod);
    this.record(name, 'created', revision);
    // The revision's template with today's replicas: what `newVersionedStatefulSetPod` builds from.
    const stored = this.revisions.get(revision)!;
    const statefulSet = { ...stored, spec: { ...stored.spec, replicas: this.spec.replicas } };
    this.track(this.runtime.create(statefulSet, ordinal).then(() => {
      pod.running = true;
      this.record(name, 'running', revision);
    }));
  }

  private startDeletion(name: string, pod: PodRecord, scaleDown: boolean): void {
    pod.terminating = true;
    pod.ready = false;
    this.record(name, 'deleting', pod.revision);
    const template = this.revisions.get(pod.revision)!.spec.template;
    this.track((async () => {
      await this.runtime.delete(name, terminationOf(template));
      if (this.pods.get(name) === pod) this.pods.delete(name);
      this.record(name, 'deleted', pod.revision);
      if (scaleDown) await this.runtime.removeClaims(claimsRemovedOnScaleDown(this.spec, pod.ordinal));
    })());
  }

  private record(pod: string, what: PodLifecycleEvent['what'], revision: string): void {
    this.events.push({ pod, what, revision, at: Date.now() });
  }
}
