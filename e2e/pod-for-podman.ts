import { Manifest } from './expand';

/** A Secret volume of one pod: which Secret, which keys under which file names, with which mode. */
export interface SecretVolume {
  /** The pod-scoped podman volume that stands in for it. */
  readonly volume: string;
  readonly secretName: string;
  readonly items?: { key: string; path: string }[];
  readonly mode: number;
  readonly fsGroup?: number;
}

/** A pod translated for `podman kube play`, and what the harness must provide for it. */
export interface PodForPodman {
  readonly manifest: Manifest;
  /** Secret volumes the harness writes, as the kubelet would, before the pod is played. */
  readonly secretVolumes: SecretVolume[];
  /** Named volumes that belong to this pod alone (emptyDirs and Secret volumes): removed with it. */
  readonly podVolumes: string[];
}

/**
 * The pod as podman must see it to behave like Kubernetes, for these podman 4.3 quirks:
 * - it makes each emptyDir a named volume called after the pod's volume, which pods would share
 *   and which would outlive the pod; Kubernetes gives every pod its own, deleted with it. The
 *   volumes get pod-scoped names here, which the harness removes with the pod.
 * - it publishes every containerPort on the host when hostPort is unset, so members collide on
 *   :2181; Kubernetes never publishes them. Declared ports are informational for pod-to-pod
 *   traffic, so podman does not get them.
 * - it applies the pod's restartPolicy Always to init containers as well, restarting a finished
 *   init container forever; the kubelet runs it once. With OnFailure the init container runs
 *   once and a failing main container is still restarted; the one difference left is that a
 *   main container exiting 0 (supervisord after its watchdog) is not restarted by podman.
 * - it ignores fsGroup. The kubelet makes the claims group-owned by it (the harness's
 *   provisionClaim does that) and hands it to the runtime as a supplementary group of every
 *   container, which is what lets a uid of another group write them (scenario 13: an assigned
 *   uid in group 0); podman honours supplementalGroups, so the fsGroup is added there.
 * - it reads a Secret volume from a podman secret once, as plain files, and never updates it;
 *   the kubelet keeps a Secret volume current through a `..data` symlink it switches (see
 *   secret-volume.ts). Each Secret volume becomes a per-pod named volume that the harness
 *   writes like the kubelet, from the Secrets given to putSecret.
 */
export function forPodman(pod: Manifest): PodForPodman {
  const copy = structuredClone(pod);
  const restartPolicy = copy.spec.restartPolicy ?? 'Always';
  // A Job's pod (Never) runs once, as podman runs it too.
  if (restartPolicy !== 'Always' && restartPolicy !== 'Never') throw new Error(`${copy.metadata.name}: only restartPolicy Always and Never are emulated`);
  copy.spec.restartPolicy = restartPolicy === 'Always' ? 'OnFailure' : 'Never';
  const podContext = copy.spec.securityContext;
  if (podContext?.fsGroup !== undefined && !(podContext.supplementalGroups ?? []).includes(podContext.fsGroup)) {
    podContext.supplementalGroups = [...(podContext.supplementalGroups ?? []), podContext.fsGroup];
  }
  for (const container of [...(copy.spec.initContainers ?? []), ...copy.spec.containers]) {
    if ((container.ports ?? []).some((p: any) => p.hostPort)) throw new Error(`${copy.metadata.name}: hostPort is not emulated`);
    delete container.ports;
  }
  const renamed = new Map<string, string>();
  const secretVolumes: SecretVolume[] = [];
  for (const volume of copy.spec.volumes ?? []) {
    if (volume.secret) {
      const claimName = `${copy.metadata.name}-${volume.name}`;
      secretVolumes.push({
        volume: claimName,
        secretName: volume.secret.secretName,
        items: volume.secret.items,
        mode: volume.secret.defaultMode ?? 0o644,
        fsGroup: copy.spec.securityContext?.fsGroup,
      });
      delete volume.secret;
      volume.persistentVolumeClaim = { claimName };
      continue;
    }
    if (!volume.emptyDir) continue;
    renamed.set(volume.name, `${copy.metadata.name}-${volume.name}`);
    volume.name = renamed.get(volume.name);
  }
  for (const container of [...(copy.spec.initContainers ?? []), ...copy.spec.containers]) {
    for (const mount of container.volumeMounts ?? []) mount.name = renamed.get(mount.name) ?? mount.name;
  }
  return { manifest: copy, secretVolumes, podVolumes: [...renamed.values(), ...secretVolumes.map((v) => v.volume)] };
}
