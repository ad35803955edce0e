/**
 * membership 'dynamic' (experimental, opt-in): the library's side. The pods' scripts are tested on
 * their own and by the e2e suite; here, what the synthesis gives them, and that a change of
 * replicas reaches no pod.
 */
import * as path from 'path';
import { ClientTls, DeploymentMode, Membership, ZooKeeperEnsembleProps } from '../lib';
import { ZOO_CFG_KEY_OWNERS } from '../lib/model/zoo-cfg-entries';
import { parseIni } from './support/ini';
import { isAllowed, PodEndpoint } from './support/network-policy';
import { issueLines } from './support/settings-issues';
import { KubeObject, parseZooCfg, Synthesized, synthEnsemble } from './support/synth';

/** An ensemble `zk` in namespace `zk`, dynamic unless told otherwise. */
function dynamic(props: ZooKeeperEnsembleProps = {}) {
  return synthEnsemble({ name: 'zk', membership: Membership.DYNAMIC, ...props });
}

const envOf = (container: any): Record<string, any> => Object.fromEntries(container.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));

/** The ConfigMap file a path in the main container comes from, through its volume mount. */
function mountedFile(synth: Synthesized, file: string): string {
  const mount = synth.mainContainer.volumeMounts.find((m: any) => path.dirname(file) === m.mountPath);
  if (!mount) throw new Error(`nothing is mounted at ${path.dirname(file)}`);
  const volume = synth.podSpec.volumes.find((v: any) => v.name === mount.name);
  return synth.file(volume.configMap.name, path.basename(file));
}

/** The script a `bash <scripts dir>/<file>` command runs, as the scripts ConfigMap holds it. */
function scriptRunBy(synth: Synthesized, command: readonly string[]): string {
  const [shell, script] = command;
  expect(shell).toMatch(/bash$/);
  return mountedFile(synth, script);
}

describe('the default, membership static', () => {
  const synth = synthEnsemble({ name: 'zk' });

  test('zoo.cfg lists every voter with reconfiguration off, and no bootstrap list is shipped', () => {
    const cfg = parseZooCfg(synth.file('zk-config', 'zoo.cfg'));
    expect([...cfg.keys()].filter((k) => k.startsWith('server.'))).toEqual(['server.1', 'server.2', 'server.3']);
    expect(cfg.get('reconfigEnabled')).toBe('false');
    expect(Object.keys(synth.one('ConfigMap', 'zk-config').data)).not.toContain('zoo.cfg.dynamic.bootstrap');
  });

  test('the members get no API token, no preStop hook and no Role', () => {
    expect(synth.podSpec.automountServiceAccountToken).toBe(false);
    expect(synth.mainContainer.lifecycle).toBeUndefined();
    expect(synth.all('Role').filter((r) => r.metadata.name === 'zk-membership')).toEqual([]);
    expect(envOf(synth.mainContainer).ZK_MEMBERSHIP).toBeUndefined();
  });
});

