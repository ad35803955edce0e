import { QuorumSecurity } from './quorum-security-step';

/** Whether clients reach the members over TLS. */
export enum ClientTls {
  /** Plaintext client port only. */
  OFF = 'off',
  /** Both: the plaintext client port and the TLS port (`secureClientPort`), for a migration. */
  ON = 'on',
  /**
   * TLS port only. The plaintext port stays bound to 127.0.0.1 for the probes and the metrics
   * exporter; nothing outside the pod can reach it.
   */
  ONLY = 'only',
}

/** cert-manager's issuer kinds. */
export enum IssuerKind {
  /** An Issuer in the ensemble's namespace. */
  ISSUER = 'Issuer',
  /** A cluster-wide ClusterIssuer. */
  CLUSTER_ISSUER = 'ClusterIssuer',
}

/** The cert-manager issuer that signs the members' certificate. */
export interface TlsIssuer {
  /** Name of the Issuer or ClusterIssuer. */
  readonly name: string;
  /** @default IssuerKind.ISSUER */
  readonly kind?: IssuerKind;
  /** API group of the issuer. @default 'cert-manager.io' */
  readonly group?: string;
}

/** A key of a Secret in the ensemble's namespace. */
export interface SecretKeyRef {
  readonly name: string;
  readonly key: string;
}

/**
 * TLS for the quorum (member to member) and for clients. Certificates come from a cert-manager
 * Certificate the construct creates (`tlsIssuer`) or from an existing Secret (`tlsSecretName`);
 * either way the Secret holds PKCS#12 files, `keystore.p12` (key and certificate chain) and
 * `truststore.p12` (the CA), which ZooKeeper reads directly, both encrypted with the password in
 * `tlsPasswordSecret`. Hostname verification is always on.
 */
export interface TlsProps {
  /**
   * Encrypt and mutually authenticate member-to-member traffic (quorum and election ports,
   * zoo.cfg `sslQuorum`). Needs more than one member, or `membership: dynamic` (whose one voter
   * runs a quorum others join). A running ensemble changes in steps, one rolling update each:
   * `QuorumSecurityStep.ACCEPT`, then `QuorumSecurityStep.PREFER`, then `true` (zoo.cfg
   * `portUnification` during the steps); a new ensemble can start with `true`.
   * @default false
   */
  readonly quorumTls?: QuorumSecurity;
  /**
   * TLS for client connections on `secureClientPort` (ZooKeeper's Netty connection factory).
   * Clients present a certificate signed by the same CA (ZooKeeper's `ssl.clientAuth=need`).
   * @default ClientTls.OFF
   */
  readonly clientTls?: ClientTls;
  /** Port of TLS client connections (container port `client-tls`). @default 2281 */
  readonly secureClientPort?: number;
  /**
   * Create a cert-manager Certificate signed by this issuer, with the member and Service names as
   * subject alternative names; cert-manager keeps it renewed in the Secret `<name>-tls`.
   * @default - none: set this or tlsSecretName when TLS is on
   */
  readonly tlsIssuer?: TlsIssuer;
  /**
   * An existing Secret with `keystore.p12` and `truststore.p12` instead of a Certificate.
   * @default - none: set this or tlsIssuer when TLS is on
   */
  readonly tlsSecretName?: string;
  /**
   * The Secret key with the password of both PKCS#12 files. You create this Secret; cert-manager
   * encrypts the files with it, ZooKeeper reads it from a mounted file.
   * @default { name: '<name>-tls-password', key: 'password' }
   */
  readonly tlsPasswordSecret?: SecretKeyRef;
}

/** Names of the TLS settings, checked against the interface like SETTING_NAMES. */
export const TLS_SETTING_NAMES = [
  'quorumTls', 'clientTls', 'secureClientPort', 'tlsIssuer', 'tlsSecretName', 'tlsPasswordSecret',
] as const satisfies readonly (keyof TlsProps)[];
type MissingTlsSetting = Exclude<keyof TlsProps, (typeof TLS_SETTING_NAMES)[number]>;
const tlsNamesComplete: [MissingTlsSetting] extends [never] ? true : MissingTlsSetting = true;
void tlsNamesComplete;
