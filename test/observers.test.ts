import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DeploymentMode, PrometheusMonitor, ZooKeeperEnsembleProps } from '../lib';
import { selects } from './support/k8s-schema/rules';
import { KubeObject, parseZooCfg, Synthesized, synthEnsemble } from './support/synth';
import { requireTool, runBounded } from './support/tools';

/** A cluster of 5 voters and 2 observers named zk, in namespace zk. */
function cluster(props: ZooKeeperEnsembleProps = {}) {
  return synthEnsemble({ name: 'zk', mode: DeploymentMode.CLUSTER, observers: 2, ...props });
}

const podTemplateOf = (sts: KubeObject) => sts.spec.template;
const envOf = (container: any): Record<string, string> => Object.fromEntries(container.env.map((e: any) => [e.name, e.value]));
const mainOf = (sts: KubeObject) => podTemplateOf(sts).spec.containers.find((c: any) => c.name === 'zookeeper');

/** The zoo.cfg a StatefulSet's members run with: the ConfigMap key its ZK_ZOO_CFG names. */
function zooCfgOf(synth: Synthesized, sts: KubeObject): Map<string, string> {
  return parseZooCfg(synth.file('zk-config', path.basename(envOf(mainOf(sts)).ZK_ZOO_CFG)));
}

const serverLines = (cfg: Map<string, string>) => [...cfg].filter(([key]) => key.startsWith('server.'));

describe('observers in zoo.cfg', () => {
  const synth = cluster();
  const voters = synth.one('StatefulSet', 'zk');
  const observers = synth.one('StatefulSet', 'zk-observer');

  test('a cluster of 5 voters and 2 observers lists the observers after the voters, marked :observer', () => {
    const host = (pod: string) => `${pod}.zk-headless.zk.svc.cluster.local:2888:3888`;
    expect(serverLines(zooCfgOf(synth, voters))).toEqual([
      ...[0, 1, 2, 3, 4].map((i) => [`server.${i + 1}`, host(`zk-${i}`)]),
      ['server.6', `${host('zk-observer-0')}:observer`],
      ['server.7', `${host('zk-observer-1')}:observer`],
    ]);
  });

  test('every member, voter or observer, runs with the same server list', () => {
    expect(serverLines(zooCfgOf(synth, observers))).toEqual(serverLines(zooCfgOf(synth, voters)));
    expect(serverLines(zooCfgOf(synth, voters))).toHaveLength(7);
  });

  test('only the observers say peerType=observer; every other entry is the same for both', () => {
    const voterCfg = zooCfgOf(synth, voters);
    const observerCfg = zooCfgOf(synth, observers);
    expect(observerCfg.get('peerType')).toBe('observer');
    expect(voterCfg.has('peerType')).toBe(false);
    observerCfg.delete('peerType');
    expect(observerCfg).toEqual(voterCfg);
  });

  test('observers take the ids after the voters, and the model says so', () => {
    const { model } = synth.ensemble;
    expect(model.members.map((m) => [m.podName, m.myid, m.role])).toEqual([0, 1, 2, 3, 4].map((i) => [`zk-${i}`, i + 1, 'voter']));
    expect(model.observers.map((m) => [m.podName, m.myid, m.role])).toEqual([['zk-observer-0', 6, 'observer'], ['zk-observer-1', 7, 'observer']]);
    expect(model.quorumSize).toBe(3);
  });

  test('an ensemble without observers has exactly the server list and zoo.cfg it had before observers existed', () => {
    const plain = synthEnsemble({ name: 'zk', replicas: 5 });
    expect(plain.all('StatefulSet').map((s) => s.metadata.name)).toEqual(['zk']);
    expect(Object.keys(plain.one('ConfigMap', 'zk-config').data).sort()).toEqual(['java.security', 'jvm.options', 'zoo.cfg']);
    expect([...zooCfgOf(plain, plain.statefulSet).values()].some((v) => v.endsWith(':observer'))).toBe(false);
  });
});

describe('an observer\'s init container', () => {
  let tmp: string;
  beforeEach(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-observer-init-')); });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test.each([0, 1])('writes, for observer pod %i, the myid of the server line that names its own pod', async (ordinal) => {
    // GIVEN the observers' StatefulSet and the server list every member runs with
    const synth = cluster();
    const sts = synth.one('StatefulSet', 'zk-observer');
    const podName = `${sts.metadata.name}-${ordinal}`;
    const fqdn = `${podName}.${sts.spec.serviceName}.zk.svc.cluster.local`;
    const [serverKey] = serverLines(zooCfgOf(synth, sts)).find(([, value]) => value.startsWith(`${fqdn}:`))!;

    // WHEN its init container runs with the environment the pod spec gives it
    const init = podTemplateOf(sts).spec.initContainers[0];
    const env = { ...envOf(init), POD_NAME: podName, ZK_DATA_DIR: path.join(tmp, 'data'), ZK_TXNLOG_DIR: path.join(tmp, 'data') };
    const result = await runBounded(requireTool('bash'), [path.join(__dirname, '..', 'lib', 'scripts', 'init-data.sh')], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, timeoutMs: 10_000,
    });

    // THEN myid is the id of that line, so ZooKeeper finds itself in the list as an observer
    expect(result.code).toBe(0);
    expect(`server.${fs.readFileSync(path.join(tmp, 'data', 'myid'), 'utf8').trim()}`).toBe(serverKey);
  });
});