describe('zoo.cfg and the bootstrap list with membership dynamic', () => {
  const synth = dynamic({ replicas: 3 });
  const cfg = parseZooCfg(synth.file('zk-config', 'zoo.cfg'));

  test('zoo.cfg lists no server and turns reconfiguration on; even one voter is never standalone', () => {
    expect([...cfg.keys()].filter((k) => k.startsWith('server.'))).toEqual([]);
    expect(cfg.get('reconfigEnabled')).toBe('true');
    expect(cfg.get('standaloneEnabled')).toBe('false');
    // The client port stays: ZooKeeper accepts it beside the `;port` of the dynamic server lines.
    expect(cfg.get('clientPort')).toBe('2181');
    expect(cfg.has('dynamicConfigFile')).toBe(false);
  });

  test('the bootstrap list is the first voters\' server lines in dynamic-file form, with no version line, where ZK_BOOTSTRAP_CFG says', () => {
    const env = envOf(synth.mainContainer);
    const list = mountedFile(synth, env.ZK_BOOTSTRAP_CFG);
    expect(list.split('\n').filter((l) => l !== '')).toEqual([0, 1, 2].map((i) => `server.${i + 1}=zk-${i}.zk-headless.zk.svc.cluster.local:2888:3888:participant;2181`));
    expect(list).not.toMatch(/version=/);
    expect(env.ZK_BOOTSTRAP_VOTERS).toBe('3');
  });

  test('each bootstrap host is a pod of the StatefulSet under ZK_PEER_DOMAIN, and the ports are the declared ones', () => {
    const env = envOf(synth.mainContainer);
    const ports = Object.fromEntries(synth.mainContainer.ports.map((p: any) => [p.name, String(p.containerPort)]));
    const hosts = mountedFile(synth, env.ZK_BOOTSTRAP_CFG).trim().split('\n').map((line) => line.split('=')[1].split(':'));
    for (const [index, [host, quorum, election]] of hosts.entries()) {
      expect(host).toBe(`${env.ZK_STATEFULSET}-${index}.${env.ZK_PEER_DOMAIN}`);
      expect([quorum, election]).toEqual([ports.quorum, ports.election]);
    }
    expect([env.ZK_QUORUM_PORT, env.ZK_ELECTION_PORT, env.ZK_CLIENT_PORT]).toEqual([ports.quorum, ports.election, ports.client]);
    expect(env.ZK_STATEFULSET).toBe(synth.statefulSet.metadata.name);
    expect(env.ZK_PEER_DOMAIN).toBe(`${synth.statefulSet.spec.serviceName}.zk.svc.cluster.local`);
    expect(env.ZK_CLIENT_SERVICE).toBe(`${synth.one('Service', 'zk').metadata.name}.zk.svc.cluster.local`);
  });

  test('bootstrapVoters, not replicas, sizes the bootstrap list', () => {
    const five = dynamic({ replicas: 5, bootstrapVoters: 3 });
    expect(five.file('zk-config', 'zoo.cfg.dynamic.bootstrap').trim().split('\n')).toHaveLength(3);
    expect(five.statefulSet.spec.replicas).toBe(5);
  });

  test('with TLS-only clients the plaintext client address on the bootstrap lines is loopback, where it is bound', () => {
    const tls = dynamic({ clientTls: ClientTls.ONLY, tlsSecretName: 'zk-certs' });
    expect(parseZooCfg(tls.file('zk-config', 'zoo.cfg')).get('clientPortAddress')).toBe('127.0.0.1');
    expect(tls.file('zk-config', 'zoo.cfg.dynamic.bootstrap')).toMatch(/^server\.1=zk-0\.zk-headless\.zk\.svc\.cluster\.local:2888:3888:participant;127\.0\.0\.1:2181$/m);
  });

  test('one voter may have quorum TLS and quorum SASL: it runs a quorum that others join (one static server may not)', () => {
    const one = dynamic({ replicas: 1, quorumTls: true, tlsSecretName: 'zk-certs', quorumSasl: true, saslSecretName: 'zk-sasl' });
    const cfg = parseZooCfg(one.file('zk-config', 'zoo.cfg'));
    expect(cfg.get('sslQuorum')).toBe('true');
    expect(cfg.get('quorum.auth.enableSasl')).toBe('true');
    expect(issueLines({ replicas: 1, quorumTls: true, tlsSecretName: 'zk-certs' })).toContainEqual(expect.stringMatching(/^quorumTls: needs more than one member/));
    expect(issueLines({ replicas: 1, quorumSasl: true, saslSecretName: 'zk-sasl' })).toContainEqual(expect.stringMatching(/^quorumSasl: needs more than one member/));
  });

  test('the Certificate names every pod of the peer Service by one wildcard, not each member, so that it does not follow replicas', () => {
    const names = (props: ZooKeeperEnsembleProps) => dynamic({ quorumTls: true, clientTls: ClientTls.ONLY, tlsIssuer: { name: 'ca' }, ...props })
      .one('Certificate', 'zk-tls').spec.dnsNames as string[];
    const three = names({ replicas: 3 });
    expect(three).toContain('*.zk-headless.zk.svc.cluster.local');
    expect(three.filter((n) => /^zk-\d/.test(n))).toEqual([]);
    // Every member's peer name, at any replicas, is one label under the wildcard (which matches one label).
    const wildcard = /^\*\.(.+)$/.exec(three.find((n) => n.startsWith('*.zk-headless'))!)![1];
    const peerDomain = envOf(dynamic({ replicas: 3 }).mainContainer).ZK_PEER_DOMAIN;
    expect(wildcard).toBe(peerDomain);
    expect(names({ replicas: 7, bootstrapVoters: 3 })).toEqual(three);
    // Static membership keeps naming each member (a static ensemble's members change only by a roll).
    const staticNames = synthEnsemble({ name: 'zk', replicas: 3, quorumTls: true, tlsIssuer: { name: 'ca' } }).one('Certificate', 'zk-tls').spec.dnsNames;
    expect(staticNames).toEqual(expect.arrayContaining([0, 1, 2].map((i) => `zk-${i}.zk-headless.zk.svc.cluster.local`)));
    expect(staticNames).not.toContain('*.zk-headless.zk.svc.cluster.local');
  });

  test('the keys dynamic membership manages are refused in additionalConfig, naming membership', () => {
    for (const key of ['reconfigEnabled', 'dynamicConfigFile']) expect(ZOO_CFG_KEY_OWNERS[key]).toMatch(/^membership/);
    expect(issueLines({ membership: 'dynamic', additionalConfig: { reconfigEnabled: 'false' } }).join('\n')).toMatch(/additionalConfig.*reconfigEnabled.*membership/);
  });
});

