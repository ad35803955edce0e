/**
 * The harness's model of the StatefulSet controller, the kubelet and the two ways dist/ is applied
 * (e2e/statefulset-controller.ts, e2e/kubelet-model.ts, e2e/statefulset-model.ts,
 * e2e/apply-order.ts), held to what Kubernetes, kubectl and Argo CD do. Each test names the
 * behaviour and where it comes from; pods run in memory here.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { RollStrategy } from '../lib';
import { revisionOf } from '../e2e/api-server';
import {
  argoStatefulSetHealth, argoSync, hookLifecycle, kubectlApply, kustomizeOrder, runSteps,
} from '../e2e/apply-order';
import { expandStatefulSet, find, Manifest } from '../e2e/expand';
import { containerEnv, nextReadiness, signalTimes, Termination, terminationOf, volumeDataAt, volumeSwitchAt } from '../e2e/kubelet-model';
import {
  claimNames, claimsRemovedOnScaleDown, ControllerSpec, controllerSpecOf, ObservedPod, syncStatefulSet,
} from '../e2e/statefulset-controller';
import { withOwnConfigMapVolumes } from '../e2e/played-statefulset';
import { modelTarget, scaleTo } from '../e2e/statefulset-apply';
import { StatefulPods, StatefulSetModel } from '../e2e/statefulset-model';
import { fixtureApp, synthAppInto } from './support/default-app';
import { synthChart } from './support/synth';
import { requireKubectl } from './support/tools';

// The fixture app's prod folder (3 voters named zookeeper), synthesized as `npm run synth` writes
// dist/: the user's own dist/prod may hold any valid edit (five voters, another name).
const FIXTURE_OUT = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-sts-model-'));
const DIST_PROD = path.join(synthAppInto(fixtureApp(), FIXTURE_OUT), 'prod');
afterAll(() => fs.rmSync(FIXTURE_OUT, { recursive: true, force: true }));
const readYaml = (file: string) => parseAllDocuments(fs.readFileSync(file, 'utf8'), { version: '1.1' }).map((d) => d.toJS() as Manifest).filter(Boolean);
const prodFiles = () => Object.fromEntries(fs.readdirSync(DIST_PROD).filter((f) => f.endsWith('.k8s.yaml')).map((f) => [f, readYaml(path.join(DIST_PROD, f))]));

const spec = (over: Partial<ControllerSpec> = {}): ControllerSpec => ({
  name: 'zookeeper', replicas: 3, podManagementPolicy: 'Parallel', updateStrategy: 'RollingUpdate', partition: 0, whenScaled: 'Retain', claimTemplates: ['data'], ...over,
});
const pod = (ordinal: number, over: Partial<ObservedPod> = {}): ObservedPod => ({ ordinal, revision: 'r1', ready: true, terminating: false, ...over });
const R1 = { current: 'r1', update: 'r1' };
const R2 = { current: 'r1', update: 'r2' };

describe('applying a new replicas with podManagementPolicy Parallel (stateful_set_control.go: runForAll without monotonic)', () => {
  test('a larger replicas creates every missing ordinal in one sync, without waiting for any pod to be Ready', () => {
    // GIVEN three pods, the first not Ready yet
    const pods = [pod(0, { ready: false }), pod(1), pod(2)];
    // WHEN the spec asks for five
    const actions = syncStatefulSet(spec({ replicas: 5 }), pods, R1);
    // THEN ordinals 3 and 4 are created at once
    expect(actions).toEqual([{ kind: 'create', ordinal: 3, revision: 'r1' }, { kind: 'create', ordinal: 4, revision: 'r1' }]);
  });

  test('a smaller replicas deletes every ordinal >= replicas in one sync, highest first, Ready or not', () => {
    const pods = [pod(0), pod(1), pod(2, { ready: false }), pod(3), pod(4, { ready: false })];
    expect(syncStatefulSet(spec({ replicas: 3 }), pods, R1)).toEqual([
      { kind: 'delete', ordinal: 4, reason: 'scale-down' }, { kind: 'delete', ordinal: 3, reason: 'scale-down' }]);
    // 3 -> 1: two of three voters go at once, the hazard issue 14 names
    expect(syncStatefulSet(spec({ replicas: 1 }), [pod(0), pod(1), pod(2)], R1).map((a) => a.ordinal)).toEqual([2, 1]);
  });

  test('unlike OrderedReady, which creates one pod at a time after its predecessors are Ready and deletes one at a time', () => {
    const ordered = spec({ replicas: 5, podManagementPolicy: 'OrderedReady' });
    expect(syncStatefulSet(ordered, [pod(0, { ready: false }), pod(1), pod(2)], R1)).toEqual([]);
    expect(syncStatefulSet(ordered, [pod(0), pod(1), pod(2)], R1)).toEqual([{ kind: 'create', ordinal: 3, revision: 'r1' }]);
    const down = spec({ replicas: 3, podManagementPolicy: 'OrderedReady' });
    expect(syncStatefulSet(down, [pod(0), pod(1), pod(2), pod(3), pod(4)], R1)).toEqual([{ kind: 'delete', ordinal: 4, reason: 'scale-down' }]);
    expect(syncStatefulSet(down, [pod(0), pod(1), pod(2), pod(3), pod(4, { terminating: true })], R1)).toEqual([]);
  });

  test('a pod still terminating is not created again until it is gone (its name is taken)', () => {
    expect(syncStatefulSet(spec(), [pod(0), pod(1), pod(2, { terminating: true, revision: 'r1' })], R2)).toEqual([]);
    expect(syncStatefulSet(spec(), [pod(0), pod(1)], R2)).toEqual([{ kind: 'create', ordinal: 2, revision: 'r2' }]);
  });
});

describe('rolling updates (RollingUpdate) and OnDelete', () => {
  test('RollingUpdate deletes the highest ordinal not of the update revision, one per sync', () => {
    expect(syncStatefulSet(spec(), [pod(0), pod(1), pod(2)], R2)).toEqual([{ kind: 'delete', ordinal: 2, reason: 'update' }]);
    // 2 is back at r2 but not Ready: nothing more
    expect(syncStatefulSet(spec(), [pod(0), pod(1), pod(2, { revision: 'r2', ready: false })], R2)).toEqual([]);
    // 2 Ready: 1 goes next
    expect(syncStatefulSet(spec(), [pod(0), pod(1), pod(2, { revision: 'r2' })], R2)).toEqual([{ kind: 'delete', ordinal: 1, reason: 'update' }]);
  });

  test('RollingUpdate with a scale-up: the new ordinals start at the update revision and the roll of the old ones waits for them to be Ready', () => {
    const actions = syncStatefulSet(spec({ replicas: 5 }), [pod(0), pod(1), pod(2)], R2);
    expect(actions).toEqual([{ kind: 'create', ordinal: 3, revision: 'r2' }, { kind: 'create', ordinal: 4, revision: 'r2' }]);
    const started = [pod(0), pod(1), pod(2), pod(3, { revision: 'r2', ready: false }), pod(4, { revision: 'r2' })];
    expect(syncStatefulSet(spec({ replicas: 5 }), started, R2)).toEqual([]);
  });

  test('OnDelete replaces nothing on a new revision; a deleted pod comes back at the update revision, the others keep theirs', () => {
    const onDelete = spec({ updateStrategy: 'OnDelete' });
    expect(syncStatefulSet(onDelete, [pod(0), pod(1), pod(2)], R2)).toEqual([]);
    expect(syncStatefulSet(onDelete, [pod(0), pod(2)], R2)).toEqual([{ kind: 'create', ordinal: 1, revision: 'r2' }]);
    // A scale-up under OnDelete: the new members get the new template (zoo.cfg's list of five), the old keep the old one
    expect(syncStatefulSet(spec({ updateStrategy: 'OnDelete', replicas: 5 }), [pod(0), pod(1), pod(2)], R2).map((a) => a.kind === 'create' && a.revision)).toEqual(['r2', 'r2']);
  });

  test('a RollingUpdate partition keeps the ordinals below it at the current revision, also when they are re-created', () => {
    const partitioned = spec({ partition: 2 });
    expect(syncStatefulSet(partitioned, [pod(0), pod(2, { revision: 'r2' })], R2)).toEqual([{ kind: 'create', ordinal: 1, revision: 'r1' }]);
  });

  test('the synthesized voters are Parallel, OnDelete (the roll Job rolls them) or RollingUpdate, and retain their claims', () => {
    const leaderLast = controllerSpecOf(synthChart({}).statefulSet as Manifest);
    expect(leaderLast).toMatchObject({ podManagementPolicy: 'Parallel', updateStrategy: 'OnDelete', whenScaled: 'Retain', claimTemplates: ['data'] });
    const own = controllerSpecOf(synthChart({ rollStrategy: RollStrategy.STATEFUL_SET }).statefulSet as Manifest);
    expect(own).toMatchObject({ podManagementPolicy: 'Parallel', updateStrategy: 'RollingUpdate', partition: 0 });
  });
});

describe('claims (persistentVolumeClaimRetentionPolicy, createPersistentVolumeClaims)', () => {
  test('a pod\'s claim is <template>-<pod>; Retain keeps it on scale-down, Delete removes it', () => {
    expect(claimNames(spec({ claimTemplates: ['data', 'txnlog'] }), 4)).toEqual(['data-zookeeper-4', 'txnlog-zookeeper-4']);
    expect(claimsRemovedOnScaleDown(spec(), 4)).toEqual([]);
    expect(claimsRemovedOnScaleDown(spec({ whenScaled: 'Delete' }), 4)).toEqual(['data-zookeeper-4']);
  });
});

/**
 * Pods in memory. A claim is a string a pod may write; a pod is Ready `readyAfter` readiness
 * checks after it started; deletions take `stopMs`.
 */
