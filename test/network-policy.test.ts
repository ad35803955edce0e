/**
 * What the NetworkPolicy lets through, decided the way a network plugin enforcing NetworkPolicy
 * would (test/support/network-policy.ts) on the synthesized objects: the members talk to each
 * other, to clients and scrapers where the settings allow them, and to DNS; nothing else.
 */
import { ClientAccess, ClientTls, DeploymentMode, ZooKeeperEnsembleProps } from '../lib';
import { AddressEndpoint, Connection, Endpoint, isAllowed, NetworkPolicyObject, PodEndpoint } from './support/network-policy';
import { KubeObject, synthEnsemble } from './support/synth';

/** Pod `ordinal` of a StatefulSet, with the labels the controller adds to each pod. */
function memberPod(sts: KubeObject, ordinal = 0): PodEndpoint {
  const template = sts.spec.template;
  return {
    namespace: sts.metadata.namespace!,
    labels: { ...template.metadata.labels, 'statefulset.kubernetes.io/pod-name': `${sts.metadata.name}-${ordinal}`, 'apps.kubernetes.io/pod-index': String(ordinal) },
    containerPorts: template.spec.containers.flatMap((c: any) => c.ports ?? []),
  };
}

const pod = (namespace: string, labels: Record<string, string> = {}, namespaceLabels: Record<string, string> = {}): PodEndpoint => ({ namespace, labels, namespaceLabels });
const address = (ip: string): AddressEndpoint => ({ ip });

// Everyone the tests send traffic from or to. The ensembles run in namespace zk.
const CLIENT_HERE = pod('zk', { app: 'solr' });
const CLIENT_IN_KAFKA = pod('kafka', { app: 'kafka' });
const PROMETHEUS = pod('monitoring', { 'app.kubernetes.io/name': 'prometheus' });
const GRAFANA = pod('monitoring', { 'app.kubernetes.io/name': 'grafana' });
const KUBE_DNS = pod('kube-system', { 'k8s-app': 'kube-dns' });
const METRICS_SERVER = pod('kube-system', { 'k8s-app': 'metrics-server' });
const NODE = address('10.0.0.5');
const INTERNET = address('93.184.216.34');
const PUBLIC_RESOLVER = address('8.8.8.8');
const API_SERVER = address('10.96.0.1');

const PORTS = { client: 2181, quorum: 2888, election: 3888, metrics: 7000, admin: 8080, dns: 53 };

/** The ensemble's objects, its member pods and a `reaches` that evaluates its policies. */
function ensemble(props: ZooKeeperEnsembleProps = {}) {
  const synth = synthEnsemble({ name: 'zk', ...props });
  const policies = synth.all('NetworkPolicy');
  const sts = synth.one('StatefulSet', 'zk');
  const reaches = (from: Endpoint, to: Endpoint, port: number, protocol: Connection['protocol'] = 'TCP') => isAllowed(policies, { from, to, port, protocol });
  return { synth, policies, member: (ordinal: number) => memberPod(sts, ordinal), reaches };
}