describe('the members\' pod with membership dynamic', () => {
  const synth = dynamic();
  const env = envOf(synth.mainContainer);

  test('the main container carries the contract\'s variables, namespace and pod name from the downward API', () => {
    expect(env).toMatchObject({
      ZK_MEMBERSHIP: 'dynamic',
      ZK_STATEFULSET: 'zk',
      ZK_NAMESPACE: { fieldRef: { fieldPath: 'metadata.namespace' } },
      ZK_POD_NAME: { fieldRef: { fieldPath: 'metadata.name' } },
      ZK_PEER_DOMAIN: 'zk-headless.zk.svc.cluster.local',
      ZK_CLIENT_SERVICE: 'zk.zk.svc.cluster.local',
      ZK_QUORUM_PORT: '2888',
      ZK_ELECTION_PORT: '3888',
      ZK_CLIENT_PORT: '2181',
      ZK_FIRST_MYID: envOf(synth.initContainer).ZK_FIRST_MYID,
      ZK_BOOTSTRAP_CFG: '/config/zookeeper/zoo.cfg.dynamic.bootstrap',
      ZK_BOOTSTRAP_VOTERS: '3',
    });
  });

  test('the pod mounts its token, and its ServiceAccount may get its own StatefulSet and nothing else', () => {
    expect(synth.podSpec.automountServiceAccountToken).toBe(true);
    const role = synth.one('Role', 'zk-membership');
    expect(role.rules).toEqual([{ apiGroups: ['apps'], resources: ['statefulsets'], resourceNames: [env.ZK_STATEFULSET], verbs: ['get'] }]);
    const binding = synth.one('RoleBinding', 'zk-membership');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'zk-membership' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: synth.podSpec.serviceAccountName, namespace: 'zk' }]);
  });

  test('supervisord runs membership-watch.sh as a helper program the watchdog ignores, and ships the script', () => {
    const conf = parseIni(mountedFile(synth, '/config/supervisord/supervisord.conf'));
    const program = conf['program:membership'];
    expect(program).toMatchObject({ autorestart: 'true', startretries: '1000' });
    expect(scriptRunBy(synth, program.command.split(' '))).toBe(require('fs').readFileSync(path.join(__dirname, '..', 'lib', 'scripts', 'membership-watch.sh'), 'utf8'));
    expect(conf['eventlistener:watchdog'].environment).toBe('WATCHED_PROGRAM="zookeeper"');
  });

  test('the scripts ConfigMap ships the membership scripts as they are in lib/scripts, and a static ensemble\'s does not', () => {
    const files = ['dynamic-config.sh', 'membership-watch.sh', 'leave-ensemble.sh', 'membership-common.sh', 'membership-state.py'];
    const shipped = synth.one('ConfigMap', 'zk-scripts').data;
    for (const file of files) expect(shipped[file]).toBe(require('fs').readFileSync(path.join(__dirname, '..', 'lib', 'scripts', file), 'utf8'));
    const staticScripts = Object.keys(synthEnsemble({ name: 'zk' }).one('ConfigMap', 'zk-scripts').data);
    expect(staticScripts.filter((file) => files.includes(file))).toEqual([]);
  });

  test('preStop runs leave-ensemble.sh, with at least 30 s of the grace period before supervisord\'s stop budget', () => {
    const command = synth.mainContainer.lifecycle.preStop.exec.command;
    expect(scriptRunBy(synth, command)).toMatch(/\S/);
    expect(command[1]).toBe('/scripts/leave-ensemble.sh');
    const stopWaitSecs = Number(parseIni(mountedFile(synth, '/config/supervisord/supervisord.conf'))['program:zookeeper'].stopwaitsecs);
    expect(synth.podSpec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(30 + stopWaitSecs);
    // The hook's own deadline ends inside its 30 s.
    expect(Number(env.ZK_LEAVE_SECONDS)).toBeLessThan(30);
  });
});