class MemoryPods implements StatefulPods {
  public readonly claims = new Map<string, string>();
  public readonly running = new Map<string, { template: Manifest; claims: string[]; checks: number }>();
  public readonly deletions: { name: string; termination: Termination; start: number; end: number }[] = [];
  constructor(private readonly readyAfter = 1, private readonly stopMs = 30) {}
  public async create(statefulSet: Manifest, ordinal: number): Promise<void> {
    const name = `${statefulSet.metadata.name}-${ordinal}`;
    const claims = claimNames(controllerSpecOf(statefulSet), ordinal);
    for (const claim of claims) if (!this.claims.has(claim)) this.claims.set(claim, '');
    this.running.set(name, { template: statefulSet.spec.template, claims, checks: 0 });
  }
  public async delete(name: string, termination: Termination): Promise<void> {
    const start = Date.now();
    await new Promise((r) => setTimeout(r, this.stopMs));
    this.running.delete(name);
    this.deletions.push({ name, termination, start, end: Date.now() });
  }
  public async ready(name: string): Promise<boolean> {
    const pod = this.running.get(name);
    return pod !== undefined && ++pod.checks > this.readyAfter;
  }
  public async removeClaims(names: string[]): Promise<void> {
    for (const name of names) this.claims.delete(name);
  }
}

