/** Who replaces the voters' pods when their template changes (docs/rolling.md). */
export enum RollStrategy {
  /**
   * The StatefulSet uses `OnDelete` and a roll Job evicts the outdated voters one at a time,
   * followers first and the leader last, each after the one before is back, serving and synced:
   * one leader election per roll.
   */
  LEADER_LAST = 'leader-last',
  /**
   * The StatefulSet's own `RollingUpdate`, from the highest ordinal down: the leader often goes
   * first and its successor next, two elections per roll. No Job and no API access.
   */
  STATEFUL_SET = 'statefulset',
}

/** How a change of the members' pod template reaches the running pods. */
export interface RollSettings {
  /**
   * Who replaces the voters' pods when their template changes. The observers' StatefulSet always
   * rolls itself: an observer never leads, so its order costs no election.
   * @default RollStrategy.LEADER_LAST (RollStrategy.STATEFUL_SET for a single server, which has no follower to go first)
   */
  readonly rollStrategy?: RollStrategy;
}

/** The setting names, checked against the interface like SETTING_NAMES. */
export const ROLL_SETTING_NAMES = ['rollStrategy'] as const satisfies readonly (keyof RollSettings)[];
type MissingRollSetting = Exclude<keyof RollSettings, (typeof ROLL_SETTING_NAMES)[number]>;
const rollNamesComplete: [MissingRollSetting] extends [never] ? true : MissingRollSetting = true;
void rollNamesComplete;
