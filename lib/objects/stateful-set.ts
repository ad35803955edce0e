import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { EnsembleModel } from '../model/ensemble-model';
import { objectMeta, selectMembers } from './metadata';
import { podTemplate } from './pod-template';

/**
 * The members. Pods start in parallel: with OrderedReady, member 0 would wait to be Ready, which
 * needs a quorum, which needs the other members. Rolling updates still replace one pod at a time.
 */
export function addStatefulSet(scope: Construct, model: EnsembleModel, configChecksum: string): k8s.KubeStatefulSet {
  return new k8s.KubeStatefulSet(scope, 'StatefulSet', {
    metadata: objectMeta(model, model.names.statefulSet, 'workload'),
    spec: {
      serviceName: model.names.peerService,
      replicas: model.replicas,
      selector: selectMembers(model),
      podManagementPolicy: 'Parallel',
      updateStrategy: { type: 'RollingUpdate' },
      // Volumes hold the ensemble's data: never delete them with the StatefulSet or on scale-down.
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      template: podTemplate(model, configChecksum),
      volumeClaimTemplates: [
        claimTemplate(model, model.names.claimTemplates.data, model.storage.dataGiB),
        ...(model.names.claimTemplates.txnLog !== undefined ? [claimTemplate(model, model.names.claimTemplates.txnLog, model.storage.txnLogGiB!)] : []),
      ],
    },
  });
}

/**
 * Claim templates are immutable once the StatefulSet exists, so they carry only the stable selector
 * labels: a version label here would make every upgrade fail to apply.
 */
function claimTemplate(model: EnsembleModel, name: string, sizeGiB: number): k8s.KubePersistentVolumeClaimProps {
  return {
    metadata: { name, labels: { ...model.labels.selector } },
    spec: {
      accessModes: ['ReadWriteOnce'],
      volumeMode: 'Filesystem',
      storageClassName: model.storage.storageClassName,
      resources: { requests: { storage: k8s.Quantity.fromString(`${sizeGiB}Gi`) } },
    },
  };
}
