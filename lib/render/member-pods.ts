import { EnsembleModel } from '../model/ensemble-model';

/**
 * A regular expression for the names of the ensemble's member pods, `<StatefulSet>-<ordinal>` of
 * every member group, for Prometheus matchers (which anchor it). `ensemble` stands for the
 * ensemble name: the name itself, or a Grafana variable such as `$ensemble`. Pod names are DNS
 * labels, so no character in them is special in a regular expression.
 */
export function memberPodPattern(model: EnsembleModel, ensemble: string = model.name): string {
  // Each group's StatefulSet is the ensemble name plus the group's suffix ('' for the voters).
  const patterns = model.memberGroups.map((group) => `${ensemble}${group.statefulSet.slice(model.name.length)}-[0-9]+`);
  return patterns.length === 1 ? patterns[0] : `(${patterns.join('|')})`;
}
