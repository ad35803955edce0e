import { k8s } from '../k8s';
import { EnsembleModel } from '../model/ensemble-model';
import { clientPasswordFile } from '../model/resolve-sasl';
import { clientUsesTls, javaToolCommand } from '../render/java-tool';
import { containerSecurityContext } from './pod-template';

/**
 * What a client tool's pod mounts to talk to the ensemble as the members' clients do: the TLS
 * stores and their password from the members' own Secrets (read-only, 0440 through the pod's group),
 * and with client SASL the password of one client user only, under the file name the members use.
 */
export function clientSecurityVolumes(model: EnsembleModel, saslUser: string | undefined): { volumes: k8s.Volume[]; mounts: k8s.VolumeMount[] } {
  const volumes: k8s.Volume[] = [];
  const mounts: k8s.VolumeMount[] = [];
  if (clientUsesTls(model)) {
    const { secretName, secretKeys, passwordSecret, paths } = model.tls!;
    const passwordFile = paths.passwordFile.slice(paths.passwordDir.length + 1);
    volumes.push(
      { name: 'tls', secret: { secretName, defaultMode: 0o440, items: [secretKeys.keyStore, secretKeys.trustStore].map((key) => ({ key, path: key })) } },
      { name: 'tls-password', secret: { secretName: passwordSecret.name, defaultMode: 0o440, items: [{ key: passwordSecret.key, path: passwordFile }] } },
    );
    mounts.push({ name: 'tls', mountPath: paths.secretDir, readOnly: true }, { name: 'tls-password', mountPath: paths.passwordDir, readOnly: true });
  }
  const saslItem = saslUser === undefined ? undefined : model.sasl?.items.find((item) => item.path === clientPasswordFile(saslUser));
  if (saslItem) {
    volumes.push({ name: 'sasl', secret: { secretName: model.sasl!.secretName, defaultMode: 0o440, items: [{ ...saslItem }] } });
    mounts.push({ name: 'sasl', mountPath: model.sasl!.paths.secretDir, readOnly: true });
  }
  return { volumes, mounts };
}

/** One Java tool's Job pod: which source it runs from which ConfigMap, as whom, with what. */
export interface JavaToolPod {
  readonly container: string;
  readonly configMap: string;
  readonly sourceDir: string;
  readonly source: string;
  readonly heapMiB: number;
  readonly env: k8s.EnvVar[];
  readonly serviceAccount: string;
  /** Only a tool that calls the Kubernetes API gets a token. */
  readonly automountServiceAccountToken: boolean;
  /** With client SASL, the client user whose password is mounted. */
  readonly saslUser?: string;
  /**
   * A file of the ConfigMap the JVM reads as security properties on top of the JDK's.
   * @default - the JDK's own
   */
  readonly securityFile?: string;
}

/**
 * The pod of a Java tool's Job: run once (the tool retries within itself, a failure is the
 * answer), under the restricted Pod Security Standard with a read-only root, the ConfigMap's source
 * run by the image's JVM, the members' client TLS (and one SASL user) mounted, scheduled where the
 * members may be.
 */
export function javaToolPodSpec(model: EnsembleModel, tool: JavaToolPod): k8s.PodSpec {
  const security = clientSecurityVolumes(model, tool.saslUser);
  return {
    restartPolicy: 'Never',
    serviceAccountName: tool.serviceAccount,
    automountServiceAccountToken: tool.automountServiceAccountToken,
    enableServiceLinks: false,
    securityContext: {
      ...(model.podUser && { runAsUser: model.podUser.userId, runAsGroup: model.podUser.groupId, fsGroup: model.podUser.groupId }),
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    imagePullSecrets: model.imagePullSecrets.length > 0 ? model.imagePullSecrets.map((name) => ({ name })) : undefined,
    containers: [{
      name: tool.container,
      image: model.image.image,
      imagePullPolicy: 'IfNotPresent',
      command: javaToolCommand(model, { dir: tool.sourceDir, source: tool.source, heapMiB: tool.heapMiB, securityFile: tool.securityFile }),
      env: tool.env,
      resources: {
        requests: { cpu: k8s.Quantity.fromString('100m'), memory: k8s.Quantity.fromString('256Mi') },
        limits: { memory: k8s.Quantity.fromString('256Mi') },
      },
      securityContext: containerSecurityContext(),
      // The pod's status then carries the log's end, where the tool says what failed.
      terminationMessagePolicy: 'FallbackToLogsOnError',
      volumeMounts: [
        { name: 'source', mountPath: tool.sourceDir, readOnly: true },
        { name: 'tmp', mountPath: model.paths.tmpDir },
        ...security.mounts,
      ],
    }],
    volumes: [
      { name: 'source', configMap: { name: tool.configMap } },
      { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } },
      ...security.volumes,
    ],
    nodeSelector: Object.keys(model.scheduling.nodeSelector).length > 0 ? { ...model.scheduling.nodeSelector } : undefined,
    tolerations: model.scheduling.tolerations.length > 0 ? [...model.scheduling.tolerations] : undefined,
  };
}
