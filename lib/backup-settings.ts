// The settings of the scheduled backup and of a restore. Part of ZooKeeperEnsembleProps;
// docs/backup.md explains the mechanism (a logical dump over the client protocol).

/** Backup and restore settings of an ensemble. */
export interface BackupSettings {
  /**
   * Back up the ensemble on a schedule: a CronJob dumps every persistent znode (data and ACL) over
   * the client protocol into backupClaimName, verifies the dump and keeps backupRetention of them.
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
   * @default - none: required with backup: true
   */
  readonly backupClaimName?: string;
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
  'backup', 'backupSchedule', 'backupRetention', 'backupClaimName', 'backupDigestSecret', 'backupTimeoutSeconds', 'backupMaxAgeHours', 'restoreBackup',
] as const satisfies readonly (keyof BackupSettings)[];

// Compile-time proof that the name list and the interface list the same keys.
type MissingBackup = Exclude<keyof BackupSettings, (typeof BACKUP_SETTING_NAMES)[number]>;
const backupNamesComplete: [MissingBackup] extends [never] ? true : MissingBackup = true;
void backupNamesComplete;
