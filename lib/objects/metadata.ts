import { ApiObjectMetadata } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { EnsembleModel } from '../model/ensemble-model';

/** Metadata every namespaced object of the ensemble carries. */
export function objectMeta(model: EnsembleModel, name: string): k8s.ObjectMeta {
  return {
    name,
    namespace: model.namespace,
    labels: { ...model.labels.common },
    annotations: Object.keys(model.annotations).length > 0 ? { ...model.annotations } : undefined,
  };
}

/** A label selector on the ensemble's selector labels (never a hashed cdk8s label). */
export function selectMembers(model: EnsembleModel): k8s.LabelSelector {
  return { matchLabels: { ...model.labels.selector } };
}

/** Metadata of the Prometheus Operator objects: their labels are what a Prometheus selects them by. */
export function monitoringObjectMeta(model: EnsembleModel, name: string): ApiObjectMetadata {
  const { namespace, annotations } = objectMeta(model, name);
  return { name, namespace, labels: { ...model.monitoring.objectLabels }, annotations };
}
