/**
 * A change of the number of voters. With membership 'static' (the default), zoo.cfg's server list
 * is static (reconfigEnabled=false), so the members that run during such a change hold different
 * lists, and ZooKeeper has no way to tell them apart: empty new members can form a majority of the
 * new list on their own (1 -> 3: they elect a leader with no history and truncate the old member),
 * two majorities can exist side by side (3 -> 5), and the members removed can be the ones that
 * held the newest writes (3 -> 1). The synthesis says so on the run that makes the change. With
 * membership 'dynamic' the members join and leave by ZooKeeper's reconfiguration and the change
 * rolls no pod: nothing to say, once the ensemble already runs that way.
 */

import { Membership } from '../membership-settings';
import { COMPONENT_LABEL_KEY, COMPONENT_OF } from '../model/resolve-labels';
import { committedMembership } from './committed-membership';
import { identity, statefulSets } from './refused-updates';

/**
 * A message when the voters' StatefulSet of `after` has another number of replicas than its
 * namesake in `before`, unless both manifests run a dynamic membership.
 *
 * @param file the manifest as the user knows it (`dist/prod/zookeeper.k8s.yaml`), named in the message
 */
export function membershipChanges(before: readonly unknown[], after: readonly unknown[], file: string): string[] {
  const [was, is] = [committedMembership(before).membership, committedMembership(after).membership];
  if (was === Membership.DYNAMIC && is === Membership.DYNAMIC) return [];
  const voters = (objects: readonly unknown[]) => statefulSets(objects).filter((sts) => sts.metadata.labels?.[COMPONENT_LABEL_KEY] === COMPONENT_OF.voter);
  const previous = new Map(voters(before).map((sts) => [identity(sts), sts.spec.replicas ?? 1]));
  return voters(after).flatMap((sts) => {
    const [from, to] = [previous.get(identity(sts)), sts.spec.replicas ?? 1];
    if (from === undefined || from === to) return [];
    const change = `${file}: the voters of ${identity(sts)} change from ${from} to ${to}`;
    if (is === Membership.DYNAMIC) {
      return [`${change} in the same run that switches the ensemble to membership '${Membership.DYNAMIC}'. The running members still hold the `
        + `static list until the switch has rolled every one of them, so this is a static change: ${risk(from, to)} Switch with replicas at ${from}, `
        + 'let every member roll, then change replicas in a run of its own.'];
    }
    return [`${change}. Every member's server list is static, so a running ensemble must not get this by an ordinary apply: ${risk(from, to)} `
      + 'An ensemble that is not running yet (or whose data you do not need) can take it as it is. docs/operations.md, "Changing the number of '
      + `members", says what to do with one that is. With membership: '${Membership.DYNAMIC}' (experimental, opt-in) such a change is safe: the members `
      + 'join and leave by ZooKeeper\'s reconfiguration, without a roll; switch to it first, with replicas unchanged, then change them.'];
  });
}

function risk(from: number, to: number): string {
  if (to > from) {
    return `the ${to - from} new, empty member(s) ${to - from >= Math.floor(to / 2) + 1 ? 'are a majority of the new list on their own and can elect a leader with no history, which truncates the old members\' data' : 'and the members rolled onto the new list first can form a second majority beside the old one'}.`;
  }
  return `the ${from - to} member(s) removed can be the ones holding the newest acknowledged writes, and the members left may run with a list that no longer matches the others'.`;
}