const statefulSetWith = (replicas: number, over: { updateStrategy?: string; env?: string; preStop?: string[] } = {}): Manifest => {
  const sts = structuredClone(synthChart({}).statefulSet) as Manifest;
  sts.spec.replicas = replicas;
  if (over.updateStrategy) sts.spec.updateStrategy = over.updateStrategy === 'RollingUpdate' ? { type: 'RollingUpdate', rollingUpdate: { partition: 0 } } : { type: over.updateStrategy };
  const main = sts.spec.template.spec.containers.find((c: Manifest) => c.name === 'zookeeper');
  if (over.env) main.env = [...main.env.filter((e: Manifest) => e.name !== 'TEST_MARK'), { name: 'TEST_MARK', value: over.env }];
  if (over.preStop) main.lifecycle = { preStop: { exec: { command: over.preStop } } };
  return sts;
};

async function startedModel(sts: Manifest, pods = new MemoryPods()) {
  const model = new StatefulSetModel(sts, pods, false);
  await model.converge(5000, 5);
  return { model, pods };
}

describe('the model over pods: membership changes as the controller and kubelet make them', () => {
  test('3 -> 5 -> 3 -> 5: the members re-created at 3 and 4 mount the claims the earlier ones left, stale content included', async () => {
    const { model, pods } = await startedModel(statefulSetWith(3));
    model.apply(statefulSetWith(5));
    await model.converge(5000, 5);
    pods.claims.set('data-zookeeper-4', 'zxid 0x100000042 of the first member 4');
    model.apply(statefulSetWith(3));
    await model.converge(5000, 5);
    expect([...pods.running.keys()].sort()).toEqual(['zookeeper-0', 'zookeeper-1', 'zookeeper-2']);
    expect([...pods.claims.keys()].sort()).toEqual(['data-zookeeper-0', 'data-zookeeper-1', 'data-zookeeper-2', 'data-zookeeper-3', 'data-zookeeper-4']);
    model.apply(statefulSetWith(5));
    await model.converge(5000, 5);
    expect(pods.running.get('zookeeper-4')!.claims).toEqual(['data-zookeeper-4']);
    expect(pods.claims.get('data-zookeeper-4')).toBe('zxid 0x100000042 of the first member 4');
  });

  test('5 -> 3 stops both extra pods at once, each gracefully with the pod\'s grace period and preStop hook', async () => {
    const { model, pods } = await startedModel(statefulSetWith(5, { preStop: ['/bin/true'] }));
    model.apply(statefulSetWith(3, { preStop: ['/bin/true'] }));
    await model.converge(5000, 5);
    const [first, second] = [...pods.deletions].sort((a, b) => a.start - b.start);
    expect([first.name, second.name].sort()).toEqual(['zookeeper-3', 'zookeeper-4']);
    expect(second.start).toBeLessThan(first.end);
    expect(first.termination).toEqual({ graceSeconds: 30, preStop: ['/bin/true'] });
  });

  test('RollingUpdate replaces 2, then 1, then 0, each only after the one before is back and Ready', async () => {
    const { model, pods } = await startedModel(statefulSetWith(3, { updateStrategy: 'RollingUpdate' }), new MemoryPods(2));
    model.apply(statefulSetWith(3, { updateStrategy: 'RollingUpdate', env: 'new' }));
    await model.converge(10_000, 5);
    const rolled = model.events.filter((e) => e.revision === model.revision.update);
    const deleting = model.events.filter((e) => e.what === 'deleting').map((e) => e.pod);
    expect(deleting).toEqual(['zookeeper-2', 'zookeeper-1', 'zookeeper-0']);
    for (const [before, next] of [['zookeeper-2', 'zookeeper-1'], ['zookeeper-1', 'zookeeper-0']]) {
      const ready = rolled.find((e) => e.pod === before && e.what === 'ready')!;
      const deleted = model.events.find((e) => e.pod === next && e.what === 'deleting')!;
      expect(events(model).indexOf(ready)).toBeLessThan(events(model).indexOf(deleted));
    }
    expect([...pods.running.values()].every((p) => containerEnv(main(p.template), []).TEST_MARK === 'new')).toBe(true);
  });

  test('OnDelete: a new env reaches no running pod; only the pod deleted and re-created gets it', async () => {
    const { model, pods } = await startedModel(statefulSetWith(3, { env: 'old' }));
    model.apply(statefulSetWith(3, { env: 'new' }));
    await model.converge(5000, 5);
    const envOf = (name: string) => containerEnv(main(pods.running.get(name)!.template), []).TEST_MARK;
    expect(['zookeeper-0', 'zookeeper-1', 'zookeeper-2'].map(envOf)).toEqual(['old', 'old', 'old']);
    model.deletePod('zookeeper-1');
    await model.settled();
    await model.converge(5000, 5);
    expect(['zookeeper-0', 'zookeeper-1', 'zookeeper-2'].map(envOf)).toEqual(['old', 'new', 'old']);
    expect(model.podStates()['zookeeper-1'].revision).toBe(revisionOf(statefulSetWith(3, { env: 'new' })));
  });
});

