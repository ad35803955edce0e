import { Construct } from 'constructs';
import { k8s } from '../k8s';
import { BackupModel, EnsembleModel } from '../model/ensemble-model';
import { loadBackupTool } from '../render/scripts';
import { backupPodSpec, BackupCommand } from './backup-pod';
import { objectMeta } from './metadata';

/**
 * The scheduled backup, and the restore Job when restoreBackup asks for one: the tool's
 * ConfigMap, the CronJob, the Job and the NetworkPolicy of their pods. Nothing when backup is off.
 */
export function addBackup(scope: Construct, model: EnsembleModel): void {
  const backup = model.backup;
  if (backup === undefined) return;
  new k8s.KubeConfigMap(scope, 'BackupConfigMap', {
    metadata: objectMeta(model, backup.names.configMap, 'configuration', backupObjectLabels(model, backup)),
    data: loadBackupTool(),
  });
  new k8s.KubeCronJob(scope, 'BackupCronJob', {
    metadata: objectMeta(model, backup.names.cronJob, 'workload', backupObjectLabels(model, backup)),
    spec: {
      schedule: backup.schedule,
      // A backup still running when the next is due keeps going; the next one is skipped.
      concurrencyPolicy: 'Forbid',
      // A run missed by more than this (the controller was down) is skipped, not made up for.
      startingDeadlineSeconds: 600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: { metadata: { labels: { ...backup.labels } }, spec: jobSpec(model, backup, 'backup') },
    },
  });
  if (backup.restore !== undefined) {
    new k8s.KubeJob(scope, 'RestoreJob', {
      metadata: objectMeta(model, backup.names.restoreJob, 'restore', backupObjectLabels(model, backup)),
      spec: jobSpec(model, backup, 'restore'),
    });
  }
  addBackupNetworkPolicy(scope, model, backup);
}

function jobSpec(model: EnsembleModel, backup: BackupModel, command: BackupCommand): k8s.JobSpec {
  return {
    // One retry: a member restarting under the backup is worth another try, a broken backup is not.
    backoffLimit: 1,
    activeDeadlineSeconds: backup.timeoutSeconds,
    template: {
      metadata: { labels: { ...backup.labels } },
      spec: backupPodSpec(model, backup, command),
    },
  };
}

/**
 * The backup and restore pods take no connections, and reach only the DNS, the members' client
 * port (the members' own policy has the matching ingress rule) and, with a bucket, the object
 * storage's port.
 */
function addBackupNetworkPolicy(scope: Construct, model: EnsembleModel, backup: BackupModel): void {
  const policy = model.networkPolicy;
  if (policy === undefined) return;
  const dns = policy.egress.find((rule) => rule.purpose === 'dns')!;
  new k8s.KubeNetworkPolicy(scope, 'BackupNetworkPolicy', {
    metadata: objectMeta(model, backup.names.networkPolicy, 'workload', backupObjectLabels(model, backup)),
    spec: {
      podSelector: { matchLabels: { ...backup.labels } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [],
      egress: [
        { to: dns.peers ? [...dns.peers] : undefined, ports: dns.ports.map(({ port, protocol }) => ({ port: k8s.IntOrString.fromNumber(port), protocol })) },
        {
          to: [{ podSelector: { matchLabels: { ...model.labels.anyMember } } }],
          ports: [{ port: k8s.IntOrString.fromNumber(model.ports.client.port), protocol: 'TCP' }],
        },
        // The object storage: its port, at its address block when one is known.
        ...(backup.s3 ? [{
          to: backup.s3.cidr ? [{ ipBlock: { cidr: backup.s3.cidr } }] : undefined,
          ports: [{ port: k8s.IntOrString.fromNumber(backup.s3.port), protocol: 'TCP' }],
        }] : []),
      ],
    },
  });
}

/** The common labels (version, managed-by, the user's) with the backup's name and component. */
function backupObjectLabels(model: EnsembleModel, backup: BackupModel): Record<string, string> {
  return { ...model.labels.common, ...backup.labels };
}
