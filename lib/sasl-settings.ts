import { QuorumSecurity } from './quorum-security-step';

/**
 * SASL authentication (DIGEST-MD5) for clients and between members. Every credential comes from
 * one existing Secret in the ensemble's namespace (`saslSecretName`), which the construct never
 * creates or reads: the settings only name its keys. Each member builds its JAAS file from the
 * mounted Secret when ZooKeeper starts, into an in-memory volume; no password or digest is ever
 * rendered into a manifest, a ConfigMap or the java command line.
 */
export interface SaslProps {
  /**
   * Require every client session to authenticate with SASL DIGEST-MD5 as one of
   * `saslClientUsers` (zoo.cfg `enforce.auth.enabled` with `enforce.auth.schemes=sasl`): a session
   * that has not authenticated is closed at its first request. The probes and the metrics exporter
   * use four-letter words, which are not sessions and keep working.
   * @default false
   */
  readonly clientSasl?: boolean;
  /**
   * Members authenticate each other with SASL DIGEST-MD5 before they take part in elections or
   * sync with the leader (zoo.cfg `quorum.auth.*`, required in both directions): a member without
   * the quorum password cannot join. Needs more than one member, or `membership: dynamic` (whose
   * one voter runs a quorum others join). A running ensemble changes in steps, one rolling update
   * each: `QuorumSecurityStep.ACCEPT` (SASL on, required by nobody),
   * `QuorumSecurityStep.PREFER` (required by joining members), then `true`.
   * @default false
   */
  readonly quorumSasl?: QuorumSecurity;
  /**
   * The existing Secret holding the passwords (keys: `saslQuorumPasswordKey`, the values of
   * `saslClientUsers`, and `saslSuperDigestKey`).
   * @default - none: required when clientSasl or quorumSasl is on
   */
  readonly saslSecretName?: string;
  /**
   * User name the members log in to each other with. Not a secret (it appears in the pod spec); the
   * password is.
   * @default 'quorum'
   */
  readonly saslQuorumUser?: string;
  /** Key of the quorum password in the Secret. @default 'quorum-password' */
  readonly saslQuorumPasswordKey?: string;
  /**
   * Client user names, each with the key of its password in the Secret, e.g.
   * `{ kafka: 'kafka-password' }`. A map rather than a naming convention, so that a Secret whose
   * keys someone else chose (another operator, a secrets manager) can be used as it is.
   * @default - none: at least one is required when clientSasl is on
   */
  readonly saslClientUsers?: Record<string, string>;
  /**
   * Key of a super user digest in the Secret: `super:<base64 of SHA-1 of "super:password">`, as
   * `org.apache.zookeeper.server.auth.DigestAuthenticationProvider` prints it. A client that
   * authenticated with SASL and then adds `digest super:password` bypasses every ACL.
   * @default - no super user
   */
  readonly saslSuperDigestKey?: string;
}

/** Names of the SASL settings, checked against the interface like SETTING_NAMES. */
export const SASL_SETTING_NAMES = [
  'clientSasl', 'quorumSasl', 'saslSecretName', 'saslQuorumUser', 'saslQuorumPasswordKey', 'saslClientUsers', 'saslSuperDigestKey',
] as const satisfies readonly (keyof SaslProps)[];
type MissingSaslSetting = Exclude<keyof SaslProps, (typeof SASL_SETTING_NAMES)[number]>;
const saslNamesComplete: [MissingSaslSetting] extends [never] ? true : MissingSaslSetting = true;
void saslNamesComplete;