test('a pod the runtime cannot start fails converge with the cause, not the process', async () => {
  const pods = new MemoryPods();
  pods.create = async () => { throw new Error('kube play: no such image'); };
  await expect(new StatefulSetModel(statefulSetWith(3), pods, false).converge(1000, 5)).rejects.toThrow(/could not be changed: kube play: no such image/);
});

const events = (model: StatefulSetModel) => model.events;
const main = (template: Manifest) => template.spec.containers.find((c: Manifest) => c.name === 'zookeeper');

describe('readiness (the kubelet\'s prober counts results against the thresholds)', () => {
  test('a new pod is Ready after successThreshold successes; a Ready one turns not Ready only after failureThreshold failures in a row', () => {
    const probe = synthChart({}).statefulSet.spec.template.spec.containers[0].readinessProbe;
    expect(probe.failureThreshold).toBe(2);
    expect(nextReadiness({ ready: false, streak: 0 }, true, probe)).toEqual({ ready: true, streak: 0 });
    const once = nextReadiness({ ready: true, streak: 0 }, false, probe);
    expect(once).toEqual({ ready: true, streak: 1 });
    expect(nextReadiness(once, true, probe)).toEqual({ ready: true, streak: 0 });
    expect(nextReadiness(once, false, probe)).toEqual({ ready: false, streak: 0 });
  });
});

