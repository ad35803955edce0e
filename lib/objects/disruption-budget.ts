import { k8s } from '../k8s';
import { Construct } from 'constructs';
import { EnsembleModel, MemberGroup } from '../model/ensemble-model';
import { groupConstructId, objectMeta, selectGroup } from './metadata';

/**
 * One group's budget for voluntary disruptions (drains, evictions), or undefined without one. The
 * voters' keeps a quorum: an eviction is allowed only while more than a quorum of voters is Ready.
 * With one member that means never: draining its node needs the budget removed or the member
 * stopped by hand. The observers' lets them go one at a time; it selects no voter, so observers
 * never count towards the voters' quorum arithmetic.
 */
export function addDisruptionBudget(scope: Construct, model: EnsembleModel, group: MemberGroup): k8s.KubePodDisruptionBudget | undefined {
  const budget = group.disruptionBudget;
  if (budget === undefined) return undefined;
  const count = (n: number | undefined) => (n === undefined ? undefined : k8s.IntOrString.fromNumber(n));
  return new k8s.KubePodDisruptionBudget(scope, groupConstructId(group, 'DisruptionBudget'), {
    metadata: objectMeta(model, budget.name, 'workload', group.labels),
    spec: {
      minAvailable: count(budget.minAvailable),
      maxUnavailable: count(budget.maxUnavailable),
      selector: selectGroup(group),
      unhealthyPodEvictionPolicy: budget.unhealthyPodEvictionPolicy,
    },
  });
}
