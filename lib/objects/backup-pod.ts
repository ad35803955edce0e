import { k8s } from '../k8s';
import { BackupModel, EnsembleModel } from '../model/ensemble-model';
import { loggingConfigOption } from '../render/jvm-options';
import { containerSecurityContext, podSecurityContext, VOLUMES } from './pod-template';

/** What the tool does in a pod: the CronJob's pods back up, the restore Job's restore. */
export type BackupCommand = 'backup' | 'restore';

const BACKUP_VOLUMES = { tool: 'tool', logging: VOLUMES.logging, backups: 'backups', tmp: VOLUMES.tmp, digest: 'digest' } as const;

/**
 * The pod of a backup or restore: the server image's JVM runs the tool's source from its ConfigMap
 * with the server's classpath, under the restricted Pod Security Standard, writing only to the
 * backup claim and /tmp. It reaches the ensemble through the client Service.
 */
export function backupPodSpec(model: EnsembleModel, backup: BackupModel, command: BackupCommand): k8s.PodSpec {
  const { paths } = backup;
  const java = [
    model.image.javaPath,
    `-XX:MaxRAMPercentage=${backup.resources.heapPercent}`,
    `-Djava.io.tmpdir=${paths.tmpDir}`,
    loggingConfigOption(model),
    '-cp', model.image.classpath.join(':'),
    paths.tool,
    command,
    ...(command === 'restore' ? [backup.restore!] : []),
  ];
  return {
    serviceAccountName: model.names.serviceAccount,
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    restartPolicy: 'Never',
    securityContext: podSecurityContext(model),
    imagePullSecrets: model.imagePullSecrets.length > 0 ? model.imagePullSecrets.map((name) => ({ name })) : undefined,
    containers: [{
      name: backup.names.container,
      image: model.image.image,
      imagePullPolicy: 'IfNotPresent',
      command: java,
      env: [
        { name: 'ZK_CONNECT', value: backup.connect },
        { name: 'ZK_BACKUP_DIR', value: paths.backupDir },
        { name: 'ZK_BACKUP_KEEP', value: String(backup.retention) },
        { name: 'ZK_BACKUP_ATTEMPTS', value: String(backup.attempts) },
        ...(backup.digestSecret ? [{ name: 'ZK_BACKUP_DIGEST_FILE', value: `${paths.digestDir}/digest` }] : []),
      ],
      resources: {
        requests: { cpu: k8s.Quantity.fromString(`${backup.resources.cpuRequestMillicores}m`), memory: k8s.Quantity.fromString(`${backup.resources.memoryMiB}Mi`) },
        limits: { memory: k8s.Quantity.fromString(`${backup.resources.memoryMiB}Mi`) },
      },
      securityContext: containerSecurityContext(),
      volumeMounts: [
        { name: BACKUP_VOLUMES.tool, mountPath: paths.toolDir, readOnly: true },
        { name: BACKUP_VOLUMES.logging, mountPath: model.paths.loggingDir, readOnly: true },
        // The restore only reads the backups; a mistake in it cannot touch them.
        { name: BACKUP_VOLUMES.backups, mountPath: paths.backupDir, readOnly: command === 'restore' },
        { name: BACKUP_VOLUMES.tmp, mountPath: paths.tmpDir },
        ...(backup.digestSecret ? [{ name: BACKUP_VOLUMES.digest, mountPath: paths.digestDir, readOnly: true }] : []),
      ],
    }],
    volumes: [
      { name: BACKUP_VOLUMES.tool, configMap: { name: backup.names.configMap } },
      { name: BACKUP_VOLUMES.logging, configMap: { name: model.names.configMaps.logging } },
      { name: BACKUP_VOLUMES.backups, persistentVolumeClaim: { claimName: backup.claimName } },
      // The comparison after a restore writes the live tree's dump here, as large as the backup.
      { name: BACKUP_VOLUMES.tmp, emptyDir: { sizeLimit: k8s.Quantity.fromString('1Gi') } },
      // Readable by the pod's group only, like the members' Secret volumes.
      ...(backup.digestSecret ? [{ name: BACKUP_VOLUMES.digest, secret: { secretName: backup.digestSecret, defaultMode: 0o440, items: [{ key: 'digest', path: 'digest' }] } }] : []),
    ],
    nodeSelector: Object.keys(model.scheduling.nodeSelector).length > 0 ? { ...model.scheduling.nodeSelector } : undefined,
    tolerations: model.scheduling.tolerations.length > 0 ? [...model.scheduling.tolerations] : undefined,
    priorityClassName: model.scheduling.priorityClassName,
  };
}