describe('graceful deletion (kubelet killContainer)', () => {
  test('without a preStop hook: SIGTERM at once, SIGKILL when terminationGracePeriodSeconds is out', () => {
    expect(signalTimes({ graceSeconds: 30 })).toEqual({ sigtermMs: 0, sigkillMs: 30_000 });
  });

  test('the preStop hook runs first and its time comes out of the grace period', () => {
    expect(signalTimes({ graceSeconds: 30, preStop: ['x'] }, 5_700)).toEqual({ sigtermMs: 5_700, sigkillMs: 5_700 + 25_000 });
  });

  test('a hook that outlives the grace period is abandoned there, and the container still gets the 2 s minimum', () => {
    expect(signalTimes({ graceSeconds: 30, preStop: ['x'] }, 45_000)).toEqual({ sigtermMs: 30_000, sigkillMs: 32_000 });
    expect(signalTimes({ graceSeconds: 1 })).toEqual({ sigtermMs: 0, sigkillMs: 2_000 });
  });

  test('the synthesized members stop with a 30 s grace period and, today, no preStop hook', () => {
    expect(terminationOf(synthChart({}).statefulSet.spec.template)).toEqual({ graceSeconds: 30 });
  });
});

describe('ConfigMap volumes that reach running pods late, whole (kubelet sync period, AtomicWriter ..data)', () => {
  const v1 = { at: 1_000, data: { 'zoo.cfg': 'server.1=a', 'java.env': 'heap=1' } };
  const v2 = { at: 10_000, data: { 'zoo.cfg': 'server.1=a\nserver.2=b', 'java.env': 'heap=2' } };

  test('with 0 s a running pod sees the update at the apply', () => {
    expect(volumeDataAt([v1, v2], 2_000, 0, 9_999)).toBe(v1.data);
    expect(volumeDataAt([v1, v2], 2_000, 0, 10_000)).toBe(v2.data);
  });

  test('with 60 s it keeps every old key for a minute, then gets every new key in the same instant', () => {
    expect(volumeDataAt([v1, v2], 2_000, 60_000, 69_999)).toBe(v1.data);
    expect(volumeDataAt([v1, v2], 2_000, 60_000, 70_000)).toBe(v2.data);
    expect(volumeSwitchAt(v2, 2_000, 60_000)).toBe(70_000);
  });

  test('a pod started after the apply mounts the new data at once, whatever the delay', () => {
    expect(volumeDataAt([v1, v2], 12_000, 60_000, 12_000)).toBe(v2.data);
    expect(volumeSwitchAt(v2, 12_000, 60_000)).toBeUndefined();
  });

  test('environment variables keep the value read at container start: a configMapKeyRef does not follow the ConfigMap', () => {
    const container = { env: [{ name: 'HEAP', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'heap' } } }, { name: 'PLAIN', value: 'x' }] };
    const cfg = (heap: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { heap } });
    const atStart = containerEnv(container as unknown as Manifest, [cfg('1')]);
    expect(atStart).toEqual({ HEAP: '1', PLAIN: 'x' });
    // the kubelet reads it again only when a container starts
    expect(containerEnv(container as unknown as Manifest, [cfg('2')]).HEAP).toBe('2');
    expect(atStart.HEAP).toBe('1');
  });
});

