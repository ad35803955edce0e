import { BACKUP_SETTING_NAMES } from '../backup-settings';
import { ClientTls } from '../tls-settings';
import { BackupModel, EnsembleModel } from './ensemble-model';
import { readBackupS3 } from './resolve-backup-s3';
import { INSTANCE_LABEL_KEY } from './resolve-labels';
import { NameFormat, SettingsReader } from './settings-reader';

const CRON_MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];
/** One field of a five-field cron line: numbers, names (JAN, MON), `*`, `?`, ranges, lists and steps. */
const CRON_FIELD = /^[0-9A-Za-z*?]+([-/,][0-9A-Za-z*?]+)*$/;
const PATHS = {
  toolDir: '/opt/zookeeper-backup',
  tool: '/opt/zookeeper-backup/ZooKeeperBackup.java',
  backupDir: '/backup',
  digestDir: '/run/zookeeper-backup-digest',
  s3CaDir: '/run/zookeeper-backup-s3-ca',
  tmpDir: '/tmp',
};
/** Backup names the tool writes: `zookeeper-<UTC time>-<zxid in hex>`. */
const BACKUP_NAME = /^zookeeper-\d{8}T\d{6}Z-[0-9a-f]+$/;

export interface BackupInputs {
  readonly name: string;
  /** The client Service's DNS name. */
  readonly clientServiceFqdn: string;
  readonly clientPort: number;
  readonly clientTls?: ClientTls;
  readonly clientSasl: boolean;
}

/**
 * Reads the backup settings into what the CronJob, the restore Job, their ConfigMap and their
 * NetworkPolicy need, or undefined when backup is off.
 */
export function readBackup(s: SettingsReader, inputs: BackupInputs): EnsembleModel['backup'] {
  if (!s.bool('backup', false)) {
    for (const key of BACKUP_SETTING_NAMES.filter((k) => k !== 'backup' && s.has(k))) {
      s.fail(key, 'has no effect without backup: true; remove it, or turn the backup on (a restore needs its target and tool too)');
    }
    return undefined;
  }
  const schedule = s.string('backupSchedule', '30 2 * * *', cronFormat);
  const retention = s.int('backupRetention', 7, { min: 1, max: 1000 });
  const claimName = s.string('backupClaimName', undefined, NameFormat.dnsSubdomain);
  const s3 = readBackupS3(s, PATHS.s3CaDir);
  // Exactly one target: the claim or the bucket.
  if (claimName !== undefined && s.has('backupS3Endpoint')) {
    s.fail('backupClaimName', 'cannot be set together with backupS3Endpoint: a backup has one target, the claim or the bucket; remove one of them');
  } else if (claimName === undefined && !s.has('backupS3Endpoint') && !s.failed('backupClaimName')) {
    s.fail('backupClaimName', 'is required with backup: true: name an existing PersistentVolumeClaim of the ensemble\'s namespace to keep the backups on, or set backupS3Endpoint, backupS3Bucket and backupS3CredentialsSecret for object storage');
  }
  const digestSecret = s.string('backupDigestSecret', undefined, NameFormat.dnsSubdomain);
  const timeoutSeconds = s.int('backupTimeoutSeconds', 3600, { min: 60, max: 86400 });
  const maxAgeHours = s.int('backupMaxAgeHours', 26, { min: 1, max: 8760 });
  const restore = s.string('restoreBackup', undefined, (v) => (v === 'latest' || BACKUP_NAME.test(v) ? undefined
    : 'must be \'latest\' or the name of a backup, as the backup\'s log and manifest give it (zookeeper-<yyyymmdd>T<hhmmss>Z-<zxid>)'));
  // The tool speaks plaintext without SASL: an ensemble that requires either is out of its reach.
  if (inputs.clientTls === ClientTls.ONLY) s.fail('backup', 'does not work with clientTls \'only\' yet: the backup connects to the plaintext client port');
  if (inputs.clientSasl) s.fail('backup', 'does not work with clientSasl yet: the backup does not authenticate with SASL');

  const labels = { 'app.kubernetes.io/name': 'zookeeper-backup', [INSTANCE_LABEL_KEY]: inputs.name, 'app.kubernetes.io/component': 'backup' };
  const model: BackupModel = {
    schedule,
    retention,
    claimName: s3 === undefined ? claimName : undefined,
    s3,
    digestSecret,
    timeoutSeconds,
    maxAgeHours,
    restore,
    connect: `${inputs.clientServiceFqdn}:${inputs.clientPort}`,
    // Two walks more after a busy one: a quiet walk gives a backup of exactly one zxid.
    attempts: 3,
    labels,
    names: {
      cronJob: `${inputs.name}-backup`,
      restoreJob: `${inputs.name}-restore`,
      configMap: `${inputs.name}-backup`,
      networkPolicy: `${inputs.name}-backup`,
      container: 'backup',
    },
    paths: PATHS,
    resources: { cpuRequestMillicores: 100, memoryMiB: 512, heapPercent: 60 },
  };
  return model;
}

function cronFormat(value: string): string | undefined {
  const fields = value.trim().split(/\s+/);
  if (fields.length === 1 && CRON_MACROS.includes(fields[0])) return undefined;
  if (fields.length === 5 && fields.every((field) => CRON_FIELD.test(field))) return undefined;
  return `must be a cron schedule: five fields (minute hour day-of-month month day-of-week, e.g. '30 2 * * *') or one of ${CRON_MACROS.join(', ')}`;
}
