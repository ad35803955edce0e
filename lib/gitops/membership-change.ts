/**
 * A change of the number of voters against the committed manifest. With membership 'static' (the
 * default), zoo.cfg's server list is static (reconfigEnabled=false), so the members that run during
 * such a change hold different lists, and ZooKeeper has no way to tell them apart: empty new members
 * can form a majority of the new list on their own (1 -> 3: they elect a leader with no history and
 * truncate the old member), two majorities can exist side by side (3 -> 5), and the members removed
 * can be the ones that held the newest writes (3 -> 1). No roll order makes that safe, so the
 * synthesis refuses it and names the safe path. With membership 'dynamic' the members join and
 * leave by ZooKeeper's reconfiguration and the change rolls no pod, once the ensemble already runs
 * that way.
 */

import { Membership } from '../membership-settings';
import { COMPONENT_LABEL_KEY, COMPONENT_OF } from '../model/resolve-labels';
import { committedMembership } from './committed-membership';
import { identity, statefulSets } from './refused-updates';

/**
 * The problems when the voters' StatefulSet of `after` has another number of replicas than its
 * namesake in `before`, unless the committed ensemble already runs a dynamic membership.
 *
 * @param file the committed manifest as the user knows it (`dist/prod/zookeeper.k8s.yaml`), named in the messages
 * @param folder the environment's folder in dist/, which a new ensemble may be synthesized without
 */
export function membershipChanges(before: readonly unknown[], after: readonly unknown[], file: string, folder: string): { setting: string; message: string }[] {
  const [was, is] = [committedMembership(before).membership, committedMembership(after).membership];
  if (was === Membership.DYNAMIC && is === Membership.DYNAMIC) return [];
  const voters = (objects: readonly unknown[]) => statefulSets(objects).filter((sts) => sts.metadata.labels?.[COMPONENT_LABEL_KEY] === COMPONENT_OF.voter);
  const previous = new Map(voters(before).map((sts) => [identity(sts), sts.spec.replicas ?? 1]));
  return voters(after).flatMap((sts) => {
    const [from, to] = [previous.get(identity(sts)), sts.spec.replicas ?? 1];
    if (from === undefined || from === to) return [];
    const change = `changes the voters of ${identity(sts)} in ${file} from ${from} to ${to}`;
    const fresh = `An ensemble that is not running, or whose data you do not need, is a new one: delete ${folder}/ and synthesize again. `
      + 'docs/membership.md says more (dist/ is left as it is).';
    if (is === Membership.DYNAMIC) {
      return [{
        setting: 'replicas',
        message: `${change} in the same run that switches the ensemble to membership '${Membership.DYNAMIC}'. The running members hold the static list `
          + `until the switch has rolled every one of them, so this is a static change: ${risk(from, to)} Switch with replicas at ${from}, let every `
          + `member roll, then change replicas in a synthesis of its own. ${fresh}`,
      }];
    }
    return [{
      setting: 'replicas',
      message: `${change}, and every member's server list is static: no apply or roll order makes that safe for a running ensemble, `
        + `${risk(from, to)} The safe path: set membership: '${Membership.DYNAMIC}' with replicas at ${from}, synthesize, apply and let every member `
        + 'roll; then change replicas, and the members join or leave by ZooKeeper\'s reconfiguration, without a roll. '
        + `${fresh}`,
    }];
  });
}

function risk(from: number, to: number): string {
  if (to > from) {
    const alone = to - from >= Math.floor(to / 2) + 1;
    return `since the ${to - from} new, empty member(s) ${alone
      ? 'are a majority of the new list on their own and can elect a leader with no history, which truncates the old members\' data.'
      : 'and the members rolled onto the new list first can form a second majority beside the old one.'}`;
  }
  return `since the ${from - to} member(s) removed can be the ones holding the newest acknowledged writes, and the members left may run with a `
    + 'list that no longer matches the others\'.';
}
