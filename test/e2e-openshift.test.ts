/**
 * The e2e harness's stand-in for OpenShift's restricted-v2 admission (e2e/openshift.ts), which
 * scenario 13 relies on: it must refuse what OpenShift refuses and assign what OpenShift assigns.
 */
import { Testing } from 'cdk8s';
import { ImageProfile, ZooKeeperChart } from '../lib';
import { expandStatefulSet, Manifest } from '../e2e/expand';
import { AdmissionRefused, admitRestrictedV2, randomNamespaceRange } from '../e2e/openshift';

const RANGE = { first: 1000770000, size: 10000 };

function firstPod(props = {}): Manifest {
  const objects = Testing.synth(new ZooKeeperChart(Testing.app(), 'c', { name: 'zk', namespace: 'ns', image: ImageProfile.debian(), ...props })) as Manifest[];
  return expandStatefulSet(objects, 'zk', 'cluster.local')[0].pod;
}

describe('restricted-v2 admission, as the e2e harness plays it', () => {
  test('refuses the default pod: its uid and fsGroup 1001 are outside the namespace\'s block', () => {
    expect(() => admitRestrictedV2(firstPod(), RANGE)).toThrow(AdmissionRefused);
    expect(() => admitRestrictedV2(firstPod(), RANGE)).toThrow(
      /init-data: runAsUser: Invalid value: 1001: must be in the ranges: \[1000770000, 1000779999\].*zookeeper: runAsUser: Invalid value: 1001.*fsGroup: Invalid value: \[1001\]/);
  });

  test('gives a pod without a user the block\'s first uid in every container and its first gid as fsGroup, and changes nothing else', () => {
    const pod = firstPod({ platformAssignedUser: true });
    const before = structuredClone(pod);

    admitRestrictedV2(pod, RANGE);

    const containers = [...pod.spec.initContainers, ...pod.spec.containers];
    expect(containers.map((c: any) => [c.name, c.securityContext.runAsUser])).toEqual([['init-data', 1000770000], ['zookeeper', 1000770000]]);
    expect(pod.spec.securityContext.fsGroup).toBe(1000770000);
    expect(pod.spec.securityContext.runAsGroup).toBeUndefined();
    for (const c of containers) delete c.securityContext.runAsUser;
    delete pod.spec.securityContext.fsGroup;
    expect(pod).toEqual(before);
  });

  test('admits a uid inside the block as it is', () => {
    const pod = firstPod({ image: ImageProfile.custom({ ...ImageProfile.debian().props, userId: 1000770005, groupId: 1000770005 }) });
    admitRestrictedV2(pod, RANGE);
    expect(pod.spec.securityContext).toMatchObject({ runAsUser: 1000770005, fsGroup: 1000770005 });
    expect(pod.spec.containers[0].securityContext.runAsUser).toBe(1000770005);
  });

  test('namespace blocks are 10000 uids from 1000000000 on, and fit in a 32-bit uid', () => {
    for (const random of [() => 0, () => 0.5, () => 0.999999999]) {
      const { first, size } = randomNamespaceRange(random);
      expect(size).toBe(10000);
      expect((first - 1_000_000_000) % 10000).toBe(0);
      expect(first).toBeGreaterThanOrEqual(1_000_000_000);
      expect(first + size - 1).toBeLessThanOrEqual(2 ** 31 - 1);
    }
  });
});
