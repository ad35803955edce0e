import { ApiObjectMetadata } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { EnsembleModel, MemberGroup } from '../model/ensemble-model';

/**
 * Metadata every namespaced object of the ensemble carries. Objects of one member group carry
 * that group's labels instead of the common ones.
 */
export function objectMeta(model: EnsembleModel, name: string, labels: Readonly<Record<string, string>> = model.labels.common): k8s.ObjectMeta {
  return {
    name,
    namespace: model.namespace,
    labels: { ...labels },
    annotations: Object.keys(model.annotations).length > 0 ? { ...model.annotations } : undefined,
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
  const { namespace, annotations } = objectMeta(model, name);
  return { name, namespace, labels: { ...model.monitoring.objectLabels }, annotations };
}
