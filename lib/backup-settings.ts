// The settings of the scheduled backup and of a restore. Part of ZooKeeperEnsembleProps;
// docs/backup.md explains the mechanism (a logical dump over the client protocol).

/** Backup and restore settings of an ensemble. */
export interface BackupSettings {
  /**
   * Back up the ensemble on a schedule: a CronJob dumps every persistent znode (data and ACL) over
   * the client protocol into backupClaimName (or a bucket, backupS3Endpoint), verifies the dump and keeps backupRetention of them.
   * @default false
   */
  readonly backup?: boolean;
  /**
   * When the backup runs, in cron syntax (five fields, or a macro such as `@daily`), in the
   * cluster's time zone (UTC on most).
   * @default '30 2 * * *' - every day at 02:30
   */
  readonly backupSchedule?: string;
  /**
   * Complete backups kept; older ones are removed after a new one has been written and verified.
   * @default 7
   */
  readonly backupRetention?: number;
  /**
   * An existing PersistentVolumeClaim in the ensemble's namespace that holds the backups. It is
   * not created here, so deleting the ensemble's objects never deletes the backups.
   * @default - none: required with backup: true, unless backupS3Endpoint names object storage
   */
  readonly backupClaimName?: string;
  /**
   * The URL of an S3-compatible object storage service to keep the backups in instead of a claim:
   * `https://host[:port]` (or `http://`), nothing after the host and port. Credentials never go
   * here: they come from backupS3CredentialsSecret. Needs backupS3Bucket and
   * backupS3CredentialsSecret; not with backupClaimName.
   * @default - none: the backups go to backupClaimName
   */
  readonly backupS3Endpoint?: string;
  /**
   * The existing bucket the backups go to (S3 bucket naming: 3 to 63 lowercase letters, digits,
   * '.' and '-').
   * @default - none: required with backupS3Endpoint
   */
  readonly backupS3Bucket?: string;
  /**
   * The key prefix of the backups in the bucket, such as `zookeeper/prod/` (a '/' is added when
   * missing). Retention removes only this prefix's backups.
   * @default - none: the backups' keys start at the bucket's root
   */
  readonly backupS3Prefix?: string;
  /**
   * The region the requests are signed for. S3-compatible services that have no regions accept
   * the default.
   * @default 'us-east-1'
   */
  readonly backupS3Region?: string;
  /**
   * Address the bucket in the path (`https://host/bucket/key`), as most S3-compatible services
   * want; false puts it in the host name (`https://bucket.host/key`), as AWS prefers.
   * @default true
   */
  readonly backupS3PathStyle?: boolean;
  /**
   * An existing Secret in the ensemble's namespace with the keys `AWS_ACCESS_KEY_ID` and
   * `AWS_SECRET_ACCESS_KEY`: the backup and restore pods get them as environment variables from
   * the Secret, never in a ConfigMap, an argument or a log.
   * @default - none: required with backupS3Endpoint
   */
  readonly backupS3CredentialsSecret?: string;
  /**
   * An existing ConfigMap whose key `ca.crt` holds the PEM certificate(s) of the CA that signed an
   * https endpoint's certificate, for a private CA; the tool then trusts those only.
   * @default - the JVM's own trusted CAs
   */
  readonly backupS3CaConfigMap?: string;
  /**
   * The address block of the S3 endpoint, for the backup pods' NetworkPolicy egress rule.
   * @default - the endpoint's address when it is an IP address, else any address on the endpoint's port
   */
  readonly backupS3Cidr?: string;
  /**
   * An existing Secret whose key `digest` holds `user:password` of a digest user the backup (and
   * restore) authenticates as. Needed when ACLs keep znodes from world reads, or name digest
   * users: the server shows a digest ACL's hash only to a client with ADMIN permission there.
   * The super user (superDigest) can read everything.
   * @default - none: the backup reads as an anonymous client
   */
  readonly backupDigestSecret?: string;
  /**
   * The longest a backup or restore Job may run (its activeDeadlineSeconds).
   * @default 3600
   */
  readonly backupTimeoutSeconds?: number;
  /**
   * Hours after which the last successful backup is too old: the alert ZooKeeperBackupTooOld fires
   * (from kube-state-metrics' CronJob series). Fits the default daily schedule with two hours to
   * spare; set it from your schedule.
   * @default 26
   */
  readonly backupMaxAgeHours?: number;
  /**
   * Restore this backup (`latest`, or a name such as `zookeeper-20261203T023000Z-1a2b`): adds a
   * Job that recreates the backup's znodes in the ensemble. It only writes into an empty ensemble
   * (new volumes) and succeeds without writing when the ensemble already equals the backup. Remove
   * the setting once the restore is done. Needs backup: true (the claim and the tool).
   * @default - no restore Job
   */
  readonly restoreBackup?: string;
}

/** The setting names, checked against the interface like SETTING_NAMES. */
export const BACKUP_SETTING_NAMES = [
  'backup', 'backupSchedule', 'backupRetention', 'backupClaimName',
  'backupS3Endpoint', 'backupS3Bucket', 'backupS3Prefix', 'backupS3Region', 'backupS3PathStyle', 'backupS3CredentialsSecret', 'backupS3CaConfigMap', 'backupS3Cidr',
  'backupDigestSecret', 'backupTimeoutSeconds', 'backupMaxAgeHours', 'restoreBackup',
] as const satisfies readonly (keyof BackupSettings)[];

// Compile-time proof that the name list and the interface list the same keys.
type MissingBackup = Exclude<keyof BackupSettings, (typeof BACKUP_SETTING_NAMES)[number]>;
const backupNamesComplete: [MissingBackup] extends [never] ? true : MissingBackup = true;
void backupNamesComplete;
