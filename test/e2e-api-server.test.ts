/**
 * The harness's API server model (e2e/api-server.ts), without containers: it must answer the
 * roller's calls as Kubernetes would, enforce the synthesized Role and budget, and recreate an
 * evicted pod from the StatefulSet's current template, as the controller does with OnDelete.
 */
import * as fs from 'fs';
import * as https from 'https';
import * as os from 'os';
import * as path from 'path';
import { ApiServerModel, PodRuntime, revisionOf } from '../e2e/api-server';
import { Manifest } from '../e2e/expand';
import { TlsMaterial } from '../e2e/tls-material';
import { synthChart } from './support/synth';

/** Pods in memory: Ready unless marked otherwise; a recreated pod is Ready after `startMs`, or never when broken. */
class FakeRuntime implements PodRuntime {
  public readonly notReady = new Set<string>();
  public readonly broken = new Set<string>();
  public readonly recreated: { name: string; tickTime: string }[] = [];
  /** How often a probe ran: the kubelet's part, never a GET's. */
  public probes = 0;
  constructor(private readonly startMs = 20) {}
  public async recreate(name: string, template: Manifest): Promise<void> {
    this.notReady.add(name);
    this.recreated.push({ name, tickTime: template.metadata.annotations['test/tick-time'] });
    await new Promise((r) => setTimeout(r, this.startMs));
    if (!this.broken.has(name)) this.notReady.delete(name);
  }
  public async ready(name: string): Promise<boolean> {
    this.probes++;
    return !this.notReady.has(name);
  }
}

const NS = 'zookeeper';
const objectsWith = (tickTime: number) => synthChart({ tickTime, podAnnotations: { 'test/tick-time': String(tickTime) } }).objects as Manifest[];
const statefulSetOf = (objects: Manifest[]) => objects.find((o) => o.kind === 'StatefulSet')!;