describe('the NetworkPolicy with membership dynamic', () => {
  const synth = dynamic({ clientPodLabels: { 'zookeeper.example.com/client': 'true' } });
  const policies = synth.all('NetworkPolicy');
  const member = (ordinal: number): PodEndpoint => ({
    namespace: 'zk', labels: { ...synth.statefulSet.spec.template.metadata.labels, 'apps.kubernetes.io/pod-index': String(ordinal) },
    containerPorts: synth.mainContainer.ports,
  });

  test('a member reaches another\'s client port (to read the membership), even when clientPodLabels would not admit it', () => {
    expect(isAllowed(policies, { from: member(3), to: member(0), port: 2181 })).toBe(true);
    expect(isAllowed(synthEnsemble({ name: 'zk', clientPodLabels: { 'zookeeper.example.com/client': 'true' } }).all('NetworkPolicy'),
      { from: member(3), to: member(0), port: 2181 })).toBe(false);
  });

  test('a member reaches the API server on 443 and 6443, and nothing else outside', () => {
    for (const port of [443, 6443]) expect(isAllowed(policies, { from: member(0), to: { ip: '10.96.0.1' }, port })).toBe(true);
    expect(isAllowed(policies, { from: member(0), to: { ip: '10.96.0.1' }, port: 80 })).toBe(false);
  });
});

