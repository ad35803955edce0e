/**
 * The post-deploy check's objects: an Argo CD PostSync hook Job in a manifest of its own, whose pod
 * runs the ConfigMap's Java source with the image's JVM, under the restricted Pod Security
 * Standard, admitted by the NetworkPolicy through its own labels, with the members' TLS and one
 * client user's SASL credentials. The check's behaviour itself is proven end to end (scenario 21).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ClientAccess, ClientTls, DeploymentMode, ImageProfile, IssuerKind, Membership, ZooKeeperEnsembleProps } from '../lib';
import { writeManifests } from '../lib/gitops/manifest-files';
import { validateObjects } from './support/k8s-schema';
import { isAllowed, NetworkPolicyObject, PodEndpoint } from './support/network-policy';
import { violations } from './support/pod-security-standards';
import { KubeObject, synthChart, synthEnsemble } from './support/synth';
import { issueLines } from './support/settings-issues';

const SASL: ZooKeeperEnsembleProps = { clientSasl: true, saslSecretName: 'zk-sasl', saslClientUsers: { kafka: 'kafka-password', app: 'app-password' } };
const TLS: ZooKeeperEnsembleProps = { tlsIssuer: { name: 'ca', kind: IssuerKind.CLUSTER_ISSUER } };

function check(props: ZooKeeperEnsembleProps = {}) {
  const synth = synthEnsemble({ name: 'zk', ...props });
  const job = synth.one('Job', 'zk-post-deploy-check');
  const spec = job.spec.template.spec;
  const container = spec.containers[0];
  const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value]));
  return { synth, job, spec, container, env };
}

/** The check's pod as the Job controller creates it: the template's labels, in the ensemble's namespace. */
function checkPod(job: KubeObject): PodEndpoint {
  return { namespace: job.metadata.namespace!, labels: { ...job.spec.template.metadata.labels } };
}

function memberPod(sts: KubeObject): PodEndpoint {
  const template = sts.spec.template;
  return { namespace: sts.metadata.namespace!, labels: { ...template.metadata.labels }, containerPorts: template.spec.containers.flatMap((c: any) => c.ports ?? []) };
}

