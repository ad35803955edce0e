/**
 * The leader-last roll's objects: the voters' StatefulSet replaces no pod itself (OnDelete), and a
 * Job per pod template runs Roller.java with a Role that can read the voters and evict them by name
 * and nothing else. The roll itself is proven end to end against the harness's API server model
 * (test/e2e-api-server.test.ts, scenario 23).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { ClientTls, DeploymentMode, IssuerKind, RollStrategy, ZooKeeperEnsembleProps } from '../lib';
import { writeManifests } from '../lib/gitops/manifest-files';
import { rollJobName } from '../lib/objects/roller';
import { templateHash } from '../lib/render/checksum';
import { validateObjects } from './support/k8s-schema';
import { isAllowed, NetworkPolicyObject, PodEndpoint } from './support/network-policy';
import { violations } from './support/pod-security-standards';
import { KubeObject, synthChart, synthEnsemble } from './support/synth';
import { issueLines } from './support/settings-issues';

const HASH = 'cdk8s-zookeeper/template-hash';
const rollJobs = (objects: KubeObject[]) => objects.filter((o) => o.kind === 'Job' && o.metadata.labels?.['app.kubernetes.io/component'] === 'roll');

function roll(props: ZooKeeperEnsembleProps = {}) {
  const synth = synthEnsemble({ name: 'zk', ...props });
  const [job] = rollJobs(synth.objects);
  const env = job && Object.fromEntries(job.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
  return { synth, job, env };
}

const issues = (props: ZooKeeperEnsembleProps) => issueLines({ name: 'zk', ...props });

describe('who replaces the voters\' pods', () => {
  test('by default the voters\' StatefulSet waits for its pods to be deleted, and the observers\' rolls itself', () => {
    const { synth } = roll({ mode: DeploymentMode.CLUSTER, observers: 2 });
    expect(synth.all('StatefulSet').map((s) => `${s.metadata.name}: ${s.spec.updateStrategy.type}`)).toEqual(['zk: OnDelete', 'zk-observer: RollingUpdate']);
  });

  test('with rollStrategy statefulset the StatefulSet rolls itself and no Job, Role or API access is shipped', () => {
    const { synth, job } = roll({ rollStrategy: RollStrategy.STATEFUL_SET });
    expect(synth.statefulSet.spec.updateStrategy.type).toBe('RollingUpdate');
    expect(job).toBeUndefined();
    expect([...synth.all('Role'), ...synth.all('RoleBinding')]).toEqual([]);
    expect(synth.all('ServiceAccount').map((s) => s.metadata.name)).toEqual(['zk']);
    expect(JSON.stringify(synth.one('NetworkPolicy'))).not.toContain('zookeeper-roll');
  });

  test('a single server keeps the StatefulSet\'s roll, and is refused the leader-last one', () => {
    expect(roll({ mode: DeploymentMode.STANDALONE }).job).toBeUndefined();
    expect(issues({ mode: DeploymentMode.STANDALONE, rollStrategy: RollStrategy.LEADER_LAST }))
      .toEqual(["rollStrategy: 'leader-last' needs more than one voter: a single server has no follower to roll first; use 'statefulset'"]);
  });

  test('an unknown rollStrategy is refused with the allowed values', () => {
    expect(issues({ rollStrategy: 'fast' as RollStrategy })[0]).toMatch(/^rollStrategy: .*leader-last.*statefulset/);
  });
});

describe('the roll Job and its template hash', () => {
  test('the StatefulSet carries the hash of the rest of its pod template, and the Job rolls to it', () => {
    const { synth, job, env } = roll();
    const template = structuredClone(synth.statefulSet.spec.template);
    const hash = template.metadata.annotations[HASH];
    delete template.metadata.annotations[HASH];
    expect(templateHash(template)).toBe(hash);
    expect(env.ZK_ROLL_TEMPLATE_HASH).toBe(hash);
    expect(job.metadata.name).toMatch(/^zk-roll-[0-9a-f]{10}$/);
  });

  test('a Job whose own pod changes gets a new name, so kubectl apply never meets a changed immutable Job template', () => {
    const { synth, job } = roll();
    const model = synth.ensemble.model.roll!;
    const hash = synth.statefulSet.spec.template.metadata.annotations[HASH];
    expect(rollJobName(model, hash, job.spec.template)).toBe(job.metadata.name);
    const changed = structuredClone(job.spec.template);
    changed.spec.containers[0].env.push({ name: 'ZK_ROLL_SOMETHING_NEW', value: '1' });
    expect(rollJobName(model, hash, changed)).not.toBe(job.metadata.name);
  });

  test('a change that rolls the pods gets a new Job; the same settings give the same Job', () => {
    const names = [{}, {}, { tickTime: 2500 }, { heapMiB: 600 }].map((props) => roll(props).job.metadata.name);
    expect(names[0]).toBe(names[1]);
    expect(new Set(names).size).toBe(3);
  });

  test('its name fits Kubernetes\' 63 characters for the longest ensemble name', () => {
    const name = `z${'k'.repeat(51)}`;
    const { job } = roll({ name });
    expect(job.metadata.name.length).toBeLessThanOrEqual(63);
    expect(job.metadata.name).toMatch(new RegExp(`^${name}-roll-[0-9a-f]{5}$`));
  });

  test('runs Roller.java from its ConfigMap with the image\'s JVM, never retried, within a deadline, and cleaned up', () => {
    const { synth, job } = roll();
    const container = job.spec.template.spec.containers[0];
    expect(container.command.slice(-1)).toEqual(['/roll/Roller.java']);
    expect(synth.file('zk-roll', 'Roller.java')).toBe(fs.readFileSync(path.join(__dirname, '..', 'lib', 'java', 'Roller.java'), 'utf8'));
    expect(job.spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 1800, ttlSecondsAfterFinished: 604800 });
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
  });

  test('is an Argo CD PostSync hook that runs before the post-deploy check', () => {
    const { synth, job } = roll();
    const check = synth.one('Job', 'zk-post-deploy-check');
    expect(job.metadata.annotations['argocd.argoproj.io/hook']).toBe('PostSync');
    expect(Number(job.metadata.annotations['argocd.argoproj.io/sync-wave'])).toBeLessThan(Number(check.metadata.annotations['argocd.argoproj.io/sync-wave']));
  });

  test('tells the roller the voters in ordinal order, the ports it asks on, and its bounds', () => {
    expect(roll({ replicas: 5 }).env).toMatchObject({
      ZK_ROLL_NAMESPACE: 'zk',
      ZK_ROLL_STATEFULSET: 'zk',
      ZK_ROLL_VOTERS: [0, 1, 2, 3, 4].map((i) => `zk-${i}.zk-headless.zk.svc.cluster.local`).join(' '),
      ZK_ROLL_CLIENT_PORT: '2181',
      ZK_ROLL_METRICS_PORT: '7000',
      ZK_ROLL_MEMBER_SECONDS: '360',
    });
    expect(roll({ clientTls: ClientTls.ONLY, tlsIssuer: { name: 'ca', kind: IssuerKind.CLUSTER_ISSUER } }).env.ZK_ROLL_CLIENT_PORT).toBe('2281');
  });

  test('is schema-valid and passes the restricted Pod Security Standard', () => {
    for (const props of [{}, { platformAssignedUser: true }, { clientTls: ClientTls.ONLY, tlsIssuer: { name: 'ca', kind: IssuerKind.CLUSTER_ISSUER } }]) {
      const { synth, job } = roll(props);
      expect(violations(job.spec.template)).toEqual([]);
      expect(validateObjects([job, synth.one('Role'), synth.one('RoleBinding'), synth.one('ConfigMap', 'zk-roll')])).toEqual([]);
    }
  });
});

describe('the roller\'s rights', () => {
  test('the Role reads the voters\' StatefulSet and pods and evicts them, by name, and grants nothing else', () => {
    const { synth } = roll({ mode: DeploymentMode.CLUSTER, observers: 1 });
    const voters = ['zk-0', 'zk-1', 'zk-2', 'zk-3', 'zk-4'];
    expect(synth.one('Role').rules).toEqual([
      { apiGroups: ['apps'], resources: ['statefulsets'], resourceNames: ['zk'], verbs: ['get'] },
      { apiGroups: [''], resources: ['pods'], resourceNames: voters, verbs: ['get'] },
      { apiGroups: [''], resources: ['pods/eviction'], resourceNames: voters, verbs: ['create'] },
    ]);
  });

  test('only the roll Job\'s pod holds a token, and only its ServiceAccount is bound to the Role', () => {
    const { synth, job } = roll();
    expect(synth.one('RoleBinding').subjects).toEqual([{ kind: 'ServiceAccount', name: 'zk-roll', namespace: 'zk' }]);
    expect(synth.one('RoleBinding').roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'zk-roll' });
    expect(synth.all('ServiceAccount').map((s) => s.automountServiceAccountToken)).toEqual([false, false]);
    expect(job.spec.template.spec).toMatchObject({ serviceAccountName: 'zk-roll', automountServiceAccountToken: true });
    expect(synth.statefulSet.spec.template.spec.automountServiceAccountToken).toBe(false);
  });
});

describe('the NetworkPolicy and the roller\'s pod', () => {
  const memberPod = (sts: KubeObject): PodEndpoint => ({
    namespace: sts.metadata.namespace!, labels: { ...sts.spec.template.metadata.labels }, containerPorts: sts.spec.template.spec.containers.flatMap((c: any) => c.ports ?? []),
  });
  const reaches = (props: ZooKeeperEnsembleProps, port: number, labels?: Record<string, string>) => {
    const { synth, job } = roll(props);
    const from = { namespace: 'zk', labels: labels ?? { ...job.spec.template.metadata.labels } };
    return synth.all('StatefulSet').every((sts) => isAllowed(synth.all('NetworkPolicy') as NetworkPolicyObject[], { from, to: memberPod(sts), port, protocol: 'TCP' }));
  };

  test('admits it to the members\' client and metrics ports only, even where clients need labels it lacks', () => {
    const narrowed = { clientPodLabels: { 'zk-client': 'yes' } };
    expect([2181, 7000, 2888, 3888].map((port) => reaches(narrowed, port))).toEqual([true, true, false, false]);
    expect(reaches(narrowed, 2181, { app: 'other' })).toBe(false);
  });

  test('is never taken for a member: no Service, budget or member policy selects it', () => {
    const { synth, job } = roll();
    const labels = job.spec.template.metadata.labels;
    const selects = (selector?: Record<string, string>) => selector !== undefined && Object.entries(selector).every(([k, v]) => labels[k] === v);
    expect(synth.all('Service').filter((s) => selects(s.spec.selector))).toEqual([]);
    expect(synth.all('PodDisruptionBudget').filter((p) => selects(p.spec.selector.matchLabels))).toEqual([]);
    expect(synth.all('NetworkPolicy').filter((p) => selects(p.spec.podSelector.matchLabels))).toEqual([]);
  });
});

describe('where the roll Job is written', () => {
  test('in the core manifest, which kubectl apply -k applies, while the check stays in its own', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-roll-files-'));
    try {
      writeManifests(dir, 'zookeeper', synthChart({}).objects);
      const jobs = (file: string) => parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8')).map((d) => d.toJS())
        .filter((o) => o.kind === 'Job').map((o) => o.metadata.name.replace(/[0-9a-f]{10}$/, '<hash>'));
      expect(jobs('zookeeper.k8s.yaml')).toEqual(['zookeeper-roll-<hash>']);
      expect(jobs('zookeeper.post-deploy-check.k8s.yaml')).toEqual(['zookeeper-post-deploy-check']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
