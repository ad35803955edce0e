// What OpenShift does to a pod's user before a container runs, for scenario 13. There is no
// OpenShift here, so its two parts are played by hand, each from what the real one does:
//
// 1. Admission (the `restricted-v2` SecurityContextConstraints every authenticated user gets).
//    Each namespace is given a uid block (annotation openshift.io/sa.scc.uid-range, e.g.
//    "1000770000/10000") and a supplemental-group block (usually the same numbers). The SCC's
//    runAsUser strategy MustRunAsRange refuses a container whose runAsUser (its own or the pod's)
//    lies outside the block and, when there is none, writes the block's first uid into the
//    container's securityContext. Its fsGroup strategy MustRunAs does the same for the pod's fsGroup
//    with the first gid of the supplemental block. runAsGroup has no strategy and is left alone.
//    SELinux levels (MustRunAs) are left out: these machines have no SELinux. `admitRestrictedV2`
//    below does exactly the uid and fsGroup part, mutating the expanded pod as admission mutates
//    the one the StatefulSet controller creates.
//
// 2. The node. The kubelet passes the fsGroup to the runtime as a supplementary group of every
//    container and makes the pod's volumes group-owned by it (PodmanCluster does both, for every
//    scenario: podman ignores fsGroup). CRI-O, OpenShift's runtime, then runs the uid with the gid
//    of its /etc/passwd entry, which for an assigned uid does not exist, so gid 0, keeps that gid in
//    the supplementary groups, and adds a passwd entry named after the number
//    (`1000770000:x:1000770000:0:1000770000 user:<workdir>:/sbin/nologin`) unless the image's
//    /etc/passwd is group- or world-writable. podman 4.3 `kube play` does the same three things
//    (its entry reads `1000770000:*:1000770000:0:container user:<workdir>:/bin/sh`), so nothing is
//    changed there; the scenario checks each of them inside the containers instead of assuming it.
import { Manifest } from './expand';

/** A namespace's uid block, as openshift.io/sa.scc.uid-range gives it: `<first>/<size>`. */
export interface UidRange {
  readonly first: number;
  readonly size: number;
}

/**
 * A uid block as OpenShift's allocator hands them out: blocks of 10000 from 1000000000, one per
 * namespace. A random one per run, so nothing can come to depend on a particular number.
 */
export function randomNamespaceRange(random = Math.random): UidRange {
  const size = 10_000;
  const blocks = Math.floor((2 ** 31 - 1 - 1_000_000_000) / size);
  return { first: 1_000_000_000 + Math.floor(random() * blocks) * size, size };
}

/** Thrown for a pod the SCC does not admit, with the reasons OpenShift would give. */
export class AdmissionRefused extends Error {}

/**
 * Admits `pod` under restricted-v2 for a namespace with `range` as its uid and supplemental-group
 * block: fills in each container's runAsUser and the pod's fsGroup, or throws AdmissionRefused.
 * Mutates and returns the pod.
 */
export function admitRestrictedV2(pod: Manifest, range: UidRange): Manifest {
  const inRange = (id: number) => id >= range.first && id < range.first + range.size;
  const allowed = `must be in the ranges: [${range.first}, ${range.first + range.size - 1}]`;
  const spec = pod.spec;
  const podContext = spec.securityContext ?? {};
  const problems: string[] = [];
  const containers = [...(spec.initContainers ?? []), ...spec.containers];
  containers.forEach((container: any) => {
    const uid = container.securityContext?.runAsUser ?? podContext.runAsUser;
    if (uid !== undefined && !inRange(uid)) problems.push(`${container.name}: runAsUser: Invalid value: ${uid}: ${allowed}`);
  });
  if (podContext.fsGroup !== undefined && !inRange(podContext.fsGroup)) {
    problems.push(`fsGroup: Invalid value: [${podContext.fsGroup}]: ${allowed}`);
  }
  if (problems.length > 0) {
    throw new AdmissionRefused(`pods "${pod.metadata.name}" is forbidden: unable to validate against any security context constraint: ${problems.join('; ')}`);
  }
  for (const container of containers) {
    container.securityContext = { ...container.securityContext, runAsUser: container.securityContext?.runAsUser ?? podContext.runAsUser ?? range.first };
  }
  spec.securityContext = { ...podContext, fsGroup: podContext.fsGroup ?? range.first };
  return pod;
}
