/**
 * The roll Job's calls answered from the StatefulSet model (e2e/statefulset-roll-api.ts), as the
 * e2e membership steps under Argo CD use them: what the roller reads must be what the model plays
 * (the spec applied last, the controller's observed generation and revisions, each pod's revision
 * and readiness), authorized by the Role of the synthesis the sync applied.
 */
import { Manifest } from '../e2e/expand';
import { synthesizeToYaml } from '../e2e/ensemble';
import { StatefulSetRollApi } from '../e2e/statefulset-roll-api';
import { StatefulPods, StatefulSetModel } from '../e2e/statefulset-model';
import { Membership } from '../lib';

class MemoryPods implements StatefulPods {
  public readonly running = new Set<string>();
  public async create(statefulSet: Manifest, ordinal: number): Promise<void> {
    this.running.add(`${statefulSet.metadata.name}-${ordinal}`);
  }
  public async delete(name: string): Promise<void> { this.running.delete(name); }
  public async ready(name: string): Promise<boolean> { return this.running.has(name); }
  public async removeClaims(): Promise<void> {}
}

const NS = 'zookeeper';
const synthesis = (replicas: number) => synthesizeToYaml({ namespace: NS, membership: Membership.DYNAMIC, bootstrapVoters: 3, replicas });
const statefulSetOf = (objects: Manifest[]) => objects.find((o) => o.kind === 'StatefulSet')!;
const STS = `/apis/apps/v1/namespaces/${NS}/statefulsets/zookeeper`;
const pod = (name: string) => `/api/v1/namespaces/${NS}/pods/${name}`;

async function modelAt(replicas: number) {
  const model = new StatefulSetModel(statefulSetOf(synthesis(replicas)), new MemoryPods(), false);
  // Ready needs the probe's successThreshold: a few rounds.
  await model.converge(5000, 1);
  return model;
}

describe('the roll Job\'s API over the StatefulSet model', () => {
  test('after a replicas change the roller reads the new spec once observed, and every voter of its update revision: nothing to roll', async () => {
    const model = await modelAt(3);
    const five = synthesis(5);
    const api = new StatefulSetRollApi(five, model);
    const bearer = `Bearer ${api.token}`;
    model.apply(statefulSetOf(five));
    const before = api.handle('GET', STS, bearer, '')[1] as Manifest;
    expect(before.status.observedGeneration).toBeLessThan(before.metadata.generation);
    await model.converge(5000, 1);
    const [code, sts] = api.handle('GET', STS, bearer, '') as [number, Manifest];
    expect([code, sts.spec.replicas, sts.status.observedGeneration]).toEqual([200, 5, sts.metadata.generation]);
    for (let i = 0; i < 5; i++) {
      const [podCode, body] = api.handle('GET', pod(`zookeeper-${i}`), bearer, '') as [number, Manifest];
      expect(podCode).toBe(200);
      expect(body.metadata.labels['controller-revision-hash']).toBe(sts.status.updateRevision);
      expect(body.status.conditions).toEqual([{ type: 'Ready', status: 'True' }]);
    }
  });

  test('authorizes by the Role of the synthesis it was given: the 3-voter Role cannot read the fifth pod', async () => {
    const model = await modelAt(5);
    const api = new StatefulSetRollApi(synthesis(3), model);
    const [code, body] = api.handle('GET', pod('zookeeper-4'), `Bearer ${api.token}`, '') as [number, Manifest];
    expect([code, body.reason]).toEqual([403, 'Forbidden']);
    expect(api.handle('GET', pod('zookeeper-0'), 'Bearer another', '')[0]).toBe(401);
  });

  test('an eviction is recorded and deletes the pod in the model, which re-creates it with a new uid', async () => {
    const model = await modelAt(3);
    const api = new StatefulSetRollApi(synthesis(3), model);
    const bearer = `Bearer ${api.token}`;
    const uid = (api.handle('GET', pod('zookeeper-1'), bearer, '')[1] as Manifest).metadata.uid;
    const eviction = JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'zookeeper-1', namespace: NS } });
    expect(api.handle('POST', `${pod('zookeeper-1')}/eviction`, bearer, eviction)[0]).toBe(201);
    expect(api.evictions).toEqual(['zookeeper-1']);
    await model.converge(5000, 1);
    expect((api.handle('GET', pod('zookeeper-1'), bearer, '')[1] as Manifest).metadata.uid).not.toBe(uid);
  });
});
