import { Construct } from 'constructs';
import { k8s } from '../k8s';
import { EnsembleModel } from '../model/ensemble-model';
import { objectMeta } from './metadata';

/**
 * A dynamic membership's RBAC, or nothing with a static one: the members' ServiceAccount may read
 * their own StatefulSet, by name, and nothing else. Its `spec.replicas` is the number of voters the
 * members join to or leave (membership-watch.sh, leave-ensemble.sh).
 */
export function addMembershipRole(scope: Construct, model: EnsembleModel): void {
  const membership = model.membership;
  if (membership === undefined) return;
  new k8s.KubeRole(scope, 'MembershipRole', {
    metadata: objectMeta(model, membership.role, 'configuration'),
    rules: [
      { apiGroups: ['apps'], resources: ['statefulsets'], resourceNames: model.memberGroups.map((group) => group.statefulSet), verbs: ['get'] },
    ],
  });
  new k8s.KubeRoleBinding(scope, 'MembershipRoleBinding', {
    metadata: objectMeta(model, membership.role, 'configuration'),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: membership.role },
    subjects: [{ kind: 'ServiceAccount', name: model.names.serviceAccount, namespace: model.namespace }],
  });
}
