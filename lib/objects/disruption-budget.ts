import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { EnsembleModel } from '../model/ensemble-model';
import { objectMeta, selectMembers } from './metadata';

/**
 * Keeps a quorum through voluntary disruptions (drains, evictions): an eviction is allowed only
 * while more than a quorum of members is Ready. With one member that means never: draining its
 * node needs the budget removed or the member stopped by hand.
 */
export function addDisruptionBudget(scope: Construct, model: EnsembleModel): k8s.KubePodDisruptionBudget {
  return new k8s.KubePodDisruptionBudget(scope, 'DisruptionBudget', {
    metadata: objectMeta(model, model.names.disruptionBudget, 'workload'),
    spec: {
      minAvailable: k8s.IntOrString.fromNumber(model.quorumSize),
      selector: selectMembers(model),
      // A member that is not Ready may be waiting for a quorum to re-form; evicting it then would
      // delay recovery, so unhealthy members are protected by the same budget.
      unhealthyPodEvictionPolicy: 'IfHealthyBudget',
    },
  });
}
