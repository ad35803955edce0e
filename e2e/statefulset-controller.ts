// The StatefulSet controller's decisions, as pure functions: which pods one sync creates or
// deletes, at which revision, and which claims a pod gets. They follow `updateStatefulSet` of
// kubernetes/kubernetes pkg/controller/statefulset/stateful_set_control.go (1.28 to 1.34 alike):
//   1. every missing ordinal below `replicas` is created (`processReplica`); with OrderedReady the
//      sync stops at the first pod it created or found not Running and Ready, with Parallel it goes on;
//   2. the condemned pods (ordinal >= replicas) are deleted from the highest ordinal down
//      (`processCondemned`); OrderedReady deletes one and waits, Parallel deletes them all at once,
//      Ready or not;
//   3. OnDelete stops there. RollingUpdate deletes the highest-ordinal pod not of the update
//      revision, one per sync, and stops at any pod above it that is not Ready yet; the deleted
//      pod comes back (step 1 of a later sync) at the update revision.
// statefulset-model.ts runs these decisions against pods; test/e2e-statefulset-model.test.ts holds
// them to the controller's behaviour.
import { Manifest } from './expand';

export type PodManagementPolicy = 'OrderedReady' | 'Parallel';
export type UpdateStrategy = 'RollingUpdate' | 'OnDelete';
export type ClaimRetention = 'Retain' | 'Delete';

/** What the controller reads of a StatefulSet's spec, with the API server's defaults filled in. */
export interface ControllerSpec {
  readonly name: string;
  readonly replicas: number;
  readonly podManagementPolicy: PodManagementPolicy;
  readonly updateStrategy: UpdateStrategy;
  /** RollingUpdate's partition: ordinals below it keep the current revision. */
  readonly partition: number;
  /** `persistentVolumeClaimRetentionPolicy.whenScaled`: what happens to a condemned pod's claims. */
  readonly whenScaled: ClaimRetention;
  /** The claim templates' names: a pod's claim is `<template>-<statefulset>-<ordinal>`. */
  readonly claimTemplates: readonly string[];
}

/** A pod as the controller sees it in its informer's cache. */
export interface ObservedPod {
  readonly ordinal: number;
  /** Its `controller-revision-hash` label. */
  readonly revision: string;
  /** Running with its Ready condition True (minReadySeconds is not modelled). */
  readonly ready: boolean;
  /** It has a deletionTimestamp: its containers are being stopped. */
  readonly terminating: boolean;
}

export type ControllerAction =
  | { readonly kind: 'create'; readonly ordinal: number; readonly revision: string }
  | { readonly kind: 'delete'; readonly ordinal: number; readonly reason: 'scale-down' | 'update' };

/** The spec of a synthesized StatefulSet as the API server stores it (its defaults applied). */
export function controllerSpecOf(statefulSet: Manifest): ControllerSpec {
  const { spec } = statefulSet;
  return {
    name: statefulSet.metadata.name,
    replicas: spec.replicas ?? 1,
    podManagementPolicy: spec.podManagementPolicy ?? 'OrderedReady',
    updateStrategy: spec.updateStrategy?.type ?? 'RollingUpdate',
    partition: spec.updateStrategy?.rollingUpdate?.partition ?? 0,
    whenScaled: spec.persistentVolumeClaimRetentionPolicy?.whenScaled ?? 'Retain',
    claimTemplates: (spec.volumeClaimTemplates ?? []).map((t: Manifest) => t.metadata.name),
  };
}

export function podName(spec: ControllerSpec, ordinal: number): string {
  return `${spec.name}-${ordinal}`;
}

/**
 * The claims the pod of `ordinal` mounts. The controller creates one only when no claim of that
 * name exists (`createPersistentVolumeClaims`), so a pod re-created at an ordinal mounts the claim
 * an earlier pod of that ordinal left, with whatever it holds.
 */
export function claimNames(spec: ControllerSpec, ordinal: number): string[] {
  return spec.claimTemplates.map((template) => `${template}-${podName(spec, ordinal)}`);
}

/** The claims removed when the pod of `ordinal` is deleted by a scale-down: none under Retain. */
export function claimsRemovedOnScaleDown(spec: ControllerSpec, ordinal: number): string[] {
  return spec.whenScaled === 'Delete' ? claimNames(spec, ordinal) : [];
}

/**
 * The revision a pod created at `ordinal` gets (`newVersionedStatefulSetPod`): the current one
 * below a RollingUpdate partition, the update revision otherwise. With the partition the API
 * server defaults to 0, a missing pod always comes back at the update revision, also under OnDelete.
 */
export function revisionForNewPod(spec: ControllerSpec, ordinal: number, revisions: { current: string; update: string }): string {
  return spec.updateStrategy === 'RollingUpdate' && ordinal < spec.partition ? revisions.current : revisions.update;
}

const unavailable = (pod: ObservedPod) => !pod.ready || pod.terminating;

/** One sync of the controller: what it creates and deletes, given the pods it sees now. */
export function syncStatefulSet(spec: ControllerSpec, pods: readonly ObservedPod[], revisions: { current: string; update: string }): ControllerAction[] {
  const monotonic = spec.podManagementPolicy !== 'Parallel';
  const actions: ControllerAction[] = [];
  const replicas: ObservedPod[] = [];
  for (let ordinal = 0; ordinal < spec.replicas; ordinal++) {
    const found = pods.find((p) => p.ordinal === ordinal);
    if (found) {
      replicas.push(found);
      if (monotonic && unavailable(found)) return actions;
      continue;
    }
    const revision = revisionForNewPod(spec, ordinal, revisions);
    actions.push({ kind: 'create', ordinal, revision });
    replicas.push({ ordinal, revision, ready: false, terminating: false });
    if (monotonic) return actions;
  }
  const condemned = pods.filter((p) => p.ordinal >= spec.replicas).sort((a, b) => b.ordinal - a.ordinal);
  // OrderedReady may delete a condemned pod that is not Ready only when it is the first one that is not.
  const firstUnavailable = [...condemned].reverse().find(unavailable);
  for (const pod of condemned) {
    if (pod.terminating) {
      if (monotonic) return actions;
      continue;
    }
    if (monotonic && !pod.ready && pod !== firstUnavailable) return actions;
    actions.push({ kind: 'delete', ordinal: pod.ordinal, reason: 'scale-down' });
    if (monotonic) return actions;
  }
  if (spec.updateStrategy === 'OnDelete') return actions;
  for (let target = replicas.length - 1; target >= spec.partition; target--) {
    const pod = replicas[target];
    if (pod.revision !== revisions.update && !pod.terminating) return [...actions, { kind: 'delete', ordinal: pod.ordinal, reason: 'update' }];
    if (unavailable(pod)) return actions;
  }
  return actions;
}

/**
 * The controller's `currentRevision` after a sync (`completeRollingUpdate`): under RollingUpdate
 * it becomes the update revision once every pod it keeps is of it and Ready. Only a partition
 * reads it (the revision of a pod created below it); OnDelete leaves it as it was.
 */
export function currentRevisionAfter(spec: ControllerSpec, pods: readonly ObservedPod[], revisions: { current: string; update: string }): string {
  const kept = pods.filter((p) => p.ordinal < spec.replicas && !p.terminating);
  const done = spec.updateStrategy === 'RollingUpdate' && kept.length === spec.replicas && kept.every((p) => p.revision === revisions.update && p.ready);
  return done ? revisions.update : revisions.current;
}