describe('the post-deploy check Job', () => {
  test('is an Argo CD PostSync hook, deleted before the next one is created, that fails the sync instead of retrying', () => {
    const { job, spec } = check();
    expect(job.metadata.annotations).toMatchObject({ 'argocd.argoproj.io/hook': 'PostSync', 'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation' });
    expect(job.spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 300 });
    expect(spec.restartPolicy).toBe('Never');
  });

  test('is schema-valid with its ConfigMap, in every TLS and SASL variant', () => {
    for (const props of [{}, { clientTls: ClientTls.ONLY, ...TLS }, { clientTls: ClientTls.ON, quorumTls: true, ...TLS }, SASL, { mode: DeploymentMode.CLUSTER, observers: 2 }]) {
      const { synth } = check(props);
      expect(validateObjects([synth.one('Job', 'zk-post-deploy-check'), synth.one('ConfigMap', 'zk-post-deploy-check')])).toEqual([]);
    }
  });

  test('runs the ConfigMap\'s Java source with the image\'s java and the server\'s classpath, on a read-only root', () => {
    for (const image of [ImageProfile.upmio(), ImageProfile.debian()]) {
      const { synth, spec, container } = check({ image });
      const mount = container.volumeMounts.find((m: any) => m.name === 'source');
      const source = `${mount.mountPath}/PostDeployCheck.java`;
      expect(container.command[0]).toBe(image.props.javaPath);
      expect(container.command.slice(-3)).toEqual(['-cp', image.props.classpath.join(':'), source]);
      expect(spec.volumes.find((v: any) => v.name === 'source').configMap.name).toBe('zk-post-deploy-check');
      expect(synth.file('zk-post-deploy-check', 'PostDeployCheck.java')).toBe(fs.readFileSync(path.join(__dirname, '..', 'lib', 'java', 'PostDeployCheck.java'), 'utf8'));
      // The JVM's logging config exists in the image's format and is the one the command names.
      const logging = container.command.find((arg: string) => /^-D(logback\.configurationFile|log4j\.configuration)=/.test(arg)).split('=')[1].replace(/^file:/, '');
      expect(synth.file('zk-post-deploy-check', path.basename(logging))).toMatch(/WARN/);
      expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
      expect(container.command).toContain('-XX:-UsePerfData');
    }
  });

  test('passes the restricted Pod Security Standard', () => {
    for (const props of [{}, SASL, { clientTls: ClientTls.ONLY, ...TLS }, { platformAssignedUser: true }]) {
      const { job } = check(props);
      expect(violations(job.spec.template)).toEqual([]);
    }
  });

  test('tells the check every voter and observer, the client Service and the quorum size', () => {
    const { env } = check({ mode: DeploymentMode.CLUSTER, observers: 2 });
    expect(env.ZK_CHECK_VOTERS.split(' ')).toEqual([0, 1, 2, 3, 4].map((i) => `zk-${i}.zk-headless.zk.svc.cluster.local`));
    expect(env.ZK_CHECK_OBSERVERS.split(' ')).toEqual([0, 1].map((i) => `zk-observer-${i}.zk-headless.zk.svc.cluster.local`));
    expect(env).toMatchObject({ ZK_CHECK_SERVICE: 'zk.zk.svc.cluster.local:2181', ZK_CHECK_QUORUM: '3', ZK_CHECK_METRICS_PORT: '7000' });
  });

  test('under dynamic membership, compares the leader\'s membership with the voters by the host names the members write into it', () => {
    const { env, synth } = check({ membership: Membership.DYNAMIC, replicas: 5, bootstrapVoters: 3 });
    expect(env.ZK_CHECK_MEMBERSHIP).toBe('dynamic');
    // Joiners are added one at a time after their sync: the ensemble step waits longer than a step,
    // and every step at its bound still fits in the Job's deadline.
    const seconds = Number(env.ZK_CHECK_MEMBERSHIP_SECONDS);
    expect(seconds).toBeGreaterThan(Number(env.ZK_CHECK_STEP_SECONDS));
    const job = synth.one('Job', 'zk-post-deploy-check');
    expect(seconds + 4 * Number(env.ZK_CHECK_STEP_SECONDS)).toBeLessThan(job.spec.activeDeadlineSeconds);
    // dynamic-config.sh and membership-watch.sh name a member `<pod>.<ZK_PEER_DOMAIN>` in its server line.
    const member = Object.fromEntries(synth.one('StatefulSet', 'zk').spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
    expect(env.ZK_CHECK_VOTERS.split(' ')).toEqual([0, 1, 2, 3, 4].map((i) => `zk-${i}.${member.ZK_PEER_DOMAIN}`));
    expect(check().env.ZK_CHECK_MEMBERSHIP).toBeUndefined();
    expect(check().env.ZK_CHECK_MEMBERSHIP_SECONDS).toBeUndefined();
  });

  test('with client TLS, dials the TLS port with the members\' stores and reads their password from its file', () => {
    const { env, container, spec } = check({ clientTls: ClientTls.ONLY, ...TLS });
    expect(env.ZK_CHECK_SERVICE).toBe('zk.zk.svc.cluster.local:2281');
    expect(env.ZK_CHECK_CLIENT_PORT).toBe('2281');
    const property = (key: string) => container.command.find((arg: string) => arg.startsWith(`-Dzookeeper.${key}=`))?.split('=')[1];
    expect(property('client.secure')).toBe('true');
    const mounted = (file: string) => container.volumeMounts.some((m: any) => file.startsWith(`${m.mountPath}/`)
      && spec.volumes.find((v: any) => v.name === m.name).secret.items.some((item: any) => file === `${m.mountPath}/${item.path}`));
    for (const key of ['ssl.keyStore.location', 'ssl.trustStore.location', 'ssl.keyStore.passwordPath', 'ssl.trustStore.passwordPath']) {
      expect({ key, mounted: mounted(property(key)!) }).toEqual({ key, mounted: true });
    }
    expect(container.command.some((arg: string) => /password=/i.test(arg))).toBe(false);
  });

  test('with quorum TLS only, stays a plaintext client and mounts no TLS Secret', () => {
    const { env, spec, container } = check({ quorumTls: true, ...TLS });
    expect(env.ZK_CHECK_CLIENT_PORT).toBe('2181');
    expect(spec.volumes.filter((v: any) => v.secret)).toEqual([]);
    expect(container.command.filter((arg: string) => arg.startsWith('-Dzookeeper.'))).toEqual([]);
  });

  test('with client SASL, logs in as the first client user by default and mounts that user\'s password only', () => {
    const { env, spec } = check(SASL);
    expect(env.ZK_CHECK_SASL_USER).toBe('app');
    const secrets = spec.volumes.filter((v: any) => v.secret);
    expect(secrets).toEqual([{ name: 'sasl', secret: { secretName: 'zk-sasl', defaultMode: 0o440, items: [{ key: 'app-password', path: 'client-app' }] } }]);
    expect(env.ZK_CHECK_SASL_PASSWORD_FILE).toBe('/config/sasl/client-app');
    expect(check({ ...SASL, postDeployCheckSaslUser: 'kafka' }).env.ZK_CHECK_SASL_USER).toBe('kafka');
  });

  test('is left out, with its ConfigMap and its NetworkPolicy rule, when postDeployCheck is false', () => {
    const synth = synthEnsemble({ name: 'zk', postDeployCheck: false });
    expect(synth.all('Job').map((j) => j.metadata.name)).toEqual([expect.stringMatching(/^zk-roll-/)]);
    expect(synth.all('ConfigMap').map((c) => c.metadata.name)).not.toContain('zk-post-deploy-check');
    expect(JSON.stringify(synth.one('NetworkPolicy'))).not.toContain('post-deploy-check');
  });
});

