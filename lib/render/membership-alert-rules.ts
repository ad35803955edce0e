import { EnsembleModel } from '../model/ensemble-model';
import { AlertRule, RuleBuilder } from './alert-rules-types';

/**
 * The membership alert: a member that counts another number of voters than the voters'
 * StatefulSet has replicas, for longer than the longest roll of every voter.
 *
 * Every member in a quorum (leader, follower or observer) exports `quorum_size`: the voting members
 * of the configuration it runs (QuorumPeer.getQuorumSize, the voters of its quorum verifier;
 * observers are not counted). A standalone server exports none but serves, so a serving member
 * without it counts as one voter. A member that does not serve exports neither and is left to
 * ZooKeeperMemberNotServing. kube-state-metrics gives the desired number, `kube_statefulset_replicas`.
 *
 * Nothing exports how many observers a member's configuration lists: the leader's synced_observers
 * counts the observers connected to it, which is ZooKeeperMembersMissing's business.
 */
export function membershipAlertRules(model: EnsembleModel, rule: RuleBuilder): AlertRule[] {
  if (model.alerts === undefined) return [];
  const { namespace: ns, name } = model;
  const voters = model.names.statefulSet;
  const kubectl = `kubectl -n ${ns}`;
  const bound = `${Math.ceil(model.alerts.membershipSettleSeconds / 60)}m`;
  const ours = (metric: string) => `${metric}{namespace="${ns}", ${model.monitoring.ensembleLabel}="${name}"}`;
  const counted = `(${ours('quorum_size')} or ${ours('znode_count')} * 0 + 1)`;
  // Two kube-state-metrics replicas, or target labels of their own, give several series of one StatefulSet.
  const desired = `max by (namespace) (kube_statefulset_replicas{namespace="${ns}", statefulset="${voters}"})`;
  const selectorOf = (labels: Readonly<Record<string, string>>) => Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');
  const voterGroup = model.memberGroups.find((g) => g.statefulSet === voters)!;
  const roll = model.roll === undefined
    ? `${kubectl} rollout status statefulset/${voters} says where the StatefulSet's roll stands`
    : `${kubectl} get jobs -l ${selectorOf(model.roll.selector)}: `
      + 'the log of a roll Job that failed names the member it stopped at ("roll: STOPPED"); fix that member and apply again';
  const observers = model.memberGroups.filter((g) => g.role === 'observer').map((g) => ` (observers: ${kubectl} rollout status statefulset/${g.statefulSet})`).join('');
  return [
    rule('ZooKeeperMembershipDiffers', 'warning', `${counted} != on(namespace) group_left() ${desired}`, bound,
      'ZooKeeper member {{ $labels.pod }} runs another membership than its StatefulSet',
      `{{ $labels.pod }} of ${ns}/${name} has counted {{ $value }} voting members for ${bound}, and StatefulSet ${voters} `
      + `has another number of replicas (${model.replicas} in the settings this rule was synthesized from): the member still runs the `
      + 'server list from before a change of replicas, or the StatefulSet was scaled outside the settings. Members that disagree '
      + 'on the voters do not agree on what a majority is; a roll of every member carries the new list to them, and it is overdue.',
      `${kubectl} get statefulset ${voters} -o jsonpath='{.spec.replicas} {.status.updateRevision}' against `
      + `${kubectl} get pods -l ${selectorOf(voterGroup.selector)} -L controller-revision-hash: a member of an older revision still runs `
      + `the server list it read when it started (the zoo.cfg mounted in its pod already shows the applied one). `
      + `Scaled by hand: set replicas in the environment file, synthesize and apply. Otherwise the roll did not finish: ${roll}${observers}`),
  ];
}
