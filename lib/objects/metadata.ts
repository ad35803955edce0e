import { ApiObjectMetadata } from 'cdk8s';
import { k8s } from '../k8s';
import { SYNC_WAVE_ANNOTATION } from '../model/annotations';
import { EnsembleModel, MemberGroup } from '../model/ensemble-model';

/**
 * Sync waves by role: the Namespace, then what the pods mount and run as, then the Services and
 * members, then what watches them (the monitoring CRDs' objects fail without the operator, and
 * should not hold up the ensemble) and what needs the members serving (the restore Job).
 */
export const SYNC_WAVES = { namespace: -1, configuration: 0, workload: 1, monitoring: 2, restore: 2 } as const;
export type SyncWave = keyof typeof SYNC_WAVES;

/**
 * Metadata every namespaced object of the ensemble carries; `wave` is its place in an Argo CD
 * sync. Objects of one member group carry that group's labels instead of the common ones.
 */
export function objectMeta(model: EnsembleModel, name: string, wave: SyncWave, labels: Readonly<Record<string, string>> = model.labels.common): k8s.ObjectMeta {
  return {
    name,
    namespace: model.namespace,
    labels: { ...labels },
    annotations: { ...model.annotations, [SYNC_WAVE_ANNOTATION]: String(SYNC_WAVES[wave]) },
  };
}

/** A label selector on one member group's selector labels (never a hashed cdk8s label). */
export function selectGroup(group: MemberGroup): k8s.LabelSelector {
  return { matchLabels: { ...group.selector } };
}

/**
 * The construct id of a group's object: the voters keep the ids their objects had before observers
 * existed (construct ids are a contract), the observers' get a prefix.
 */
export function groupConstructId(group: MemberGroup, id: string): string {
  return group.role === 'voter' ? id : `Observer${id}`;
}

/** Metadata of the Prometheus Operator objects: their labels are what a Prometheus selects them by. */
export function monitoringObjectMeta(model: EnsembleModel, name: string): ApiObjectMetadata {
  const { namespace, annotations } = objectMeta(model, name, 'monitoring');
  return { name, namespace, labels: { ...model.monitoring.objectLabels }, annotations };
}