describe('the NetworkPolicy and the check\'s pod', () => {
  const reaches = (props: ZooKeeperEnsembleProps, from: (job: KubeObject) => PodEndpoint, port: number) => {
    const { synth, job } = check(props);
    const policies = synth.all('NetworkPolicy') as NetworkPolicyObject[];
    return synth.all('StatefulSet').every((sts) => isAllowed(policies, { from: from(job), to: memberPod(sts), port, protocol: 'TCP' }));
  };

  test('admits the check\'s pod to every member\'s client and metrics ports, even where clients need labels it lacks', () => {
    for (const props of [{}, { clientPodLabels: { 'zk-client': 'yes' } }, { mode: DeploymentMode.CLUSTER, observers: 1 }]) {
      expect([reaches(props, checkPod, 2181), reaches(props, checkPod, 7000)]).toEqual([true, true]);
    }
    expect(reaches({ clientTls: ClientTls.ONLY, ...TLS }, checkPod, 2281)).toBe(true);
  });

  test('admits it by its labels only: the same pod without them, or in another namespace, stays out', () => {
    const narrowed = { clientPodLabels: { 'zk-client': 'yes' } };
    expect(reaches(narrowed, (job) => ({ ...checkPod(job), labels: { app: 'other' } }), 2181)).toBe(false);
    expect(reaches(narrowed, (job) => ({ ...checkPod(job), namespace: 'elsewhere' }), 7000)).toBe(false);
    expect(reaches({}, checkPod, 2888)).toBe(false);
  });

  test('is never taken for a member: no Service, budget or member policy selects it', () => {
    const { synth, job } = check({ mode: DeploymentMode.CLUSTER, observers: 1 });
    const labels = job.spec.template.metadata.labels;
    const selects = (selector: Record<string, string> | undefined) => selector !== undefined && Object.entries(selector).every(([k, v]) => labels[k] === v);
    expect(synth.all('Service').filter((s) => selects(s.spec.selector)).map((s) => s.metadata.name)).toEqual([]);
    for (const kind of ['PodDisruptionBudget', 'NetworkPolicy', 'StatefulSet']) {
      const selectors = synth.all(kind).map((o) => (kind === 'NetworkPolicy' ? o.spec.podSelector : o.spec.selector).matchLabels);
      expect({ kind, selecting: selectors.filter(selects) }).toEqual({ kind, selecting: [] });
    }
  });
});

describe('where the Job is written', () => {
  test('in a manifest of its own, which kubectl apply -k leaves out and Argo CD reads', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-check-files-'));
    try {
      const objects = synthChart({}).objects;
      const files = writeManifests(dir, 'zookeeper', objects);
      expect(files).toEqual(['zookeeper.k8s.yaml', 'zookeeper.monitoring.k8s.yaml', 'zookeeper.post-deploy-check.k8s.yaml']);
      expect(fs.readFileSync(path.join(dir, 'zookeeper.post-deploy-check.k8s.yaml'), 'utf8')).toMatch(/^kind: Job$/m);
      // The one Job of the core file is the roll's (test/roll.test.ts).
      expect(fs.readFileSync(path.join(dir, 'zookeeper.k8s.yaml'), 'utf8').match(/^kind: Job$/gm)).toHaveLength(1);
      expect(fs.readFileSync(path.join(__dirname, '..', 'dist', 'prod', 'kustomization.yaml'), 'utf8')).not.toContain('post-deploy-check');
      expect(fs.existsSync(path.join(__dirname, '..', 'dist', 'prod', 'zookeeper.post-deploy-check.k8s.yaml'))).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('settings of the check', () => {
  const issues = (props: ZooKeeperEnsembleProps) => issueLines({ name: 'zk', ...props });

  test('postDeployCheckSaslUser must be one of saslClientUsers', () => {
    expect(issues({ ...SASL, postDeployCheckSaslUser: 'nobody' })).toEqual(["postDeployCheckSaslUser: must be one of saslClientUsers (app, kafka), got 'nobody'"]);
  });

  test('postDeployCheckSaslUser is refused without client SASL, and with the check off', () => {
    expect(issues({ postDeployCheckSaslUser: 'app' })).toEqual(['postDeployCheckSaslUser: has no effect while clientSasl is false: the check authenticates only where clients must']);
    expect(issues({ ...SASL, postDeployCheck: false, postDeployCheckSaslUser: 'app' })).toEqual(['postDeployCheckSaslUser: has no effect with postDeployCheck: false; remove it, or turn the check on']);
  });

  test('postDeployCheck must be a boolean', () => {
    expect(issues({ postDeployCheck: 'yes' as any })[0]).toMatch(/^postDeployCheck: /);
  });

  test('the clientAccess setting does not change who the check is', () => {
    expect(check({ clientAccess: ClientAccess.ALL_NAMESPACES }).job.spec.template.metadata.labels['app.kubernetes.io/name']).toBe('zookeeper-post-deploy-check');
  });
});
