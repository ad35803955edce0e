import { Testing } from 'cdk8s';
import { ClientTls, DeploymentMode, ImageProfile, ZooKeeperChart } from '../lib';
import { Ensemble } from '../e2e/ensemble';
import { PodmanCluster } from '../e2e/cluster';
import { expandStatefulSet, Manifest, parseQuantity } from '../e2e/expand';
import { forPodman } from '../e2e/pod-for-podman';

function objects(props = {}): Manifest[] {
  return Testing.synth(new ZooKeeperChart(Testing.app(), 'c', { name: 'zk', namespace: 'ns', image: ImageProfile.debian(), ...props })) as Manifest[];
}
const env = (container: any) => Object.fromEntries(container.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));

describe('expanding the StatefulSet for podman', () => {
  test('gives one pod per ordinal, named and addressed as the StatefulSet controller would', () => {
    const pods = expandStatefulSet(objects({ txnLogStorageGiB: 2 }), 'zk', 'cluster.local');
    expect(pods.map((p) => [p.name, p.fqdn])).toEqual([0, 1, 2].map((i) => [`zk-${i}`, `zk-${i}.zk-headless.ns.svc.cluster.local`]));
    expect(pods[1].pod.spec).toMatchObject({ hostname: 'zk-1', subdomain: 'zk-headless' });
    expect(pods[1].claims.map((c) => [c.metadata.name, c.spec.resources.requests.storage])).toEqual([['data-zk-1', '20Gi'], ['txnlog-zk-1', '2Gi']]);
    expect(pods[1].pod.spec.volumes).toContainEqual({ name: 'data', persistentVolumeClaim: { claimName: 'data-zk-1' } });
  });

  test('resolves fieldRef and resourceFieldRef the way the kubelet does', () => {
    const [, second] = expandStatefulSet(objects({ memoryLimitMiB: 1536 }), 'zk', 'cluster.local');
    expect(env(second.pod.spec.initContainers[0]).POD_NAME).toBe('zk-1');
    expect(env(second.pod.spec.containers[0]).ZK_MEMORY_LIMIT_MIB).toBe('1536');
    // Only the recovery ConfigMap's key is left to podman, which reads it from the ConfigMaps it is given.
    expect(second.pod.spec.containers[0].env.filter((e: any) => e.valueFrom !== undefined)).toEqual([
      { name: 'ZK_RECOVER_FROM', valueFrom: { configMapKeyRef: { name: 'zk-recovery', key: 'survivor', optional: true } } },
    ]);
  });

  test('keeps everything else from the manifest', () => {
    const source = objects().find((o) => o.kind === 'StatefulSet')!.spec.template.spec;
    const [first] = expandStatefulSet(objects(), 'zk', 'cluster.local');
    expect(first.pod.spec.containers[0].command).toEqual(source.containers[0].command);
    expect(first.pod.spec.containers[0].readinessProbe).toEqual(source.containers[0].readinessProbe);
    expect(first.pod.spec.securityContext).toEqual(source.securityContext);
  });

  test('expands the observers\' StatefulSet of a cluster too, with their own names, claims and first myid', () => {
    const pods = expandStatefulSet(objects({ mode: DeploymentMode.CLUSTER, observers: 2 }), 'zk-observer', 'cluster.local');
    expect(pods.map((p) => [p.name, p.fqdn])).toEqual([0, 1].map((i) => [`zk-observer-${i}`, `zk-observer-${i}.zk-headless.ns.svc.cluster.local`]));
    expect(pods[1].claims.map((c) => c.metadata.name)).toEqual(['data-zk-observer-1']);
    expect(env(pods[1].pod.spec.initContainers[0])).toMatchObject({ POD_NAME: 'zk-observer-1', ZK_FIRST_MYID: '6' });
  });

  test('the harness\' ensemble holds every member, voters first so members[i] stays voter i', () => {
    const ensemble = new Ensemble(objects({ mode: DeploymentMode.CLUSTER, observers: 2 }), {} as PodmanCluster);
    expect(ensemble.members.map((m) => m.name)).toEqual(['zk-0', 'zk-1', 'zk-2', 'zk-3', 'zk-4', 'zk-observer-0', 'zk-observer-1']);
  });

  test('parses quantities and rounds up to whole divisors', () => {
    expect(parseQuantity('1Gi') / parseQuantity('1Mi')).toBe(1024);
    expect(Math.ceil(parseQuantity('500m') / parseQuantity('1'))).toBe(1);
    expect(() => parseQuantity('1.5 Gi')).toThrow(/not a quantity/);
  });
});