describe('the evaluator follows NetworkPolicy semantics (it is not vacuous)', () => {
  const target = pod('ns', { app: 'db' });
  const policy = (spec: any): NetworkPolicyObject => ({ kind: 'NetworkPolicy', metadata: { name: 'p', namespace: 'ns' }, spec: { podSelector: { matchLabels: { app: 'db' } }, ...spec } });

  test('without a policy selecting a pod, everything reaches it and it reaches everything', () => {
    expect(isAllowed([], { from: INTERNET, to: target, port: 1 })).toBe(true);
    expect(isAllowed([policy({ podSelector: { matchLabels: { app: 'other' } } })], { from: target, to: INTERNET, port: 1 })).toBe(true);
  });

  test('a policy that selects a pod and allows nothing isolates it, in the directions its policyTypes name', () => {
    const denyIngress = policy({ policyTypes: ['Ingress'] });
    expect(isAllowed([denyIngress], { from: CLIENT_HERE, to: target, port: 1 })).toBe(false);
    expect(isAllowed([denyIngress], { from: target, to: INTERNET, port: 1 })).toBe(true);
    expect(isAllowed([policy({ egress: [] })], { from: target, to: INTERNET, port: 1 })).toBe(false);
  });

  test('a podSelector alone means the policy\'s namespace; with a namespaceSelector both must match; peers are alternatives', () => {
    const [same, otherNs] = [pod('ns', { role: 'c' }), pod('other', { role: 'c' }, { team: 'x' })];
    const ownNamespace = policy({ ingress: [{ from: [{ podSelector: { matchLabels: { role: 'c' } } }] }] });
    expect([same, otherNs].map((from) => isAllowed([ownNamespace], { from, to: target, port: 1 }))).toEqual([true, false]);
    const both = policy({ ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'x' } }, podSelector: { matchLabels: { role: 'other' } } }] }] });
    expect(isAllowed([both], { from: otherNs, to: target, port: 1 })).toBe(false);
    const either = policy({ ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'x' } } }, { podSelector: { matchLabels: { role: 'other' } } }] }] });
    expect(isAllowed([either], { from: otherNs, to: target, port: 1 })).toBe(true);
    const everyNamespace = policy({ ingress: [{ from: [{ namespaceSelector: {} }] }] });
    expect([otherNs, NODE].map((from) => isAllowed([everyNamespace], { from, to: target, port: 1 }))).toEqual([true, false]);
  });

  test('ports match by number, range, name (on the destination pod) and protocol, TCP by default', () => {
    const named = { ...target, containerPorts: [{ name: 'sql', containerPort: 5432 }] };
    const p = policy({ ingress: [{ ports: [{ port: 'sql' }, { port: 7000, endPort: 7010 }, { port: 53, protocol: 'UDP' }] }] });
    const at = (port: number, protocol: Connection['protocol'] = 'TCP') => isAllowed([p], { from: CLIENT_HERE, to: named, port, protocol });
    expect([at(5432), at(5433), at(7005), at(7011), at(53, 'UDP'), at(53)]).toEqual([true, false, true, false, true, false]);
  });

  test('an ipBlock matches addresses inside it and outside its exceptions, never a pod by its labels', () => {
    const p = policy({ egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.96.0.0/12'] } }] }] });
    const to = (dest: Endpoint) => isAllowed([p], { from: target, to: dest, port: 1 });
    expect([to(NODE), to(API_SERVER), to(INTERNET), to(CLIENT_HERE)]).toEqual([true, false, false, false]);
  });

  test('a connection needs the sender\'s egress and the receiver\'s ingress', () => {
    const sender = pod('ns', { app: 'client' });
    const egressOnlyToDns = { kind: 'NetworkPolicy', metadata: { name: 'c', namespace: 'ns' }, spec: { podSelector: { matchLabels: { app: 'client' } }, policyTypes: ['Egress'], egress: [{ ports: [{ port: 53 }] }] } };
    expect(isAllowed([egressOnlyToDns], { from: sender, to: target, port: 5432 })).toBe(false);
    expect(isAllowed([egressOnlyToDns, policy({ ingress: [{}] })], { from: sender, to: target, port: 53 })).toBe(true);
  });
});

