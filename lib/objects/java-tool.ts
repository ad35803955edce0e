import { k8s } from '../k8s';
import { EnsembleModel } from '../model/ensemble-model';
import { clientPasswordFile } from '../model/resolve-sasl';
import { clientUsesTls } from '../render/java-tool';

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
