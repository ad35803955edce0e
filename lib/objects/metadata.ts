import { ApiObjectMetadata } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { SYNC_WAVE_ANNOTATION } from '../model/annotations';
import { EnsembleModel } from '../model/ensemble-model';

/**
 * Sync waves by role: the Namespace, then what the pods mount and run as, then the Services and
 * members, then what watches them (the monitoring CRDs' objects fail without the operator, and
 * should not hold up the ensemble).
 */
export const SYNC_WAVES = { namespace: -1, configuration: 0, workload: 1, monitoring: 2 } as const;
export type SyncWave = keyof typeof SYNC_WAVES;

/** Metadata every namespaced object of the ensemble carries; `wave` is its place in an Argo CD sync. */
export function objectMeta(model: EnsembleModel, name: string, wave: SyncWave): k8s.ObjectMeta {
  return {
    name,
    namespace: model.namespace,
    labels: { ...model.labels.common },
    annotations: { ...model.annotations, [SYNC_WAVE_ANNOTATION]: String(SYNC_WAVES[wave]) },
  };
}

/** A label selector on the ensemble's selector labels (never a hashed cdk8s label). */
export function selectMembers(model: EnsembleModel): k8s.LabelSelector {
  return { matchLabels: { ...model.labels.selector } };
}

/** Metadata of the Prometheus Operator objects: their labels are what a Prometheus selects them by. */
export function monitoringObjectMeta(model: EnsembleModel, name: string): ApiObjectMetadata {
  const { namespace, annotations } = objectMeta(model, name, 'monitoring');
  return { name, namespace, labels: { ...model.monitoring.objectLabels }, annotations };
}
