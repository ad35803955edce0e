import { BackupModel, EnsembleModel } from '../model/ensemble-model';
import { AlertRule, RuleBuilder } from './alert-rules-types';

/**
 * The backup's alerts, from kube-state-metrics' CronJob and Job series: a run of the CronJob that
 * failed since the last success, and a last success older than backupMaxAgeHours. None without
 * backup.
 */
export function backupAlertRules(model: EnsembleModel, rule: RuleBuilder): AlertRule[] {
  const backup = model.backup;
  if (backup === undefined) return [];
  const { namespace: ns } = model;
  // The Jobs the CronJob creates are named `<cronjob>-<minutes since the epoch>`.
  const jobs = `namespace="${ns}", job_name=~"${backup.names.cronJob}-[0-9]+"`;
  const lastSuccess = lastSuccessOrCreation(backup, ns);
  const kubectl = `kubectl -n ${ns}`;
  return [
    rule('ZooKeeperBackupFailed', 'warning',
      `(kube_job_status_start_time{${jobs}} and on(namespace, job_name) (kube_job_status_failed{${jobs}} > 0))`
      + ` > on(namespace) group_left() (${lastSuccess})`, undefined,
      `A backup of ZooKeeper ensemble ${ns}/${model.name} failed`,
      `Job {{ $labels.job_name }} of CronJob ${backup.names.cronJob} failed, and no backup has succeeded since it started.`,
      `${kubectl} logs job/{{ $labels.job_name }}: its last line says why ("zookeeper-backup: FAILED: ..."); `
      + `${kubectl} describe job {{ $labels.job_name }} for a deadline or a pod that never started (${backup.s3 ? `Secret ${backup.s3.credentialsSecret}` : `claim ${backup.claimName}`}); `
      + `run one now: ${kubectl} create job --from=cronjob/${backup.names.cronJob} ${backup.names.cronJob}-now`),
    rule('ZooKeeperBackupTooOld', 'warning', `time() - (${lastSuccess}) > ${backup.maxAgeHours * 3600}`, undefined,
      `The last backup of ZooKeeper ensemble ${ns}/${model.name} is older than ${backup.maxAgeHours} hours`,
      `CronJob ${backup.names.cronJob} (schedule "${backup.schedule}") last succeeded {{ $value | humanizeDuration }} ago, `
      + 'or has never succeeded since it was created that long ago.',
      `${kubectl} get cronjob ${backup.names.cronJob} (suspended? last schedule?) and ${kubectl} get jobs; `
      + 'ZooKeeperBackupFailed names a failed run; a CronJob whose runs are skipped (concurrencyPolicy Forbid, startingDeadlineSeconds) shows it in its events'),
  ];

  function lastSuccessOrCreation(b: BackupModel, namespace: string): string {
    const selector = `namespace="${namespace}", cronjob="${b.names.cronJob}"`;
    // Before the first success there is no last_successful_time: the CronJob's creation stands in.
    return `max by (namespace) (kube_cronjob_status_last_successful_time{${selector}})`
      + ` or max by (namespace) (kube_cronjob_created{${selector}})`;
  }
}