describe('a change of replicas reaches no pod', () => {
  const key = (o: KubeObject) => `${o.kind} ${o.metadata.name}`;
  /** The objects that differ between two syntheses, by kind and name. */
  function differing(a: Synthesized, b: Synthesized): string[] {
    const other = new Map(b.objects.map((o) => [key(o), JSON.stringify(o)]));
    return a.objects.filter((o) => other.get(key(o)) !== JSON.stringify(o)).map(key).sort();
  }

  test.each([[3, 5], [5, 3], [1, 3]])('%i -> %i voters (bootstrapVoters fixed): the pod template, its checksum and every ConfigMap stay as they were', (from, to) => {
    const [before, after] = [from, to].map((replicas) => dynamic({ replicas, bootstrapVoters: from, allowEvenReplicas: true }));
    expect(after.statefulSet.spec.replicas).toBe(to);
    expect(after.statefulSet.spec.template).toEqual(before.statefulSet.spec.template);
    const mounted = (s: Synthesized) => s.podSpec.volumes.filter((v: any) => v.configMap).map((v: any) => s.one('ConfigMap', v.configMap.name));
    expect(mounted(after)).toEqual(mounted(before));
    expect(mounted(before).map((c: KubeObject) => c.metadata.name)).toEqual(expect.arrayContaining(['zk-config', 'zk-scripts', 'zk-supervisord']));
    // Besides replicas, a single voter's default roll strategy differs (it has no follower to roll
    // first): the update strategy, which replaces no pod by itself changing.
    const { replicas: _a, updateStrategy: _c, ...restBefore } = before.statefulSet.spec;
    const { replicas: _b, updateStrategy: _d, ...restAfter } = after.statefulSet.spec;
    expect(restAfter).toEqual(restBefore);
    if (from !== 1) expect(after.statefulSet.spec.updateStrategy).toEqual(before.statefulSet.spec.updateStrategy);
    // Only what counts the voters: the StatefulSet's replicas, the budget, alert thresholds and the
    // dashboard, the post-deploy check, the roll Job and its Role (which name the voters' pods).
    const allowed = ['StatefulSet zk', 'PodDisruptionBudget zk', 'PrometheusRule zk', 'ConfigMap zk-dashboard', 'Job zk-post-deploy-check',
      'Role zk-roll', 'ServiceAccount zk-roll', 'RoleBinding zk-roll', 'ConfigMap zk-roll',
      // The roller's ingress rule, which comes with the leader-last roll of more than one voter.
      ...(from === 1 ? ['NetworkPolicy zk'] : [])];
    const changed = differing(before, after).filter((k) => !k.startsWith('Job zk-roll-'));
    expect(changed.filter((k) => !allowed.includes(k))).toEqual([]);
  });

  // The most locked-down the library allows: quorum TLS, TLS-only clients, quorum and client SASL.
  const SECURE = {
    quorumTls: true, clientTls: ClientTls.ONLY, tlsIssuer: { name: 'ca' }, quorumSasl: true, clientSasl: true,
    saslSecretName: 'zk-sasl', saslClientUsers: { app: 'app-password' },
  } as const;

  test.each([[1, 3], [3, 1], [3, 5]])('with quorum TLS, TLS-only clients and SASL, %i -> %i voters changes no pod, no ConfigMap and no Certificate', (from, to) => {
    const [before, after] = [from, to].map((replicas) => dynamic({ ...SECURE, replicas, bootstrapVoters: from, allowEvenReplicas: true }));
    expect(after.statefulSet.spec.replicas).toBe(to);
    expect(after.statefulSet.spec.template).toEqual(before.statefulSet.spec.template);
    const allowed = ['StatefulSet zk', 'PodDisruptionBudget zk', 'PrometheusRule zk', 'ConfigMap zk-dashboard', 'Job zk-post-deploy-check',
      'Role zk-roll', 'ServiceAccount zk-roll', 'RoleBinding zk-roll', 'ConfigMap zk-roll', 'NetworkPolicy zk'];
    const changed = differing(before, after).filter((k) => !k.startsWith('Job zk-roll-'));
    expect(changed.filter((k) => !allowed.includes(k))).toEqual([]);
    // The NetworkPolicy may change only by the roller's rule, which comes with more than one voter.
    if (from > 1 && to > 1) expect(changed).not.toContain('NetworkPolicy zk');
    expect(after.one('Certificate', 'zk-tls')).toEqual(before.one('Certificate', 'zk-tls'));
  });

  test('the same change under static membership does roll the pods (the test above is not vacuous)', () => {
    const [before, after] = [3, 5].map((replicas) => synthEnsemble({ name: 'zk', replicas }));
    expect(after.statefulSet.spec.template).not.toEqual(before.statefulSet.spec.template);
  });
});