/** The model with the kubelet's first round of probes done, as it is once it listens. */
async function model(runtime = new FakeRuntime()) {
  const api = new ApiServerModel(objectsWith(2000), runtime);
  await api.probeAll();
  const call = (method: string, url: string, body?: object, token = api.token) =>
    api.handle(method, url, token === '' ? undefined : `Bearer ${token}`, body ? JSON.stringify(body) : '');
  const evict = (name: string) => call('POST', `/api/v1/namespaces/${NS}/pods/${name}/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: NS } });
  return { api, runtime, call, evict };
}

describe('who may call', () => {
  test('a call without the ServiceAccount\'s token is a 401 Status', async () => {
    const { call } = await model();
    for (const token of ['', 'not-the-token']) {
      const [code, body] = await call('GET', `/api/v1/namespaces/${NS}/pods/zookeeper-0`, undefined, token);
      expect([code, body]).toEqual([401, expect.objectContaining({ kind: 'Status', status: 'Failure', reason: 'Unauthorized', code: 401 })]);
    }
  });

  test('what the synthesized Role grants is answered; any other verb, pod or namespace is a 403 naming the user and verb', async () => {
    const { call } = await model();
    expect((await call('GET', `/apis/apps/v1/namespaces/${NS}/statefulsets/zookeeper`))[0]).toBe(200);
    expect((await call('GET', `/api/v1/namespaces/${NS}/pods/zookeeper-2`))[0]).toBe(200);
    const refused = [
      ['DELETE', `/api/v1/namespaces/${NS}/pods/zookeeper-0`],
      ['GET', `/api/v1/namespaces/${NS}/pods`],
      ['GET', `/api/v1/namespaces/${NS}/pods/zookeeper-post-deploy-check-x1`],
      ['GET', `/api/v1/namespaces/other/pods/zookeeper-0`],
      ['GET', `/apis/apps/v1/namespaces/${NS}/statefulsets/zookeeper-observer`],
    ];
    for (const [method, url] of refused) {
      const [code, body] = await call(method, url) as [number, any];
      expect({ url, code, reason: body.reason }).toEqual({ url, code: 403, reason: 'Forbidden' });
      expect(body.message).toMatch(/^.* is forbidden: User "system:serviceaccount:zookeeper:zookeeper-roll" cannot (delete|get|list) resource/);
    }
  });
});

describe('the StatefulSet and its pods', () => {
  test('an apply raises the generation, and the new updateRevision shows once the controller observed it', async () => {
    const { api, call } = await model();
    const changed = statefulSetOf(objectsWith(3000));
    api.apply(changed, 100);
    const [, before] = await call('GET', `/apis/apps/v1/namespaces/${NS}/statefulsets/zookeeper`) as [number, any];
    expect(before.metadata.generation).toBe(2);
    expect(before.status.observedGeneration).toBe(1);
    expect(before.status.updateRevision).toBeUndefined();
    await new Promise((r) => setTimeout(r, 150));
    const [, after] = await call('GET', `/apis/apps/v1/namespaces/${NS}/statefulsets/zookeeper`) as [number, any];
    expect(after.status).toMatchObject({ observedGeneration: 2, updateRevision: revisionOf(changed), updatedReplicas: 0, replicas: 3 });
    expect(after.spec.template.metadata.annotations['cdk8s-zookeeper/template-hash']).toBe(changed.spec.template.metadata.annotations['cdk8s-zookeeper/template-hash']);
  });

  test('a pod reads as Kubernetes shows it: uid, revision label, Ready condition', async () => {
    const runtime = new FakeRuntime();
    runtime.notReady.add('zookeeper-1');
    const { call } = await model(runtime);
    const [code, pod] = await call('GET', `/api/v1/namespaces/${NS}/pods/zookeeper-1`) as [number, any];
    expect(code).toBe(200);
    expect(pod.metadata.labels).toMatchObject({ 'controller-revision-hash': expect.stringMatching(/^zookeeper-[0-9a-f]{10}$/), 'app.kubernetes.io/name': 'zookeeper' });
    expect(pod.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(pod.status.conditions).toEqual([{ type: 'Ready', status: 'False' }]);
  });
});

describe('Ready is the kubelet\'s verdict, not a probe per GET', () => {
  test('a GET runs no probe: it returns the verdict of the kubelet\'s last probes', async () => {
    const { runtime, call } = await model();
    const probes = runtime.probes;
    runtime.notReady.add('zookeeper-1');
    for (let i = 0; i < 5; i++) await call('GET', `/api/v1/namespaces/${NS}/pods/zookeeper-1`);
    const [, pod] = await call('GET', `/api/v1/namespaces/${NS}/pods/zookeeper-1`) as [number, any];
    expect(runtime.probes).toBe(probes);
    expect(pod.status.conditions).toEqual([{ type: 'Ready', status: 'True' }]);
  });

  test('a Ready pod turns not Ready only after failureThreshold failed probes in a row, and back after one success', async () => {
    const { api, runtime, call } = await model();
    const readyOf = async () => ((await call('GET', `/api/v1/namespaces/${NS}/pods/zookeeper-1`))[1] as any).status.conditions[0].status;
    runtime.notReady.add('zookeeper-1');
    await api.probeAll();
    expect(await readyOf()).toBe('True');
    await api.probeAll();
    expect(await readyOf()).toBe('False');
    runtime.notReady.delete('zookeeper-1');
    await api.probeAll();
    expect(await readyOf()).toBe('True');
    expect(api.events.map((e) => `${e.pod} ${e.what}`)).toEqual(['zookeeper-1 not ready', 'zookeeper-1 ready']);
  });

  test('once listening, the kubelet probes every pod on the readiness probe\'s period, and stops at close', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-api-model-'));
    const { api, runtime } = await model();
    try {
      const tls = new TlsMaterial(dir);
      const ca = tls.ca('api-ca');
      const start = runtime.probes;
      await api.listen(tls.issue(ca, 'api', ['localhost']), '127.0.0.1');
      // periodSeconds is 2 in the fixture: the round at listen, then one 2 s later.
      await new Promise((r) => setTimeout(r, 2500));
      expect(runtime.probes - start).toBe(6);
    } finally {
      await api.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const closed = runtime.probes;
    await new Promise((r) => setTimeout(r, 2500));
    expect(runtime.probes).toBe(closed);
  }, 15_000);
});

describe('evictions', () => {
  test('an evicted pod comes back from the CURRENT template, with a new uid and the new revision (OnDelete)', async () => {
    const { api, runtime, call, evict } = await model();
    const [, old] = await call('GET', `/api/v1/namespaces/${NS}/pods/zookeeper-2`) as [number, any];
    api.apply(statefulSetOf(objectsWith(3000)), 0);
    await new Promise((r) => setTimeout(r, 10));
    const [code, body] = await evict('zookeeper-2');
    expect([code, body]).toEqual([201, expect.objectContaining({ kind: 'Status', status: 'Success' })]);
    expect((await call('GET', `/api/v1/namespaces/${NS}/pods/zookeeper-2`))[0]).toBe(404);
    await api.settled();
    const [, fresh] = await call('GET', `/api/v1/namespaces/${NS}/pods/zookeeper-2`) as [number, any];
    expect(fresh.metadata.uid).not.toBe(old.metadata.uid);
    expect(fresh.metadata.labels['controller-revision-hash']).toBe(api.updateRevision);
    expect(runtime.recreated).toEqual([{ name: 'zookeeper-2', tickTime: '3000' }]);
    expect(api.podRevisions()['zookeeper-1']).not.toBe(api.updateRevision);
  });

  test('the budget refuses (429) a second voter down while one is not Ready, and allows it once it is back', async () => {
    const { api, evict } = await model(new FakeRuntime(50));
    expect((await evict('zookeeper-2'))[0]).toBe(201);
    const [code, body] = await evict('zookeeper-1') as [number, any];
    expect(code).toBe(429);
    expect(body).toMatchObject({ reason: 'TooManyRequests', details: { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget zookeeper needs 2 healthy pods and has 2 currently' }] } });
    await api.settled();
    // Running again, but not Ready until the kubelet's next probe passes.
    expect((await evict('zookeeper-1'))[0]).toBe(429);
    await api.probeAll();
    expect((await evict('zookeeper-1'))[0]).toBe(201);
    await api.settled();
  });

  test('a voter that is not Ready may be evicted while the others keep the budget (IfHealthyBudget), and not when they do not', async () => {
    const runtime = new FakeRuntime();
    runtime.notReady.add('zookeeper-0');
    const { evict, api } = await model(runtime);
    expect((await evict('zookeeper-0'))[0]).toBe(201);
    await api.settled();
    runtime.notReady.add('zookeeper-0');
    runtime.notReady.add('zookeeper-1');
    // failureThreshold (2) failed probes in a row before the kubelet calls zookeeper-1 not Ready.
    await api.probeAll();
    await api.probeAll();
    expect((await evict('zookeeper-0'))[0]).toBe(429);
  });

  test('a body that is not a policy/v1 Eviction of that pod is a 400', async () => {
    const { call } = await model();
    const [code] = await call('POST', `/api/v1/namespaces/${NS}/pods/zookeeper-0/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'zookeeper-1' } });
    expect(code).toBe(400);
  });
});

describe('over HTTPS', () => {
  test('a client that trusts the model\'s CA and sends the token gets the StatefulSet', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-api-model-'));
    const { api } = await model();
    try {
      const tls = new TlsMaterial(dir);
      const ca = tls.ca('api-ca');
      const port = await api.listen(tls.issue(ca, 'api', ['localhost']), '127.0.0.1');
      const reply = await new Promise<{ code: number; body: any }>((resolve, reject) => {
        https.get({ host: '127.0.0.1', servername: 'localhost', port, path: `/apis/apps/v1/namespaces/${NS}/statefulsets/zookeeper`, ca: fs.readFileSync(ca.cert), headers: { Authorization: `Bearer ${api.token}` } }, (res) => {
          let text = '';
          res.on('data', (c) => { text += c; });
          res.on('end', () => resolve({ code: res.statusCode!, body: JSON.parse(text) }));
        }).on('error', reject);
      });
      expect(reply.code).toBe(200);
      expect(reply.body.kind).toBe('StatefulSet');
      expect(api.calls).toEqual([{ method: 'GET', path: `/apis/apps/v1/namespaces/${NS}/statefulsets/zookeeper`, code: 200, at: expect.any(Number) }]);
    } finally {
      await api.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