describe('applying the fixture app\'s prod folder: kubectl at once, Argo CD in phases and waves', () => {
  test('kubectl apply -k sends the objects in the order the real kubectl\'s kustomize renders them', () => {
    const kubectl = requireKubectl();
    const rendered = parseAllDocuments(execFileSync(kubectl, ['kustomize', DIST_PROD], { encoding: 'utf8', timeout: 60_000 }))
      .map((d) => d.toJS() as Manifest).filter(Boolean);
    const kustomization = readYaml(path.join(DIST_PROD, 'kustomization.yaml'))[0].resources as string[];
    const [step] = kubectlApply(prodFiles(), '-k', kustomization);
    const key = (o: Manifest) => `${o.kind}/${o.metadata.name}`;
    expect(step.objects.map(key)).toEqual(rendered.map(key));
    expect(step.waitHealthy).toBe(false);
    expect(kustomizeOrder(rendered).map(key)).toEqual(rendered.map(key));
  });

  test('kubectl apply -f sends every file\'s objects in file-name order and waits for nothing: the Namespace first', () => {
    const steps = kubectlApply(prodFiles(), '-f');
    expect(steps).toHaveLength(1);
    expect(steps[0].objects[0].kind).toBe('Namespace');
    expect(steps[0].objects.filter((o) => o.kind === 'Job').map((o) => o.metadata.labels['app.kubernetes.io/component'])).toEqual(['roll', 'post-deploy-check']);
  });

  test('an Argo CD sync: the waves in ascending order, each waited for, then the PostSync hooks by wave', () => {
    const steps = argoSync(Object.values(prodFiles()).flat());
    // Argo CD orders a wave by kind, then name; kinds it does not know (the operator's) come last, in no set order
    const summary = steps.map((s) => `${s.label}: ${[...new Set(s.objects.map((o) => o.kind))].sort().join(',')}`);
    expect(summary).toEqual([
      'Sync wave -1: Namespace',
      'Sync wave 0: ConfigMap,Role,RoleBinding,ServiceAccount',
      'Sync wave 1: NetworkPolicy,PodDisruptionBudget,Service,StatefulSet',
      'Sync wave 2: ConfigMap,PrometheusRule,ServiceMonitor',
      'PostSync wave 0: Job',
      'PostSync wave 1: Job',
    ]);
    expect(steps.every((s) => s.waitHealthy)).toBe(true);
    expect(steps[2].objects.map((o) => o.kind)).toEqual(['NetworkPolicy', 'PodDisruptionBudget', 'Service', 'Service', 'Service', 'StatefulSet']);
    expect(steps[4].objects[0].metadata.labels['app.kubernetes.io/component']).toBe('roll');
  });

  test('hooks: BeforeHookCreation (dist\'s, and the default) re-creates the Job each sync and keeps it after; HookSucceeded deletes it after success only', () => {
    const [roll] = Object.values(prodFiles()).flat().filter((o) => o.kind === 'Job');
    expect(hookLifecycle(roll, 'succeeded')).toEqual({ deleteBefore: true, deleteAfter: false });
    const bare = { ...roll, metadata: { ...roll.metadata, annotations: { 'argocd.argoproj.io/hook': 'PreSync' } } };
    expect(hookLifecycle(bare, 'failed')).toEqual({ deleteBefore: true, deleteAfter: false });
    const succeeded = { ...roll, metadata: { ...roll.metadata, annotations: { 'argocd.argoproj.io/hook-delete-policy': 'HookSucceeded' } } };
    expect([hookLifecycle(succeeded, 'succeeded'), hookLifecycle(succeeded, 'failed')]).toEqual([
      { deleteBefore: false, deleteAfter: true }, { deleteBefore: false, deleteAfter: false }]);
  });

  test('Argo CD calls an OnDelete StatefulSet healthy with outdated pods, but not while a new member is not Ready', () => {
    const onDelete = statefulSetWith(5);
    const status = { observedGeneration: 2, generation: 2, readyReplicas: 5, updatedReplicas: 2, currentRevision: 'r1', updateRevision: 'r2' };
    expect(argoStatefulSetHealth(onDelete, status)).toBe('Healthy');
    expect(argoStatefulSetHealth(onDelete, { ...status, readyReplicas: 4 })).toBe('Progressing');
    expect(argoStatefulSetHealth(onDelete, { ...status, observedGeneration: 1 })).toBe('Progressing');
    expect(argoStatefulSetHealth(statefulSetWith(5, { updateStrategy: 'RollingUpdate' }), status)).toBe('Progressing');
  });

  test('a step waits until all its objects are healthy; kubectl\'s one step asks no health at all', async () => {
    const log: string[] = [];
    let checks = 0;
    const target = {
      apply: async (o: Manifest) => { log.push(`apply ${o.metadata.name}`); },
      healthy: async (o: Manifest) => { log.push(`health ${o.metadata.name}`); return o.metadata.name !== 'slow' || ++checks > 2; },
    };
    const obj = (name: string, wave: number) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, annotations: { 'argocd.argoproj.io/sync-wave': String(wave) } } });
    await runSteps(argoSync([obj('later', 1), obj('slow', 0)]), target, { pollMs: 1 });
    expect(log.indexOf('apply later')).toBeGreaterThan(log.lastIndexOf('health slow'));
    log.length = 0;
    await runSteps(kubectlApply({ 'a.k8s.yaml': [obj('later', 1), obj('slow', 0)] }, '-f'), target);
    expect(log).toEqual(['apply later', 'apply slow']);
  });
});

