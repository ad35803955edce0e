/** How a change of the number of voters reaches the running ensemble (docs/membership-design.md). */
export enum Membership {
  /**
   * Every member's zoo.cfg lists every voter: a change of `replicas` rolls every pod onto a new
   * list, which a running ensemble must not take by an ordinary apply (docs/operations.md).
   */
  STATIC = 'static',
  /**
   * EXPERIMENTAL. ZooKeeper's dynamic reconfiguration: zoo.cfg lists no server, each member learns
   * the membership from the ensemble and joins or leaves it with `reconfig`, following its
   * StatefulSet's replicas, which the members read from the Kubernetes API. A change of
   * `replicas` rolls no pod.
   */
  DYNAMIC = 'dynamic',
}

/** The membership mode and what it needs to know about the ensemble's birth. */
export interface MembershipSettings {
  /**
   * How a change of `replicas` (and in mode cluster of `observers`) reaches the running members.
   * 'dynamic' is experimental and opt-in; a committed 'dynamic' ensemble cannot go back to 'static'.
   * @default Membership.STATIC
   */
  readonly membership?: Membership;
  /**
   * With `membership: 'dynamic'`: the voters the ensemble was first deployed with. Members 0 to
   * bootstrapVoters - 1 form the first quorum from the bootstrap list when no ensemble exists yet;
   * it never changes afterwards (the environments app reads it from the committed manifests).
   * @default - replicas
   */
  readonly bootstrapVoters?: number;
}

/** The setting names, checked against the interface like SETTING_NAMES. */
export const MEMBERSHIP_SETTING_NAMES = ['membership', 'bootstrapVoters'] as const satisfies readonly (keyof MembershipSettings)[];
type MissingMembershipSetting = Exclude<keyof MembershipSettings, (typeof MEMBERSHIP_SETTING_NAMES)[number]>;
const membershipNamesComplete: [MissingMembershipSetting] extends [never] ? true : MissingMembershipSetting = true;
void membershipNamesComplete;