describe('the default NetworkPolicy', () => {
  const { synth, member, reaches } = ensemble();

  test('is one policy over every member, isolating both directions', () => {
    const [policy] = synth.all('NetworkPolicy');
    expect(synth.all('NetworkPolicy')).toHaveLength(1);
    expect(policy.metadata.name).toBe('zk');
    expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
  });

  test.each([
    ['quorum', PORTS.quorum],
    ['election', PORTS.election],
  ])('a member reaches another member\'s %s port', (_name, port) => {
    expect(reaches(member(0), member(1), port)).toBe(true);
    expect(reaches(member(2), member(0), port)).toBe(true);
  });

  test('a pod of the ensemble\'s namespace reaches the client port; pods elsewhere, nodes and outside addresses do not', () => {
    expect(reaches(CLIENT_HERE, member(0), PORTS.client)).toBe(true);
    expect([CLIENT_IN_KAFKA, PROMETHEUS, NODE, INTERNET].map((from) => reaches(from, member(0), PORTS.client))).toEqual([false, false, false, false]);
  });

  test('clients reach neither the quorum nor the election port', () => {
    expect([PORTS.quorum, PORTS.election].map((port) => reaches(CLIENT_HERE, member(0), port))).toEqual([false, false]);
  });

  test('Prometheus in namespace monitoring reaches the metrics port; other namespaces, the ensemble\'s own included, do not', () => {
    expect([PROMETHEUS, GRAFANA].map((from) => reaches(from, member(0), PORTS.metrics))).toEqual([true, true]);
    expect([CLIENT_HERE, CLIENT_IN_KAFKA, METRICS_SERVER, NODE].map((from) => reaches(from, member(0), PORTS.metrics))).toEqual([false, false, false, false]);
  });

  test('nothing reaches the AdminServer port, not even another member', () => {
    expect([member(1), CLIENT_HERE, PROMETHEUS, KUBE_DNS, NODE, INTERNET].map((from) => reaches(from, member(0), PORTS.admin))).toEqual([false, false, false, false, false, false]);
  });

  test('members resolve names with the cluster DNS, over UDP and TCP', () => {
    expect([reaches(member(0), KUBE_DNS, PORTS.dns, 'UDP'), reaches(member(0), KUBE_DNS, PORTS.dns, 'TCP')]).toEqual([true, true]);
  });

  test('members send DNS queries to no other pod and no outside resolver', () => {
    expect([METRICS_SERVER, PUBLIC_RESOLVER, NODE].map((to) => reaches(member(0), to, PORTS.dns, 'UDP'))).toEqual([false, false, false]);
    expect(reaches(member(0), KUBE_DNS, 8080)).toBe(false);
  });

  test('members cannot reach the internet, the API server or any other pod', () => {
    expect([[INTERNET, 443], [INTERNET, 80], [API_SERVER, 443], [CLIENT_HERE, 8080], [PROMETHEUS, 9090]]
      .map(([to, port]) => reaches(member(0), to as Endpoint, port as number))).toEqual([false, false, false, false, false]);
  });

  test('members do not use each other\'s client or metrics port', () => {
    expect([PORTS.client, PORTS.metrics].map((port) => reaches(member(0), member(1), port))).toEqual([false, false]);
  });
});

describe('two ensembles in one namespace', () => {
  const a = ensemble();
  const b = synthEnsemble({ name: 'other' });
  const policies = [...a.policies, ...b.all('NetworkPolicy')];
  const memberOfB = memberPod(b.one('StatefulSet', 'other'));

  test('are not each other\'s peers: neither reaches the other\'s quorum or election port', () => {
    for (const port of [PORTS.quorum, PORTS.election]) {
      expect(isAllowed(policies, { from: memberOfB, to: a.member(0), port })).toBe(false);
      expect(isAllowed(policies, { from: a.member(0), to: memberOfB, port })).toBe(false);
    }
    expect(isAllowed(policies, { from: a.member(0), to: a.member(1), port: PORTS.quorum })).toBe(true);
  });
});