describe('the played StatefulSet under a whole apply', () => {
  const prodObjects = () => Object.values(prodFiles()).flat();
  const withReplicas = (objects: Manifest[], replicas: number) => objects.map((o) => (o.kind === 'StatefulSet' ? { ...o, spec: { ...o.spec, replicas } } : o));
  const sink = () => {
    const applied: string[] = [];
    return { applied, applyConfigMaps: (objects: Manifest[]) => objects.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.name), applyConfigMap: (c: Manifest) => { applied.push(c.metadata.name); return true; } };
  };

  test('each pod gets ConfigMap volumes of its own, mounted read-only, its claims unchanged', () => {
    const [member] = expandStatefulSet(prodObjects(), 'zookeeper', 'cluster.local');
    const { member: played, volumes } = withOwnConfigMapVolumes(member);
    expect(volumes.map((v) => `${v.volume} <- ${v.configMap}`)).toEqual([
      'zookeeper-0-config <- zookeeper-config', 'zookeeper-0-logging <- zookeeper-logging',
      'zookeeper-0-supervisord <- zookeeper-supervisord', 'zookeeper-0-scripts <- zookeeper-scripts']);
    expect(played.pod.spec.volumes.filter((v: Manifest) => v.configMap)).toEqual([]);
    const mounts = played.pod.spec.containers[0].volumeMounts.filter((m: Manifest) => volumes.some((v) => v.volume.endsWith(`-${m.name}`)));
    expect(mounts.length).toBe(4);
    expect(mounts.every((m: Manifest) => m.readOnly === true)).toBe(true);
    expect(played.claims).toEqual(member.claims);
  });

  test('scaleTo (kubectl apply) of the prod folder with five replicas: two members added at once, all Ready at the end', async () => {
    const objects = prodObjects();
    const { model, pods } = await startedModel(find(objects, 'StatefulSet')[0]);
    const result = await scaleTo(model, sink(), withReplicas(objects, 5), 5000, 5);
    expect(result.changed).toEqual(expect.arrayContaining(['zookeeper-config']));
    expect([...pods.running.keys()].sort()).toEqual(['zookeeper-0', 'zookeeper-1', 'zookeeper-2', 'zookeeper-3', 'zookeeper-4']);
    const created = model.events.filter((e) => e.what === 'created' && ['zookeeper-3', 'zookeeper-4'].includes(e.pod));
    const firstReady = model.events.find((e) => e.what === 'ready' && e.pod === 'zookeeper-3')!;
    expect(created.every((e) => model.events.indexOf(e) < model.events.indexOf(firstReady))).toBe(true);
  });

  test('under Argo CD the roll Job (PostSync) starts only once the added members are Ready; kubectl starts it beside the StatefulSet', async () => {
    for (const how of ['argo', 'kubectl'] as const) {
      // GIVEN the three members of the prod folder running, and the controller's loop
      const objects = prodObjects();
      const { model } = await startedModel(find(objects, 'StatefulSet')[0], new MemoryPods(3));
      model.start(5);
      try {
        let readyAtJobStart = -1;
        const runJob = async (job: Manifest) => {
          if (job.metadata.labels['app.kubernetes.io/component'] === 'roll') readyAtJobStart = model.status().readyReplicas;
          return true;
        };
        // WHEN five replicas are applied the one way or the other
        const next = withReplicas(objects, 5);
        const steps = how === 'argo' ? argoSync(next) : kubectlApply({ 'zookeeper.k8s.yaml': next }, '-f');
        await runSteps(steps, modelTarget(model, sink(), runJob), { pollMs: 5, timeoutMs: 5000 });
        // THEN Argo CD waited for wave 1's StatefulSet to be healthy (five Ready); kubectl did not wait
        expect({ how, readyAtJobStart }).toEqual({ how, readyAtJobStart: how === 'argo' ? 5 : 3 });
      } finally {
        model.stop();
        await model.settled();
      }
    }
  });
});
