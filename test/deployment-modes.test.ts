import { Chart, Testing } from 'cdk8s';
import { AntiAffinity, DeploymentMode, EnsembleModel, resolveEnsemble, ZooKeeperEnsemble, ZooKeeperEnsembleProps } from '../lib';
import { parseZooCfg, synthEnsemble } from './support/synth';

/** What a mode decides, read back from the resolved model. */
function presetOf(model: EnsembleModel) {
  return {
    replicas: model.replicas,
    observers: model.observers.length,
    memoryLimitMiB: model.resources.memoryLimitMiB,
    memoryRequestMiB: model.resources.memoryRequestMiB,
    heapMiB: model.jvm.heapMiB,
    cpuRequestMillicores: model.resources.cpuRequestMillicores,
    dataStorageGiB: model.storage.dataGiB,
    antiAffinity: model.scheduling.antiAffinity,
    podDisruptionBudget: model.podDisruptionBudget,
  };
}

const resolve = (props: ZooKeeperEnsembleProps) => resolveEnsemble(props, 'zk');

describe('deployment modes', () => {
  const production = {
    observers: 0, memoryLimitMiB: 2048, memoryRequestMiB: 2048, heapMiB: 1024, cpuRequestMillicores: 500,
    dataStorageGiB: 20, antiAffinity: AntiAffinity.REQUIRED, podDisruptionBudget: true,
  };

  test.each([
    [DeploymentMode.STANDALONE, {
      replicas: 1, observers: 0, memoryLimitMiB: 512, memoryRequestMiB: 512, heapMiB: 256, cpuRequestMillicores: 100,
      dataStorageGiB: 1, antiAffinity: AntiAffinity.PREFERRED, podDisruptionBudget: false,
    }],
    [DeploymentMode.HIGHLY_AVAILABLE, { replicas: 3, ...production }],
    [DeploymentMode.CLUSTER, { replicas: 5, ...production }],
  ])('mode %s resolves to its preset', (mode, expected) => {
    const model = resolve({ mode });
    expect(model.mode).toBe(mode);
    expect(presetOf(model)).toEqual(expected);
  });

  test('the default mode is highly-available, and naming it changes no byte of the output', () => {
    // GIVEN the same ensemble without a mode and with mode highly-available
    const synth = (props: ZooKeeperEnsembleProps) => {
      const chart = new Chart(Testing.app(), 'test', { namespace: 'zk' });
      new ZooKeeperEnsemble(chart, 'ensemble', props);
      return Testing.synth(chart);
    };

    // THEN they synthesize identically
    expect(resolve({}).mode).toBe(DeploymentMode.HIGHLY_AVAILABLE);
    expect(synth({ mode: DeploymentMode.HIGHLY_AVAILABLE })).toEqual(synth({}));
  });

  test('every preset value yields to the setting given explicitly', () => {
    // GIVEN a standalone server with every preset value overridden
    const explicit = {
      memoryLimitMiB: 1024, cpuRequestMillicores: 250, dataStorageGiB: 5, antiAffinity: AntiAffinity.REQUIRED, podDisruptionBudget: true,
    };
    const model = resolve({ mode: DeploymentMode.STANDALONE, ...explicit });

    // THEN each explicit value wins and what derives from them follows (heap, memory request)
    expect(presetOf(model)).toEqual({ replicas: 1, observers: 0, memoryRequestMiB: 1024, heapMiB: 512, ...explicit });
  });

  test('explicit settings win in the production modes too', () => {
    expect(presetOf(resolve({ mode: DeploymentMode.CLUSTER, replicas: 7, memoryLimitMiB: 4096, podDisruptionBudget: false })))
      .toMatchObject({ replicas: 7, memoryLimitMiB: 4096, heapMiB: 2048, podDisruptionBudget: false });
    expect(presetOf(resolve({ mode: DeploymentMode.HIGHLY_AVAILABLE, replicas: 5, antiAffinity: AntiAffinity.PREFERRED })))
      .toMatchObject({ replicas: 5, antiAffinity: AntiAffinity.PREFERRED });
  });

  test('highly-available accepts any odd size, as ensembles without a mode always did', () => {
    expect([1, 3, 5, 7].map((replicas) => resolve({ mode: DeploymentMode.HIGHLY_AVAILABLE, replicas }).replicas)).toEqual([1, 3, 5, 7]);
  });

  test('cluster keeps allowEvenReplicas as the one way to an even voter count', () => {
    expect(resolve({ mode: DeploymentMode.CLUSTER, replicas: 6, allowEvenReplicas: true }).quorumSize).toBe(4);
  });

  test('cluster mode runs observers only when asked to', () => {
    expect(resolve({ mode: DeploymentMode.CLUSTER }).memberGroups.map((g) => g.role)).toEqual(['voter']);
    expect(resolve({ mode: DeploymentMode.CLUSTER, observers: 1 }).memberGroups.map((g) => g.role)).toEqual(['voter', 'observer']);
  });
});

describe('a standalone server', () => {
  const synth = synthEnsemble({ mode: DeploymentMode.STANDALONE });

  test('is one member without a server list, which serves alone', () => {
    expect(synth.statefulSet.spec.replicas).toBe(1);
    const zooCfg = parseZooCfg(synth.file('zookeeper-config', 'zoo.cfg'));
    expect([...zooCfg.keys()].filter((k) => k.startsWith('server.'))).toEqual([]);
    expect(zooCfg.get('standaloneEnabled')).toBe('true');
  });

  test('asks for development-sized resources and volume, with the heap derived from its limit', () => {
    expect(synth.mainContainer.resources).toEqual({ requests: { cpu: '100m', memory: '512Mi' }, limits: { memory: '512Mi' } });
    expect(synth.mainContainer.env).toContainEqual({ name: 'ZK_HEAP_MIB', value: '256' });
    expect(synth.statefulSet.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('1Gi');
  });

  test('has no disruption budget that would block draining its node, and only a preferred anti-affinity', () => {
    expect(synth.all('PodDisruptionBudget')).toEqual([]);
    expect(Object.keys(synth.podSpec.affinity.podAntiAffinity)).toEqual(['preferredDuringSchedulingIgnoredDuringExecution']);
  });
});