describe('observers', () => {
  const { synth, member, reaches } = ensemble({ mode: DeploymentMode.CLUSTER, observers: 2 });
  const observer = memberPod(synth.one('StatefulSet', 'zk-observer'), 1);

  test('the one policy covers voters and observers', () => {
    expect(synth.all('NetworkPolicy').map((p) => p.metadata.name)).toEqual(['zk']);
  });

  test.each([
    ['quorum', PORTS.quorum],
    ['election', PORTS.election],
  ])('voters and observers reach each other\'s %s port', (_name, port) => {
    expect([reaches(observer, member(4), port), reaches(member(4), observer, port)]).toEqual([true, true]);
  });

  test('observers take clients, are scraped and resolve names like voters', () => {
    expect([reaches(CLIENT_HERE, observer, PORTS.client), reaches(PROMETHEUS, observer, PORTS.metrics), reaches(observer, KUBE_DNS, PORTS.dns, 'UDP')]).toEqual([true, true, true]);
    expect([reaches(observer, INTERNET, 443), reaches(CLIENT_HERE, observer, PORTS.quorum)]).toEqual([false, false]);
  });
});

describe('opening the client port', () => {
  const LABELLED = { 'zookeeper.example.com/client': 'true' };

  test('clientNamespaces admits the pods of the namespaces it names, besides the ensemble\'s own', () => {
    const { member, reaches } = ensemble({ clientNamespaces: ['kafka', 'hbase'] });
    expect([CLIENT_HERE, CLIENT_IN_KAFKA, pod('hbase'), pod('solr')].map((from) => reaches(from, member(0), PORTS.client))).toEqual([true, true, true, false]);
  });

  test('clientNamespaceLabels admits the pods of namespaces carrying those labels', () => {
    const { member, reaches } = ensemble({ clientNamespaceLabels: { 'example.com/team': 'data' } });
    expect(reaches(pod('etl', {}, { 'example.com/team': 'data' }), member(0), PORTS.client)).toBe(true);
    expect(reaches(pod('web', {}, { 'example.com/team': 'web' }), member(0), PORTS.client)).toBe(false);
  });

  test('clientPodLabels narrows every admitted namespace, the ensemble\'s own included, to labelled pods', () => {
    const { member, reaches } = ensemble({ clientNamespaces: ['kafka'], clientPodLabels: LABELLED });
    const from = [pod('zk', LABELLED), pod('kafka', LABELLED), CLIENT_HERE, CLIENT_IN_KAFKA, pod('solr', LABELLED)];
    expect(from.map((f) => reaches(f, member(0), PORTS.client))).toEqual([true, true, false, false, false]);
  });

  test('clientAccess all-namespaces admits pods of every namespace, and still no node or outside address', () => {
    const { member, reaches } = ensemble({ clientAccess: ClientAccess.ALL_NAMESPACES });
    expect([CLIENT_IN_KAFKA, pod('anything'), NODE, INTERNET].map((from) => reaches(from, member(0), PORTS.client))).toEqual([true, true, false, false]);
  });

  test('clientAccess all-namespaces with clientPodLabels admits labelled pods anywhere in the cluster', () => {
    const { member, reaches } = ensemble({ clientAccess: ClientAccess.ALL_NAMESPACES, clientPodLabels: LABELLED });
    expect([pod('solr', LABELLED), CLIENT_IN_KAFKA].map((from) => reaches(from, member(0), PORTS.client))).toEqual([true, false]);
  });

  test('clientAccess anywhere opens the client port to any address, and no other port', () => {
    const { member, reaches } = ensemble({ clientAccess: ClientAccess.ANYWHERE });
    expect([INTERNET, NODE, CLIENT_IN_KAFKA].map((from) => reaches(from, member(0), PORTS.client))).toEqual([true, true, true]);
    expect([PORTS.quorum, PORTS.election, PORTS.metrics, PORTS.admin].map((port) => reaches(INTERNET, member(0), port))).toEqual([false, false, false, false]);
  });

  test('the policy follows a changed client port', () => {
    const { member, reaches } = ensemble({ clientPort: 12181 });
    expect([reaches(CLIENT_HERE, member(0), 12181), reaches(CLIENT_HERE, member(0), PORTS.client)]).toEqual([true, false]);
  });
});

