/**
 * Argo CD applies objects wave by wave and waits for each wave to be healthy. The ensemble's
 * objects must arrive in the order they depend on each other: the Namespace, then what the pods
 * mount and run as, then the Services and members, then the monitoring objects.
 */
import { PrometheusMonitor, ZooKeeperChartProps } from '../lib';
import { SYNC_WAVE_ANNOTATION } from '../lib/model/annotations';
import { KubeObject, synthChart } from './support/synth';

/** The role an object plays in a sync, from its kind and name alone (not from the library's own table). */
function role(o: KubeObject): string {
  if (o.kind === 'Namespace') return 'namespace';
  if (['ServiceMonitor', 'PodMonitor', 'PrometheusRule'].includes(o.kind)) return 'monitoring';
  if (o.kind === 'ConfigMap' && o.metadata.name.endsWith('-dashboard')) return 'monitoring';
  // The roll Job's rights exist before any Job runs as them.
  if (['ConfigMap', 'ServiceAccount', 'Role', 'RoleBinding'].includes(o.kind)) return 'configuration';
  if (['Service', 'NetworkPolicy', 'StatefulSet', 'PodDisruptionBudget'].includes(o.kind)) return 'workload';
  throw new Error(`no sync role known for ${o.kind}/${o.metadata.name}`);
}

const ORDER = ['namespace', 'configuration', 'workload', 'monitoring'];

describe('Argo CD sync waves', () => {
  test.each<[string, ZooKeeperChartProps]>([
    ['the default chart', {}],
    ['a chart with a PodMonitor, a separate log volume and user annotations', {
      prometheusMonitor: PrometheusMonitor.POD_MONITOR, txnLogStorageGiB: 5, annotations: { 'example.com/owner': 'sre' },
    }],
  ])('%s: every object has a wave, and each role comes strictly after the one it depends on', (_what, props) => {
    // GIVEN the objects of a chart; Argo CD runs hooks (the roll, then the post-deploy check) after the sync's waves
    const all = synthChart(props).objects;
    const isHook = (o: KubeObject) => o.metadata.annotations?.['argocd.argoproj.io/hook'] !== undefined;
    const hooks = all.filter(isHook).sort((a, b) => Number(a.metadata.annotations[SYNC_WAVE_ANNOTATION]) - Number(b.metadata.annotations[SYNC_WAVE_ANNOTATION]));
    expect(hooks.map((o) => `${o.kind}/${o.metadata.labels['app.kubernetes.io/component']}/${o.metadata.annotations['argocd.argoproj.io/hook']}`))
      .toEqual(['Job/roll/PostSync', 'Job/post-deploy-check/PostSync']);
    const objects = all.filter((o) => !isHook(o));
    // WHEN their waves are read by role
    const waves = new Map<string, Set<number>>();
    for (const o of objects) {
      const wave = Number(o.metadata.annotations?.[SYNC_WAVE_ANNOTATION]);
      expect({ object: `${o.kind}/${o.metadata.name}`, wave: Number.isInteger(wave) }).toEqual({ object: `${o.kind}/${o.metadata.name}`, wave: true });
      waves.set(role(o), (waves.get(role(o)) ?? new Set()).add(wave));
    }
    // THEN all objects of a role share one wave, and the roles' waves increase in dependency order
    expect([...waves.keys()].sort()).toEqual([...ORDER].sort());
    const byRole = ORDER.map((r) => [...waves.get(r)!]);
    expect(byRole.every((w) => w.length === 1)).toBe(true);
    const ordered = byRole.map(([w]) => w);
    expect(ordered).toEqual([...ordered].sort((a, b) => a - b));
    expect(new Set(ordered).size).toBe(ORDER.length);
  });

  test('the user\'s annotations stay beside the wave', () => {
    const objects = synthChart({ annotations: { 'example.com/owner': 'sre' } }).objects.filter((o) => o.kind !== 'Namespace');
    expect(objects.every((o) => o.metadata.annotations['example.com/owner'] === 'sre')).toBe(true);
  });
});
