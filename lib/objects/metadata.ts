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
