/**
 * The two steps between off and on for quorum TLS (`quorumTls`) and quorum SASL (`quorumSasl`) in a
 * running ensemble. Each step is one synthesis and one rolling update, and members of neighbouring
 * steps always understand each other. On: `false` -> `accept` -> `prefer` -> `true`; off: the same
 * steps backwards. A new ensemble can start at `true`.
 */
export enum QuorumSecurityStep {
  /**
   * Step 1. TLS: members accept TLS and plaintext on their quorum ports and dial in plaintext.
   * SASL: members have the quorum password and can authenticate, but joining members do not try
   * yet and the leader requires it of nobody.
   */
  ACCEPT = 'accept',
  /**
   * Step 2. TLS: members dial over TLS and still accept plaintext from members not yet rolled.
   * SASL: a member joining the leader authenticates and insists on it; the leader does not yet
   * require it of the members it accepts.
   */
  PREFER = 'prefer',
}

/** The three things a quorum security setting can say: off, one of the steps, or on. */
export type QuorumSecurity = boolean | QuorumSecurityStep;
