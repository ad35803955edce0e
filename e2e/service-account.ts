// What the kubelet adds to a pod that automounts its ServiceAccount token, as the harness plays
// it: the token, the API server's CA and the namespace at /var/run/secrets/kubernetes.io/
// serviceaccount (a Secret volume of the harness with the same files), and KUBERNETES_SERVICE_HOST
// and KUBERNETES_SERVICE_PORT in every container. The API server is one of the harness's models,
// listening on the network's gateway. A pod that does not automount its token gets nothing.
import { PodmanCluster } from './cluster';
import { Manifest } from './expand';

/** Where the kubelet mounts the token of a pod that automounts it. */
export const ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const VOLUME = 'kube-api-access';

/** An API server model the pods reach, and the token it accepts. */
export interface ApiEndpoint {
  readonly host: string;
  readonly port: number;
  readonly caPem: Buffer;
  readonly token: string;
}

/**
 * A copy of `spec` (a pod spec) as the kubelet runs it with its token mounted, the Secret that
 * plays the mount written as `secret`. Unchanged when the pod does not automount its token.
 */
export async function withServiceAccount(cluster: Pick<PodmanCluster, 'putSecret'>, spec: Manifest, namespace: string, endpoint: ApiEndpoint, secret: string): Promise<Manifest> {
  if (spec.automountServiceAccountToken !== true) return spec;
  const copy = structuredClone(spec);
  await cluster.putSecret(secret, { 'token': Buffer.from(endpoint.token), 'ca.crt': endpoint.caPem, 'namespace': Buffer.from(namespace) });
  copy.volumes = [...(copy.volumes ?? []), { name: VOLUME, secret: { secretName: secret, defaultMode: 0o644 } }];
  for (const container of [...(copy.initContainers ?? []), ...copy.containers]) {
    container.env = [...(container.env ?? []),
      { name: 'KUBERNETES_SERVICE_HOST', value: endpoint.host }, { name: 'KUBERNETES_SERVICE_PORT', value: String(endpoint.port) }];
    container.volumeMounts = [...(container.volumeMounts ?? []), { name: VOLUME, mountPath: ACCOUNT_DIR, readOnly: true }];
  }
  return copy;
}
