import { execFileSync } from 'child_process';
import { DeploymentMode } from '../lib';
import { synthesizeToYaml } from '../e2e/ensemble';
import { StatefulSetReplicas } from '../e2e/statefulset-replicas';
import { requirePrometheusTool } from './support/tools';

// The stand-in for kube-state-metrics' kube_statefulset_replicas (e2e 10.1): ZooKeeperMembershipDiffers
// reads it as the desired number of voters, so it must say what the StatefulSets ask for, under
// kube-state-metrics' name and labels.

/** The samples of the exposition, `name{labels}` to value. */
function samples(text: string): Map<string, number> {
  const lines = text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
  return new Map(lines.map((line) => {
    const at = line.lastIndexOf(' ');
    return [line.slice(0, at), Number(line.slice(at + 1))];
  }));
}

describe('the kube-state-metrics stand-in for StatefulSet replicas', () => {
  const objects = synthesizeToYaml({ name: 'zk', namespace: 'zk-e2e', mode: DeploymentMode.CLUSTER, replicas: 5, observers: 2 });

  test('serves spec.replicas of each StatefulSet of the manifests, voters and observers apart', () => {
    expect(samples(new StatefulSetReplicas(objects).render())).toEqual(new Map([
      ['kube_statefulset_replicas{namespace="zk-e2e",statefulset="zk"}', 5],
      ['kube_statefulset_replicas{namespace="zk-e2e",statefulset="zk-observer"}', 2],
    ]));
  });

  test('a StatefulSet scaled to another number is served with it, the others as they were', () => {
    const replicas = new StatefulSetReplicas(objects);
    replicas.set({ namespace: 'zk-e2e', name: 'zk' }, 7);
    const s = samples(replicas.render());
    expect(s.get('kube_statefulset_replicas{namespace="zk-e2e",statefulset="zk"}')).toBe(7);
    expect(s.get('kube_statefulset_replicas{namespace="zk-e2e",statefulset="zk-observer"}')).toBe(2);
  });

  test('its exposition passes promtool check metrics', () => {
    execFileSync(requirePrometheusTool('promtool'), ['check', 'metrics'], { input: new StatefulSetReplicas(objects).render(), stdio: ['pipe', 'pipe', 'pipe'] });
  });
});