describe('metrics and DNS elsewhere', () => {
  test('metricsNamespaceLabels and metricsPodLabels admit exactly the Prometheus pods of that namespace', () => {
    const { member, reaches } = ensemble({
      metricsNamespaceLabels: { 'kubernetes.io/metadata.name': 'observability' },
      metricsPodLabels: { 'app.kubernetes.io/name': 'prometheus' },
    });
    const prometheusThere = pod('observability', { 'app.kubernetes.io/name': 'prometheus' });
    const grafanaThere = pod('observability', { 'app.kubernetes.io/name': 'grafana' });
    expect([prometheusThere, grafanaThere, PROMETHEUS].map((from) => reaches(from, member(0), PORTS.metrics))).toEqual([true, false, false]);
  });

  test('dnsCidrs lets members query a node-local DNS cache, and nothing else at that address', () => {
    const { member, reaches } = ensemble({ dnsCidrs: ['169.254.20.10/32'] });
    expect([reaches(member(0), address('169.254.20.10'), PORTS.dns, 'UDP'), reaches(member(0), address('169.254.20.10'), 443)]).toEqual([true, false]);
    expect(reaches(member(0), address('169.254.20.11'), PORTS.dns, 'UDP')).toBe(false);
    expect(reaches(member(0), KUBE_DNS, PORTS.dns, 'UDP')).toBe(true);
  });

  test('an OpenShift-style DNS (own namespace, labels and pod port 5353) is reached on that port only', () => {
    const { member, reaches } = ensemble({
      dnsNamespaceLabels: { 'kubernetes.io/metadata.name': 'openshift-dns' },
      dnsPodLabels: { 'dns.operator.openshift.io/daemonset-dns': 'default' },
      dnsPort: 5353,
    });
    const openshiftDns = pod('openshift-dns', { 'dns.operator.openshift.io/daemonset-dns': 'default' });
    expect([reaches(member(0), openshiftDns, 5353, 'UDP'), reaches(member(0), openshiftDns, 53, 'UDP'), reaches(member(0), KUBE_DNS, 5353, 'UDP')]).toEqual([true, false, false]);
  });
});

describe('networkPolicy: false', () => {
  test('synthesizes no NetworkPolicy, so the cluster\'s own policies (or none) apply', () => {
    const { synth } = ensemble({ networkPolicy: false });
    expect(synth.all('NetworkPolicy')).toEqual([]);
    expect(synth.ensemble.model.networkPolicy).toBeUndefined();
  });
});

describe('TLS clients', () => {
  const TLS = { tlsSecretName: 'zk-tls', clientNamespaces: ['kafka'] };
  const SECURE_CLIENT_PORT = 2281;

  test('with clientTls on, clients of the admitted namespaces reach the TLS port and the plaintext one; others reach neither', () => {
    const { reaches, member } = ensemble({ clientTls: ClientTls.ON, ...TLS });
    expect([CLIENT_HERE, CLIENT_IN_KAFKA].map((from) => [reaches(from, member(0), SECURE_CLIENT_PORT), reaches(from, member(0), PORTS.client)])).toEqual([[true, true], [true, true]]);
    expect([PROMETHEUS, NODE, INTERNET].map((from) => reaches(from, member(0), SECURE_CLIENT_PORT))).toEqual([false, false, false]);
  });

  test('with clientTls only, clients reach the TLS port and not the plaintext one, which listens on loopback only', () => {
    const { reaches, member } = ensemble({ clientTls: ClientTls.ONLY, ...TLS });
    expect([CLIENT_HERE, CLIENT_IN_KAFKA].map((from) => [reaches(from, member(0), SECURE_CLIENT_PORT), reaches(from, member(0), PORTS.client)])).toEqual([[true, false], [true, false]]);
  });

  test('members still reach each other with quorum TLS, on the same quorum and election ports', () => {
    const { reaches, member } = ensemble({ quorumTls: true, clientTls: ClientTls.ONLY, ...TLS });
    expect([PORTS.quorum, PORTS.election].map((port) => reaches(member(1), member(0), port))).toEqual([true, true]);
  });
});
