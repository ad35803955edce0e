import { k8s } from '../k8s';
import { Construct } from 'constructs';
import { EnsembleModel, MemberGroup } from '../model/ensemble-model';
import { groupConstructId, objectMeta, selectGroup } from './metadata';
import { templateHash } from '../render/checksum';
import { podTemplate, TEMPLATE_HASH_ANNOTATION } from './pod-template';

/**
 * The members of one group (voters or observers). Pods start in parallel: with OrderedReady,
 * member 0 would wait to be Ready, which needs a quorum, which needs the other members. Rolling
 * updates still replace one pod at a time. Both groups share the peer Service, which gives every
 * member its DNS name. With the leader-last roll the voters' StatefulSet replaces no pod itself
 * (OnDelete): the roll Job evicts them in order (docs/rolling.md). Observers never lead, so their
 * own order costs no election and their StatefulSet keeps rolling itself.
 *
 * @returns the StatefulSet and the hash of its pod template (on the template as an annotation)
 */
export function addStatefulSet(scope: Construct, model: EnsembleModel, group: MemberGroup, configChecksum: string): { statefulSet: k8s.KubeStatefulSet; templateHash: string } {
  const template = podTemplate(model, group, configChecksum);
  const hash = templateHash(k8s.toJson_PodTemplateSpec(template));
  template.metadata!.annotations![TEMPLATE_HASH_ANNOTATION] = hash;
  const rolledByJob = model.roll !== undefined && group.role === 'voter';
  const statefulSet = new k8s.KubeStatefulSet(scope, groupConstructId(group, 'StatefulSet'), {
    metadata: objectMeta(model, group.statefulSet, 'workload', group.labels),
    spec: {
      serviceName: model.names.peerService,
      replicas: group.members.length,
      selector: selectGroup(group),
      podManagementPolicy: 'Parallel',
      updateStrategy: { type: rolledByJob ? 'OnDelete' : 'RollingUpdate' },
      // Volumes hold the ensemble's data: never delete them with the StatefulSet or on scale-down.
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      template,
      volumeClaimTemplates: [
        claimTemplate(model, group, model.names.claimTemplates.data, model.storage.dataGiB),
        ...(model.names.claimTemplates.txnLog !== undefined ? [claimTemplate(model, group, model.names.claimTemplates.txnLog, model.storage.txnLogGiB!)] : []),
      ],
    },
  });
  return { statefulSet, templateHash: hash };
}

/**
 * Claim templates are immutable once the StatefulSet exists, so they carry only the stable selector
 * labels: a version label here would make every upgrade fail to apply.
 */
function claimTemplate(model: EnsembleModel, group: MemberGroup, name: string, sizeGiB: number): k8s.KubePersistentVolumeClaimProps {
  return {
    metadata: { name, labels: { ...group.selector } },
    spec: {
      accessModes: ['ReadWriteOnce'],
      volumeMode: 'Filesystem',
      storageClassName: model.storage.storageClassName,
      resources: { requests: { storage: k8s.Quantity.fromString(`${sizeGiB}Gi`) } },
    },
  };
}