describe('membership settings that are refused', () => {
  test.each([
    [{ membership: 'Dynamic' }, /^membership: must be one of 'static', 'dynamic' \(got "Dynamic"\)/],
    [{ membership: 'dynamic', bootstrapVoters: 0 }, /^bootstrapVoters: must be a whole number from 1 to 255/],
    [{ bootstrapVoters: 3 }, /^bootstrapVoters: has no effect with membership 'static'/],
    [{ membership: 'dynamic', mode: 'cluster', replicas: 225, observers: 2 }, /^replicas: must stay below 224 with membership 'dynamic' in mode cluster, where the observers' server ids start at 224/],
    [{ membership: 'dynamic', clientSasl: true, saslSecretName: 'zk-sasl', saslClientUsers: { app: 'client-app' }, saslSuperDigestKey: 'super-digest' },
      /^saslSuperDigestKey: cannot be used with membership 'dynamic', under which each member makes its own super password/],
  ])('%j', (props, message) => {
    expect(issueLines(props)).toContainEqual(expect.stringMatching(message));
  });
});

describe('observers with membership dynamic (mode cluster)', () => {
  const withObservers = (observers: number, replicas = 5) => dynamic({ mode: DeploymentMode.CLUSTER, replicas, bootstrapVoters: 5, observers });
  const statefulSets = (synth: Synthesized) => Object.fromEntries(synth.all('StatefulSet').map((o) => [o.metadata.name, o]));
  const observerPod = (synth: Synthesized) => statefulSets(synth)['zk-observer'].spec.template.spec;
  const observerMain = (synth: Synthesized) => observerPod(synth).containers.find((c: any) => c.name === 'zookeeper');
  const two = withObservers(2);
  const voterPod = statefulSets(two).zk.spec.template.spec;
  const voterMain = voterPod.containers.find((c: any) => c.name === 'zookeeper');

  test.each([[0, 2], [2, 0], [0, 1], [2, 7]])('observers %i -> %i: both pod templates and every ConfigMap stay as they were; only the replicas of the observers\' StatefulSet change', (from, to) => {
    const [before, after] = [from, to].map((observers) => withObservers(observers));
    const [a, b] = [statefulSets(before), statefulSets(after)];
    expect(Object.keys(a)).toEqual(['zk', 'zk-observer']);
    expect(Object.keys(b)).toEqual(Object.keys(a));
    for (const name of ['zk', 'zk-observer']) {
      expect(b[name].spec.template).toEqual(a[name].spec.template);
      const { replicas: _a, ...restBefore } = a[name].spec;
      const { replicas: _b, ...restAfter } = b[name].spec;
      expect(restAfter).toEqual(restBefore);
    }
    expect([a['zk-observer'].spec.replicas, b['zk-observer'].spec.replicas]).toEqual([from, to]);
    expect(before.all('ConfigMap').filter((c) => c.metadata.name !== 'zk-dashboard')).toEqual(after.all('ConfigMap').filter((c) => c.metadata.name !== 'zk-dashboard'));
    // Services and the NetworkPolicy select every member whether or not observers run.
    for (const kind of ['Service', 'NetworkPolicy', 'Role', 'RoleBinding']) expect(after.all(kind).filter((o) => !/roll/.test(o.metadata.name))).toEqual(before.all(kind).filter((o) => !/roll/.test(o.metadata.name)));
  });

  test('a change of replicas rolls no observer either: the observers\' ids do not follow the voters\'', () => {
    const [five, seven] = [5, 7].map((replicas) => withObservers(2, replicas));
    expect(statefulSets(seven)['zk-observer'].spec.template).toEqual(statefulSets(five)['zk-observer'].spec.template);
    expect(statefulSets(seven).zk.spec.template).toEqual(statefulSets(five).zk.spec.template);
  });

  test('the observers\' ids start at 224, above any voter\'s (replicas stays below 224), in the init and the main container', () => {
    const env = envOf(observerMain(two));
    expect(env.ZK_FIRST_MYID).toBe('224');
    expect(envOf(observerPod(two).initContainers[0]).ZK_FIRST_MYID).toBe('224');
    expect(envOf(voterMain).ZK_FIRST_MYID).toBe('1');
    expect(statefulSets(withObservers(2, 223)).zk.spec.replicas).toBe(223);
    // The static list keeps its ids (after the voters): a static ensemble's output does not change.
    const staticObservers = synthEnsemble({ name: 'zk', mode: DeploymentMode.CLUSTER, replicas: 5, observers: 2 });
    expect(envOf(statefulSets(staticObservers)['zk-observer'].spec.template.spec.initContainers[0]).ZK_FIRST_MYID).toBe('6');
  });

  test('an observer\'s pod has what a voter\'s has in dynamic mode, its own StatefulSet, and knows it observes from its zoo.cfg', () => {
    const env = envOf(observerMain(two));
    const voterEnv = envOf(voterMain);
    expect(env).toMatchObject({ ...voterEnv, ZK_STATEFULSET: 'zk-observer', ZK_FIRST_MYID: '224', ZK_ZOO_CFG: '/config/zookeeper/zoo-observer.cfg' });
    // Every member knows the observers' StatefulSet: the leader removes observers gone without their preStop.
    expect([voterEnv.ZK_OBSERVER_STATEFULSET, voterEnv.ZK_OBSERVER_FIRST_MYID]).toEqual(['zk-observer', '224']);
    const cfg = parseZooCfg(two.file('zk-config', 'zoo-observer.cfg'));
    expect(cfg.get('peerType')).toBe('observer');
    expect([...cfg.keys()].filter((k) => k.startsWith('server.'))).toEqual([]);
    expect(observerPod(two).automountServiceAccountToken).toBe(true);
    expect(observerMain(two).lifecycle).toEqual(voterMain.lifecycle);
    expect(observerPod(two).terminationGracePeriodSeconds).toBe(voterPod.terminationGracePeriodSeconds);
    // The same supervisord ConfigMap (with the membership program) is mounted in both pods.
    const supervisord = (spec: any) => spec.volumes.find((v: any) => v.name === 'supervisord').configMap.name;
    expect(supervisord(observerPod(two))).toBe(supervisord(voterPod));
  });

  test('the bootstrap list holds the voters only', () => {
    expect(two.file('zk-config', 'zoo.cfg.dynamic.bootstrap').trim().split('\n')).toEqual([0, 1, 2, 3, 4].map((i) => `server.${i + 1}=zk-${i}.zk-headless.zk.svc.cluster.local:2888:3888:participant;2181`));
  });

  test('the Role allows get on both StatefulSets by name, and nothing else', () => {
    expect(two.one('Role', 'zk-membership').rules).toEqual([{ apiGroups: ['apps'], resources: ['statefulsets'], resourceNames: ['zk', 'zk-observer'], verbs: ['get'] }]);
  });

  test('an observer reaches a voter\'s client port (the membership), quorum and election ports, and the API server', () => {
    const policies = dynamic({ mode: DeploymentMode.CLUSTER, replicas: 5, bootstrapVoters: 5, observers: 2, clientPodLabels: { 'zookeeper.example.com/client': 'true' } }).all('NetworkPolicy');
    const pod = (sts: KubeObject): PodEndpoint => ({ namespace: 'zk', labels: sts.spec.template.metadata.labels, containerPorts: sts.spec.template.spec.containers[0].ports });
    const [voter, observer] = [pod(statefulSets(two).zk), pod(statefulSets(two)['zk-observer'])];
    for (const port of [2181, 2888, 3888]) expect(isAllowed(policies, { from: observer, to: voter, port })).toBe(true);
    expect(isAllowed(policies, { from: voter, to: observer, port: 2181 })).toBe(true);
    for (const port of [443, 6443]) expect(isAllowed(policies, { from: observer, to: { ip: '10.96.0.1' }, port })).toBe(true);
  });
});
