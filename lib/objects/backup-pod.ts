import { k8s } from '../k8s';
import { BackupModel, EnsembleModel } from '../model/ensemble-model';
import { loggingConfigOption } from '../render/jvm-options';
import { containerSecurityContext, podSecurityContext, VOLUMES } from './pod-template';

/** What the tool does in a pod: the CronJob's pods back up, the restore Job's restore. */
export type BackupCommand = 'backup' | 'restore';

const BACKUP_VOLUMES = { tool: 'tool', logging: VOLUMES.logging, backups: 'backups', tmp: VOLUMES.tmp, digest: 'digest', s3Ca: 's3-ca' } as const;

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
        ...targetEnv(backup),
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
        ...(backup.claimName ? [{ name: BACKUP_VOLUMES.backups, mountPath: paths.backupDir, readOnly: command === 'restore' }] : []),
        { name: BACKUP_VOLUMES.tmp, mountPath: paths.tmpDir },
        ...(backup.digestSecret ? [{ name: BACKUP_VOLUMES.digest, mountPath: paths.digestDir, readOnly: true }] : []),
        ...(backup.s3?.caConfigMap ? [{ name: BACKUP_VOLUMES.s3Ca, mountPath: paths.s3CaDir, readOnly: true }] : []),
      ],
    }],
    volumes: [
      { name: BACKUP_VOLUMES.tool, configMap: { name: backup.names.configMap } },
      { name: BACKUP_VOLUMES.logging, configMap: { name: model.names.configMaps.logging } },
      ...(backup.claimName ? [{ name: BACKUP_VOLUMES.backups, persistentVolumeClaim: { claimName: backup.claimName } }] : []),
      // The comparison after a restore writes the live tree's dump here, as large as the backup; with
      // a bucket, the new backup and the copy read back for verifying are here too.
      { name: BACKUP_VOLUMES.tmp, emptyDir: { sizeLimit: k8s.Quantity.fromString('1Gi') } },
      // Readable by the pod's group only, like the members' Secret volumes.
      ...(backup.digestSecret ? [{ name: BACKUP_VOLUMES.digest, secret: { secretName: backup.digestSecret, defaultMode: 0o440, items: [{ key: 'digest', path: 'digest' }] } }] : []),
      ...(backup.s3?.caConfigMap ? [{ name: BACKUP_VOLUMES.s3Ca, configMap: { name: backup.s3.caConfigMap, items: [{ key: 'ca.crt', path: 'ca.crt' }] } }] : []),
    ],
    nodeSelector: Object.keys(model.scheduling.nodeSelector).length > 0 ? { ...model.scheduling.nodeSelector } : undefined,
    tolerations: model.scheduling.tolerations.length > 0 ? [...model.scheduling.tolerations] : undefined,
    priorityClassName: model.scheduling.priorityClassName,
  };
}

/**
 * Where the tool keeps the backups: the claim's mount, or the bucket, with its credentials taken
 * from the user's Secret by the kubelet (secretKeyRef), so they are in no manifest and no argument.
 */
function targetEnv(backup: BackupModel): k8s.EnvVar[] {
  const s3 = backup.s3;
  if (s3 === undefined) return [{ name: 'ZK_BACKUP_DIR', value: backup.paths.backupDir }];
  return [
    { name: 'ZK_BACKUP_S3_ENDPOINT', value: s3.endpoint },
    { name: 'ZK_BACKUP_S3_BUCKET', value: s3.bucket },
    { name: 'ZK_BACKUP_S3_PREFIX', value: s3.prefix },
    { name: 'ZK_BACKUP_S3_REGION', value: s3.region },
    { name: 'ZK_BACKUP_S3_PATH_STYLE', value: String(s3.pathStyle) },
    ...(s3.caFile ? [{ name: 'ZK_BACKUP_S3_CA_FILE', value: s3.caFile }] : []),
    { name: 'ZK_BACKUP_TMP_DIR', value: backup.paths.tmpDir },
    ...Object.values(s3.secretKeys).map((key) => ({ name: key, valueFrom: { secretKeyRef: { name: s3.credentialsSecret, key } } })),
  ];
}
