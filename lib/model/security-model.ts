import { ClientTls, IssuerKind, SecretKeyRef } from '../tls-settings';

/**
 * TLS of the quorum and of clients, and where its material comes from. ZooKeeper reads PKCS#12
 * files: the Secret's `keystore.p12` and `truststore.p12`, copied by the tls-sync program into an
 * in-memory directory (see lib/scripts/sync-tls-stores.sh for why), with the password read from a
 * mounted Secret file.
 */
export interface TlsModel {
  /** Members connect to each other over TLS (`sslQuorum`). */
  readonly quorum: boolean;
  /** Members accept both TLS and plaintext on their quorum ports (`portUnification`). */
  readonly quorumPortUnification: boolean;
  readonly client: ClientTls;
  /** The Secret holding the stores: the Certificate's, or the one named by tlsSecretName. */
  readonly secretName: string;
  /** The Secret keys of the two stores (cert-manager's names). */
  readonly secretKeys: { readonly keyStore: string; readonly trustStore: string };
  readonly passwordSecret: SecretKeyRef;
  /** The Certificate to ask cert-manager for, or undefined when an existing Secret is used. */
  readonly certificate?: {
    readonly name: string;
    readonly issuer: { readonly name: string; readonly kind: IssuerKind; readonly group: string };
    /** Every name a member is reached or reverse-resolved by. */
    readonly dnsNames: readonly string[];
  };
  readonly paths: {
    /** The Secret volume (read-only). */
    readonly secretDir: string;
    /** The password Secret volume (read-only); the password is the file passwordFile. */
    readonly passwordDir: string;
    readonly passwordFile: string;
    /** The copies ZooKeeper reads and watches (an in-memory emptyDir). */
    readonly storesDir: string;
    readonly keyStore: string;
    readonly trustStore: string;
  };
  /** How often the tls-sync program compares the Secret's stores with the copies. */
  readonly syncIntervalSeconds: number;
}

/**
 * SASL DIGEST-MD5 authentication of clients and of members among themselves. The passwords stay
 * in the user's Secret: it is mounted with fixed file names (items), and write-sasl-config.sh
 * builds the JAAS file from it into an in-memory directory each time ZooKeeper starts.
 */
export interface SaslModel {
  readonly client: boolean;
  readonly quorum: boolean;
  readonly secretName: string;
  /** Secret keys and the file names they are mounted as: `quorum-password`, `client-<user>`, `super-digest`. */
  readonly items: readonly { readonly key: string; readonly path: string }[];
  /** The user members log in to each other as, with quorum SASL. */
  readonly quorumUser?: string;
  /** Client user names, sorted. */
  readonly clientUsers: readonly string[];
  /** Whether the Secret has a super user digest (a system property, from an @argfile in memory). */
  readonly superDigest: boolean;
  readonly paths: {
    /** The Secret volume (read-only). */
    readonly secretDir: string;
    /** In-memory directory with the files built from the Secret. */
    readonly runtimeDir: string;
    readonly jaasFile: string;
    /** With a super digest: the JVM options file plus the digest, which java runs with instead. */
    readonly jvmOptions: string;
  };
}