describe('translating a member\'s pod for podman kube play', () => {
  const tls = { clientTls: ClientTls.ON, tlsSecretName: 'zk-certs', tlsPasswordSecret: { name: 'zk-pw', key: 'password' } };
  const volumeNames = (spec: any) => spec.volumes.map((v: any) => v.name);

  test('gives the pod its own emptyDirs, renamed in the volumes and in every mount', () => {
    const [first] = expandStatefulSet(objects(), 'zk', 'cluster.local');
    const emptyDirs = first.pod.spec.volumes.filter((v: any) => v.emptyDir).map((v: any) => v.name);
    expect(emptyDirs.length).toBeGreaterThan(0);
    const { manifest, podVolumes } = forPodman(first.pod);
    expect(podVolumes).toEqual(emptyDirs.map((name: string) => `zk-0-${name}`));
    expect(volumeNames(manifest.spec)).toEqual(expect.arrayContaining(podVolumes));
    const mounted = [...manifest.spec.initContainers, ...manifest.spec.containers].flatMap((c: any) => c.volumeMounts.map((m: any) => m.name));
    expect(mounted.filter((name: string) => emptyDirs.includes(name))).toEqual([]);
    expect(volumeNames(manifest.spec)).toEqual(expect.arrayContaining([...new Set(mounted)]));
    expect(first.pod.spec.volumes.filter((v: any) => v.emptyDir).map((v: any) => v.name)).toEqual(emptyDirs);
  });

  test('adds the fsGroup to the supplementary groups, as the kubelet hands it to the runtime', () => {
    const [first] = expandStatefulSet(objects(), 'zk', 'cluster.local');
    const { fsGroup, supplementalGroups } = forPodman(first.pod).manifest.spec.securityContext;
    expect(fsGroup).toBe(1001);
    expect(supplementalGroups).toEqual([1001]);
    const [assigned] = expandStatefulSet(objects({ platformAssignedUser: true }), 'zk', 'cluster.local');
    expect(forPodman(assigned.pod).manifest.spec.securityContext.supplementalGroups).toBeUndefined();
  });

  test('turns each Secret volume into a pod-scoped volume the harness writes, with its items and mode', () => {
    const [first] = expandStatefulSet(objects(tls), 'zk', 'cluster.local');
    const secrets = first.pod.spec.volumes.filter((v: any) => v.secret);
    expect(secrets.map((v: any) => v.secret.secretName).sort()).toEqual(['zk-certs', 'zk-pw']);
    const { manifest, secretVolumes, podVolumes } = forPodman(first.pod);
    expect(secretVolumes).toEqual(secrets.map((v: any) => ({
      volume: `zk-0-${v.name}`, secretName: v.secret.secretName, items: v.secret.items, mode: v.secret.defaultMode ?? 0o644, fsGroup: 1001,
    })));
    expect(podVolumes).toEqual(expect.arrayContaining(secretVolumes.map((v) => v.volume)));
    for (const v of secrets) {
      expect(manifest.spec.volumes).toContainEqual({ name: v.name, persistentVolumeClaim: { claimName: `zk-0-${v.name}` } });
    }
  });

  test('publishes no port and runs the init container once, and refuses what it cannot emulate', () => {
    const [first] = expandStatefulSet(objects(), 'zk', 'cluster.local');
    const { manifest } = forPodman(first.pod);
    expect(manifest.spec.restartPolicy).toBe('OnFailure');
    expect([...manifest.spec.initContainers, ...manifest.spec.containers].flatMap((c: any) => c.ports ?? [])).toEqual([]);
    expect(first.pod.spec.containers[0].ports.length).toBeGreaterThan(0);
    const hostPort = structuredClone(first.pod);
    hostPort.spec.containers[0].ports[0].hostPort = 2181;
    expect(() => forPodman(hostPort)).toThrow(/hostPort is not emulated/);
    expect(() => forPodman({ ...first.pod, spec: { ...first.pod.spec, restartPolicy: 'OnFailure' } })).toThrow(/only restartPolicy Always and Never/);
  });

  test('a Job\'s pod (restartPolicy Never) keeps its policy: podman runs it once', () => {
    const [first] = expandStatefulSet(objects(), 'zk', 'cluster.local');
    const job = { ...first.pod, spec: { ...first.pod.spec, restartPolicy: 'Never', initContainers: undefined } };
    expect(forPodman(job).manifest.spec.restartPolicy).toBe('Never');
  });
});