describe('the observers\' StatefulSet', () => {
  const synth = cluster({ txnLogStorageGiB: 5 });
  const voters = synth.one('StatefulSet', 'zk');
  const observers = synth.one('StatefulSet', 'zk-observer');

  test('runs the voters\' pod with its own labels, ids, zoo.cfg and scheduling selectors, and nothing else different', () => {
    // GIVEN the voters' pod template with exactly the differences an observer needs
    const expected = structuredClone(podTemplateOf(voters));
    const component = { 'app.kubernetes.io/component': 'observer' };
    Object.assign(expected.metadata.labels, component);
    expected.spec.initContainers[0].env.find((e: any) => e.name === 'ZK_FIRST_MYID').value = '6';
    expected.spec.containers[0].env.find((e: any) => e.name === 'ZK_ZOO_CFG').value = '/config/zookeeper/zoo-observer.cfg';
    Object.assign(expected.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchLabels, component);
    Object.assign(expected.spec.topologySpreadConstraints[0].labelSelector.matchLabels, component);
    // The digest of the template differs with it.
    expected.metadata.annotations['cdk8s-zookeeper/template-hash'] = podTemplateOf(observers).metadata.annotations['cdk8s-zookeeper/template-hash'];

    // THEN the observers' pod template is that, image, command, probes, volumes and checksum included
    expect(podTemplateOf(observers)).toEqual(expected);
  });

  test('has its own claims, named after its pods, on the same peer Service', () => {
    expect(observers.spec).toMatchObject({ replicas: 2, serviceName: 'zk-headless', podManagementPolicy: 'Parallel' });
    expect(observers.spec.volumeClaimTemplates.map((t: any) => [t.metadata.name, t.spec.resources.requests.storage])).toEqual([['data', '20Gi'], ['txnlog', '5Gi']]);
    for (const t of observers.spec.volumeClaimTemplates) expect(t.metadata.labels).toEqual(observers.spec.selector.matchLabels);
  });
});

describe('selectors with observers', () => {
  const synth = cluster({ prometheusMonitor: PrometheusMonitor.POD_MONITOR });
  const voterPod = podTemplateOf(synth.one('StatefulSet', 'zk')).metadata.labels;
  const observerPod = podTemplateOf(synth.one('StatefulSet', 'zk-observer')).metadata.labels;
  const service = (name: string) => ({ matchLabels: synth.one('Service', name).spec.selector });

  test.each(['zk', 'zk-headless', 'zk-metrics'])('Service %s selects voters and observers', (name) => {
    expect([selects(service(name), voterPod), selects(service(name), observerPod)]).toEqual([true, true]);
  });

  test('the PodMonitor scrapes voters and observers', () => {
    const { selector } = synth.one('PodMonitor').spec;
    expect([selects(selector, voterPod), selects(selector, observerPod)]).toEqual([true, true]);
  });

  test('the ServiceMonitor still selects the metrics Service, and no other', () => {
    const withServiceMonitor = cluster();
    const { selector } = withServiceMonitor.one('ServiceMonitor').spec;
    expect(withServiceMonitor.all('Service').filter((s) => selects(selector, s.metadata.labels)).map((s) => s.metadata.name)).toEqual(['zk-metrics']);
  });

  test.each([
    ['zk', true, false],
    ['zk-observer', false, true],
  ])('the StatefulSet %s, its budget, anti-affinity and zone spread select its own pods and no other', (name, voter, observer) => {
    const sts = synth.one('StatefulSet', name);
    const spec = podTemplateOf(sts).spec;
    const selectors = [
      sts.spec.selector,
      synth.one('PodDisruptionBudget', name).spec.selector,
      spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector,
      spec.topologySpreadConstraints[0].labelSelector,
    ];
    for (const selector of selectors) expect([selects(selector, voterPod), selects(selector, observerPod)]).toEqual([voter, observer]);
  });

  test('the voters\' StatefulSet selector is the one every ensemble had before observers existed (it is immutable)', () => {
    expect(synth.one('StatefulSet', 'zk').spec.selector).toEqual(synthEnsemble({ name: 'zk' }).statefulSet.spec.selector);
  });

  test('voters and observers say which they are in app.kubernetes.io/component', () => {
    expect([voterPod['app.kubernetes.io/component'], observerPod['app.kubernetes.io/component']]).toEqual(['server', 'observer']);
  });
});

describe('disruption budgets with observers', () => {
  test.each([[5, 3], [7, 4]])('%i voters keep %i available, whatever the observers: they do not count towards the quorum', (replicas, minAvailable) => {
    const synth = cluster({ replicas, observers: 3 });
    const voters = synth.one('PodDisruptionBudget', 'zk');
    expect(voters.spec.minAvailable).toBe(minAvailable);
    expect(voters.spec.unhealthyPodEvictionPolicy).toBe('IfHealthyBudget');
  });

  test('observers go one at a time, and one that is not Ready may always be evicted', () => {
    const budget = cluster().one('PodDisruptionBudget', 'zk-observer');
    expect(budget.spec).toMatchObject({ maxUnavailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow' });
    expect(budget.spec.minAvailable).toBeUndefined();
    expect(budget.metadata.labels['app.kubernetes.io/component']).toBe('observer');
  });

  test('podDisruptionBudget: false leaves out both budgets', () => {
    expect(cluster({ podDisruptionBudget: false }).all('PodDisruptionBudget')).toEqual([]);
  });
});
