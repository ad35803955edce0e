/**
 * What the committed manifest of an ensemble says about its membership. A dynamic membership's
 * bootstrap list is fixed at the ensemble's birth: later syntheses must keep it, whatever replicas
 * has become, or a change of replicas would change the ConfigMap and roll every pod. The committed
 * manifest is where the app finds it, so nobody has to remember it.
 */

import { Membership } from '../membership-settings';
import { COMPONENT_LABEL_KEY, COMPONENT_OF } from '../model/resolve-labels';
import { BOOTSTRAP_KEY } from '../model/resolve-membership';
import { statefulSets } from './refused-updates';

export interface CommittedMembership {
  readonly membership: Membership;
  /**
   * The voters of the ensemble's first membership: the committed bootstrap list's size, or with a
   * static membership the voters' StatefulSet's replicas (they are the members a switch to dynamic
   * starts from). Undefined when the manifest holds no voters' StatefulSet.
   */
  readonly bootstrapVoters?: number;
  /**
   * A static ensemble's observers' StatefulSet, if the manifest holds one: their ids follow the
   * voters' (replicas + 1...), a dynamic membership's start at 224, and their volumes keep the old.
   */
  readonly staticObservers?: string;
}

/** The membership of the ensemble in `objects` (one ensemble's manifest, as committed). */
export function committedMembership(objects: readonly unknown[]): CommittedMembership {
  const bootstrap = objects
    .map((o) => o as { kind?: string; data?: Record<string, string> } | null)
    .find((o) => o?.kind === 'ConfigMap' && typeof o.data?.[BOOTSTRAP_KEY] === 'string')?.data?.[BOOTSTRAP_KEY];
  if (bootstrap !== undefined) {
    return { membership: Membership.DYNAMIC, bootstrapVoters: bootstrap.split('\n').filter((line) => line.startsWith('server.')).length };
  }
  const voters = statefulSets(objects).find((sts) => sts.metadata.labels?.[COMPONENT_LABEL_KEY] === COMPONENT_OF.voter);
  const observers = statefulSets(objects).find((sts) => sts.metadata.labels?.[COMPONENT_LABEL_KEY] === COMPONENT_OF.observer);
  return {
    membership: Membership.STATIC, bootstrapVoters: voters === undefined ? undefined : voters.spec.replicas ?? 1,
    ...(observers === undefined ? {} : { staticObservers: observers.metadata.name }),
  };
}

/**
 * The problems that forbid the synthesis: leaving a committed dynamic membership, or a
 * bootstrapVoters that differs from the ensemble's birth. The committed manifest only checks the
 * settings, it never fills one in: dist/ must follow from the environment files alone, so that a
 * synthesis without dist/ (a fresh clone's, the tests') writes the same files.
 *
 * @param file the committed manifest as the user knows it, named in the messages
 */
export function withCommittedMembership<T extends { membership?: Membership; bootstrapVoters?: number }>(
  settings: T, committed: CommittedMembership | undefined, file: string,
): { settings: T; issues: { setting: string; message: string }[] } {
  if (committed === undefined) return { settings, issues: [] };
  const dynamic = settings.membership === Membership.DYNAMIC;
  // Another value than these two is the chart's to report, with the values allowed.
  const staticAsked = settings.membership === undefined || settings.membership === Membership.STATIC;
  if (committed.membership === Membership.DYNAMIC && staticAsked) {
    return {
      settings,
      issues: [{
        setting: 'membership',
        message: `${file} runs membership '${Membership.DYNAMIC}', which cannot go back to '${Membership.STATIC}': the members keep their membership on `
          + `their volumes, written by ZooKeeper's reconfiguration, and a static server list would contradict it. Keep membership: '${Membership.DYNAMIC}' `
          + '(dist/ is left as it is).',
      }],
    };
  }
  if (dynamic && committed.membership === Membership.STATIC && committed.staticObservers !== undefined) {
    return {
      settings,
      issues: [{
        setting: 'membership',
        message: `${file} has observers (StatefulSet ${committed.staticObservers}) under a static membership: a switch to '${Membership.DYNAMIC}' would give them `
          + 'other server ids (from 224) than their volumes hold, and is not supported yet. Keep membership: \'static\', or remove the observers, their '
          + 'StatefulSet and their claims first (dist/ is left as it is).',
      }],
    };
  }
  if (!dynamic || committed.bootstrapVoters === undefined) return { settings, issues: [] };
  // Left out, it defaults to replicas: the chart's resolution is compared after it (bornWith).
  if (settings.bootstrapVoters === undefined || settings.bootstrapVoters === committed.bootstrapVoters) return { settings, issues: [] };
  return {
    settings,
    issues: [{
      setting: 'bootstrapVoters',
      message: `is ${settings.bootstrapVoters}, but the ensemble of ${file} was born with ${voters(committed.bootstrapVoters)}, and its bootstrap list never `
        + `changes: write \`bootstrapVoters: ${committed.bootstrapVoters}\` (dist/ is left as it is)`,
    }],
  };
}

/**
 * The problem when the chart's bootstrap list (`resolved` voters; `bootstrapVoters` left out, so
 * `replicas`) is not the one the committed ensemble was born with: the environment file must then
 * say `bootstrapVoters`, which never changes, or the list would follow replicas and roll every pod.
 */
export function bornWith(committed: CommittedMembership | undefined, resolved: number | undefined, file: string): { setting: string; message: string } | undefined {
  if (committed?.bootstrapVoters === undefined || resolved === undefined || resolved === committed.bootstrapVoters) return undefined;
  return {
    setting: 'bootstrapVoters',
    message: `is left out, so it follows replicas (${resolved}), but the ensemble of ${file} was born with ${voters(committed.bootstrapVoters)}, and its `
      + `bootstrap list never changes: add \`bootstrapVoters: ${committed.bootstrapVoters}\` to the environment file (dist/ is left as it is)`,
  };
}

const voters = (n: number) => `${n} voter${n === 1 ? '' : 's'}`;
