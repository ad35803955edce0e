import { registerSchema, SCHEMA_SOURCE, validateObject, validateObjects } from './support/k8s-schema';

// Fixtures are plain JSON, mutated freely in tests; `any` keeps the mutations readable.
type Obj = Record<string, any>;

const NS = 'zookeeper';
const labels = { 'app.kubernetes.io/name': 'zookeeper', 'app.kubernetes.io/instance': 'zk' };

function ensemble(): Obj[] {
  const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS, labels } };
  const serviceAccount = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'zk', namespace: NS, labels }, automountServiceAccountToken: false };
  const configMap = {
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: { name: 'zk-config.v1', namespace: NS, labels, annotations: { 'zookeeper.apache.org/checksum': 'abc123' } },
    data: { 'zoo.cfg': 'tickTime=2000\n', 'java.env': '' },
  };
  const headless = {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'zk-hs', namespace: NS, labels },
    spec: {
      clusterIP: 'None', publishNotReadyAddresses: true, selector: labels,
      ports: [{ name: 'quorum', port: 2888, targetPort: 'quorum' }, { name: 'election', port: 3888, targetPort: 3888 }],
    },
  };
  const client = {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'zk-client', namespace: NS, labels },
    spec: { type: 'ClusterIP', selector: labels, ports: [{ name: 'client', port: 2181, targetPort: 'client', protocol: 'TCP' }] },
  };
  const statefulSet = {
    apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'zk', namespace: NS, labels },
    spec: {
      serviceName: 'zk-hs', replicas: 3, podManagementPolicy: 'Parallel', selector: { matchLabels: labels },
      updateStrategy: { type: 'RollingUpdate' },
      template: {
        metadata: { labels, annotations: { 'checksum/config': 'abc123' } },
        spec: {
          serviceAccountName: 'zk',
          securityContext: { runAsUser: 1000, fsGroup: 1000, runAsNonRoot: true },
          initContainers: [{ name: 'init-data', image: 'zookeeper:3.8.4', command: ['sh', '/scripts/init.sh'],
            volumeMounts: [{ name: 'data', mountPath: '/data' }, { name: 'scripts', mountPath: '/scripts' }] }],
          containers: [{
            name: 'zookeeper', image: 'zookeeper:3.8.4', imagePullPolicy: 'IfNotPresent',
            ports: [{ name: 'client', containerPort: 2181 }, { name: 'quorum', containerPort: 2888 }, { name: 'election', containerPort: 3888 }],
            env: [{ name: 'ZOO_MY_ID', valueFrom: { fieldRef: { fieldPath: "metadata.labels['apps.kubernetes.io/pod-index']" } } }],
            resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '1Gi' } },
            readinessProbe: { exec: { command: ['sh', '/scripts/probe.sh', 'ready'] }, periodSeconds: 10 },
            livenessProbe: { tcpSocket: { port: 'client' }, initialDelaySeconds: 10 },
            volumeMounts: [{ name: 'data', mountPath: '/data' }, { name: 'config', mountPath: '/conf' }, { name: 'scripts', mountPath: '/scripts' }],
          }],
          volumes: [
            { name: 'config', configMap: { name: 'zk-config.v1' } },
            { name: 'scripts', configMap: { name: 'zk-config.v1', defaultMode: 0o555 } },
          ],
        },
      },
      volumeClaimTemplates: [{
        metadata: { name: 'data', labels },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } },
      }],
    },
  };
  const pdb = {
    apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'zk', namespace: NS, labels },
    spec: { maxUnavailable: 1, selector: { matchLabels: labels } },
  };
  // Round-trip through JSON like real synth output, so no two fields share one `labels` object.
  return JSON.parse(JSON.stringify([namespace, serviceAccount, configMap, headless, client, statefulSet, pdb]));
}

const byKind = (kind: string, name?: string): Obj =>
  ensemble().find((o) => o.kind === kind && (name === undefined || o.metadata.name === name)) as Obj;

/** Copy of a fixture object with `change` applied. */
function mutated(kind: string, change: (o: Obj) => void, name?: string): Obj {
  const o = structuredClone(byKind(kind, name));
  change(o);
  return o;
}

const sts = (change: (o: Obj) => void) => mutated('StatefulSet', change);
const podSpec = (o: Obj): Obj => o.spec.template.spec;
const zkContainer = (o: Obj): Obj => podSpec(o).containers[0];

/** Asserts the object has exactly one problem, at `path`, and returns its message. */
function onlyProblemAt(obj: Obj, path: string): string {
  const problems = validateObject(obj);
  const prefix = `${obj.kind}/${obj.metadata?.name ?? '<unnamed>'}: ${path}: `;
  expect(problems).toEqual([expect.stringContaining(prefix)]);
  expect(problems[0].startsWith(prefix)).toBe(true);
  return problems[0].slice(prefix.length);
}

describe('Kubernetes 1.28 schema validator', () => {
  it('accepts a hand-built ZooKeeper ensemble: Namespace, ServiceAccount, ConfigMap, Services, StatefulSet, PDB', () => {
    // GIVEN objects shaped like cdk8s synth output
    const objects = ensemble();
    // WHEN they are validated individually and together
    const problems = validateObjects(objects);
    // THEN nothing is reported
    expect(problems).toEqual([]);
    expect(SCHEMA_SOURCE).toContain('1.28');
  });

  describe('schema version', () => {
    it('accepts an init container restartPolicy, a field new in Kubernetes 1.28 (sidecars)', () => {
      const o = sts((s) => { podSpec(s).initContainers[0].restartPolicy = 'Always'; });
      expect(validateObject(o)).toEqual([]);
    });

    it('rejects restartPolicy on a regular container, as 1.28 validation does', () => {
      const o = sts((s) => { zkContainer(s).restartPolicy = 'Always'; });
      expect(onlyProblemAt(o, 'spec.template.spec.containers[0].restartPolicy')).toMatch(/only be set on init containers/);
    });

    it('rejects NetworkPolicy.status, which Kubernetes 1.28 removed', () => {
      const np = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'zk', namespace: NS },
        spec: { podSelector: { matchLabels: labels }, policyTypes: ['Ingress'] }, status: {} };
      expect(onlyProblemAt(np, 'status')).toMatch(/unknown field/);
    });

    it('rejects a kind under a group-version 1.28 no longer serves, naming where it lives now', () => {
      const o = mutated('PodDisruptionBudget', (p) => { p.apiVersion = 'policy/v1beta1'; });
      expect(onlyProblemAt(o, 'apiVersion')).toMatch(/unknown apiVersion\/kind.*served as policy\/v1/);
    });
  });

  describe('rule 1: unknown fields', () => {
    it('rejects an unknown field deep inside a pod template', () => {
      const o = sts((s) => { zkContainer(s).foo = 'bar'; });
      expect(onlyProblemAt(o, 'spec.template.spec.containers[0].foo')).toBe('unknown field "foo"');
    });

    it('rejects a mis-cased Service field and suggests the real one', () => {
      const o = mutated('Service', (s) => { s.spec.clusterIp = s.spec.clusterIP; delete s.spec.clusterIP; }, 'zk-hs');
      expect(onlyProblemAt(o, 'spec.clusterIp')).toBe('unknown field "clusterIp" (did you mean "clusterIP"?)');
    });

    it('rejects an unknown top-level field', () => {
      const o = mutated('ConfigMap', (c) => { c.datas = {}; });
      expect(onlyProblemAt(o, 'datas')).toMatch(/unknown field "datas"/);
    });

    it('rejects an unknown field inside a volume claim template', () => {
      const o = sts((s) => { s.spec.volumeClaimTemplates[0].spec.storageClass = 'fast'; });
      expect(onlyProblemAt(o, 'spec.volumeClaimTemplates[0].spec.storageClass')).toMatch(/did you mean "storageClassName"/);
    });
  });

  describe('rule 2: types, required fields, enums', () => {
    it('rejects a string where the schema wants an integer', () => {
      const o = sts((s) => { s.spec.replicas = '3'; });
      expect(onlyProblemAt(o, 'spec.replicas')).toMatch(/expected integer, got string/);
    });

    it('rejects a non-string ConfigMap value', () => {
      const o = mutated('ConfigMap', (c) => { c.data['zoo.cfg'] = 2000; });
      expect(onlyProblemAt(o, 'data["zoo.cfg"]')).toMatch(/expected string/);
    });

    it('rejects a container without its required name', () => {
      const o = sts((s) => { delete podSpec(s).initContainers[0].name; });
      expect(onlyProblemAt(o, 'spec.template.spec.initContainers[0].name')).toBe('required field is missing');
    });

    it('rejects a StatefulSet without serviceName', () => {
      const o = sts((s) => { delete s.spec.serviceName; });
      expect(onlyProblemAt(o, 'spec.serviceName')).toBe('required field is missing');
    });

    it('rejects an imagePullPolicy outside the enum', () => {
      const o = sts((s) => { zkContainer(s).imagePullPolicy = 'Sometimes'; });
      expect(onlyProblemAt(o, 'spec.template.spec.containers[0].imagePullPolicy')).toMatch(/must be one of "Always", "IfNotPresent", "Never"/);
    });

    it('rejects a Service type outside the enum', () => {
      const o = mutated('Service', (s) => { s.spec.type = 'Internal'; }, 'zk-client');
      expect(onlyProblemAt(o, 'spec.type')).toMatch(/must be one of/);
    });

    it('rejects a non-object and an object without kind', () => {
      expect(validateObject('nope')).toEqual(['?/?: (root): expected an object, got string']);
      expect(validateObject({ metadata: { name: 'x' } })[0]).toMatch(/^\?\/x: kind: unknown apiVersion\/kind/);
    });
  });

  describe('custom resources', () => {
    it('rejects an unregistered kind, then validates it against the registered schema', () => {
      // GIVEN a custom resource nobody has described yet
      const cr = { apiVersion: 'zookeeper.example.com/v1', kind: 'ZooKeeperBackup', metadata: { name: 'nightly', namespace: NS },
        spec: { schedule: '0 3 * * *', retain: 7 } };
      expect(onlyProblemAt(cr, 'apiVersion')).toMatch(/register a schema/);
      // WHEN its schema is registered
      registerSchema('zookeeper.example.com/v1', 'ZooKeeperBackup', {
        type: 'object', required: ['spec'],
        properties: { spec: { type: 'object', required: ['schedule'], properties: { schedule: { type: 'string' }, retain: { type: 'integer', minimum: 1 } } } },
      });
      // THEN the valid object passes and mistakes are reported with their path, metadata included
      expect(validateObject(cr)).toEqual([]);
      expect(onlyProblemAt({ ...cr, spec: { ...cr.spec, retian: 3 } }, 'spec.retian')).toMatch(/unknown field.*did you mean "retain"/);
      expect(onlyProblemAt({ ...cr, spec: { schedule: 'x', retain: 0 } }, 'spec.retain')).toMatch(/below the minimum 1/);
      expect(onlyProblemAt({ ...cr, metadata: { name: 'nightly', labels: { 'bad key!': 'x' } } }, 'metadata.labels["bad key!"]')).toMatch(/qualified name/);
    });
  });

  describe('rule 3: names', () => {
    it('rejects a Namespace name that is a subdomain but not a DNS-1123 label', () => {
      const o = mutated('Namespace', (n) => { n.metadata.name = 'zk.prod'; });
      expect(onlyProblemAt(o, 'metadata.name')).toMatch(/not a DNS-1123 label/);
    });

    it('rejects a Service name starting with a digit (Services need DNS-1035 labels)', () => {
      const o = mutated('Service', (s) => { s.metadata.name = '1zk'; }, 'zk-client');
      expect(onlyProblemAt(o, 'metadata.name')).toMatch(/DNS-1035/);
    });

    it('rejects an upper-case ConfigMap name but accepts dots in it', () => {
      expect(validateObject(byKind('ConfigMap'))).toEqual([]);
      const o = mutated('ConfigMap', (c) => { c.metadata.name = 'ZK-config'; });
      expect(onlyProblemAt(o, 'metadata.name')).toMatch(/not a DNS-1123 subdomain/);
    });

    it('rejects a StatefulSet whose last pod name (<name>-<ordinal>) would exceed 63 characters', () => {
      // GIVEN a 61-character name: "-9" still fits in a label, "-10" does not
      const name = 'z'.repeat(61);
      const tenPods = validateObject(sts((s) => { s.metadata.name = name; s.spec.replicas = 10; }));
      const elevenPods = validateObject(sts((s) => { s.metadata.name = name; s.spec.replicas = 11; }));
      // THEN only the eleven-pod set has an unusable pod name (both break the 52-character rule below)
      expect(tenPods.filter((p) => p.includes('pod name'))).toEqual([]);
      expect(elevenPods).toContainEqual(`StatefulSet/${name}: metadata.name: pod name ${name}-10: must be no more than 63 characters (has 64)`);
    });

    it('rejects a StatefulSet name longer than 52 characters (controller-revision-hash label)', () => {
      const o = sts((s) => { s.metadata.name = 'z'.repeat(53); });
      expect(onlyProblemAt(o, 'metadata.name')).toMatch(/no more than 52 characters/);
    });

    it('rejects a metadata.namespace that is not a DNS-1123 label', () => {
      const o = mutated('ServiceAccount', (s) => { s.metadata.namespace = 'Zoo_Keeper'; });
      expect(onlyProblemAt(o, 'metadata.namespace')).toMatch(/not a DNS-1123 label/);
    });

    it('rejects container, init container, volume and volume mount names that are not DNS-1123 labels', () => {
      expect(onlyProblemAt(sts((s) => { zkContainer(s).name = 'zoo_keeper'; }), 'spec.template.spec.containers[0].name')).toMatch(/DNS-1123 label/);
      expect(onlyProblemAt(sts((s) => { podSpec(s).initContainers[0].name = 'Init'; }), 'spec.template.spec.initContainers[0].name')).toMatch(/DNS-1123 label/);
      const renamedVolume = sts((s) => {
        podSpec(s).volumes[0].name = 'conf.d';
        zkContainer(s).volumeMounts[1].name = 'conf.d';
      });
      expect(validateObject(renamedVolume)).toEqual([
        expect.stringMatching(/^StatefulSet\/zk: spec\.template\.spec\.volumes\[0\]\.name: .*DNS-1123 label/),
        expect.stringMatching(/^StatefulSet\/zk: spec\.template\.spec\.containers\[0\]\.volumeMounts\[1\]\.name: .*DNS-1123 label/),
      ]);
    });

    it('rejects a volume mount that names neither a volume nor a claim template', () => {
      const o = sts((s) => { zkContainer(s).volumeMounts[0].name = 'datadir'; });
      expect(onlyProblemAt(o, 'spec.template.spec.containers[0].volumeMounts[0].name')).toMatch(/neither a pod volume nor a volume claim template/);
    });

    it('rejects duplicate container names across init and regular containers', () => {
      const o = sts((s) => { podSpec(s).initContainers[0].name = 'zookeeper'; });
      expect(onlyProblemAt(o, 'spec.template.spec.containers[0].name')).toMatch(/duplicate container name "zookeeper"/);
    });

    it('rejects malformed label keys, over-long label values and bad annotation keys', () => {
      expect(onlyProblemAt(mutated('ServiceAccount', (s) => { s.metadata.labels['a/b/c'] = 'x'; }), 'metadata.labels["a/b/c"]')).toMatch(/at most one '\/'/);
      expect(onlyProblemAt(mutated('ServiceAccount', (s) => { s.metadata.labels['Example.com/x'] = 'x'; }), 'metadata.labels["Example.com/x"]')).toMatch(/prefix/);
      expect(onlyProblemAt(mutated('ServiceAccount', (s) => { s.metadata.labels.tier = 'v'.repeat(64); }), 'metadata.labels.tier')).toMatch(/no more than 63/);
      expect(onlyProblemAt(mutated('ServiceAccount', (s) => { s.metadata.labels.tier = 'front end'; }), 'metadata.labels.tier')).toMatch(/not a valid label value/);
      expect(onlyProblemAt(mutated('ConfigMap', (c) => { c.metadata.annotations['-checksum'] = '1'; }), 'metadata.annotations["-checksum"]')).toMatch(/qualified name/);
    });

    it('rejects bad labels in pod templates and selectors too', () => {
      const o = sts((s) => { s.spec.template.metadata.labels.tier = 'back end'; });
      expect(validateObject(o)).toContainEqual(expect.stringContaining('StatefulSet/zk: spec.template.metadata.labels.tier: "back end" is not a valid label value'));
      const pdb = mutated('PodDisruptionBudget', (p) => { p.spec.selector.matchLabels['app.kubernetes.io/name'] = '-zk'; });
      expect(onlyProblemAt(pdb, 'spec.selector.matchLabels["app.kubernetes.io/name"]')).toMatch(/not a valid label value/);
    });

    it('rejects a workload selector that does not select its own template', () => {
      const o = sts((s) => { s.spec.selector.matchLabels = { app: 'other' }; });
      expect(onlyProblemAt(o, 'spec.selector')).toMatch(/does not match template labels/);
    });
  });

  describe('rule 4: ports', () => {
    it('rejects container ports outside 1..65535', () => {
      expect(onlyProblemAt(sts((s) => { zkContainer(s).ports[0].containerPort = 0; }), 'spec.template.spec.containers[0].ports[0].containerPort')).toMatch(/between 1 and 65535/);
      expect(onlyProblemAt(sts((s) => { zkContainer(s).ports[0].containerPort = 70000; }), 'spec.template.spec.containers[0].ports[0].containerPort')).toMatch(/between 1 and 65535/);
    });

    it('rejects Service ports and numeric targetPorts outside 1..65535', () => {
      expect(onlyProblemAt(mutated('Service', (s) => { s.spec.ports[0].port = 65536; }, 'zk-client'), 'spec.ports[0].port')).toMatch(/between 1 and 65535/);
      expect(onlyProblemAt(mutated('Service', (s) => { s.spec.ports[1].targetPort = 0; }, 'zk-hs'), 'spec.ports[1].targetPort')).toMatch(/between 1 and 65535/);
    });

    it.each([
      ['zookeeper-client', /no more than 15/],
      ['client--port', /consecutive '-'/],
      ['2181', /at least one letter/],
      ['-client', /starting and ending alphanumeric/],
      ['Client', /lowercase/],
    ])('rejects container port name %s (IANA_SVC_NAME)', (name, why) => {
      const o = sts((s) => { zkContainer(s).ports[2].name = name; });
      expect(onlyProblemAt(o, 'spec.template.spec.containers[0].ports[2].name')).toMatch(why);
    });

    it('rejects an invalid named port in a probe', () => {
      const o = sts((s) => { zkContainer(s).livenessProbe.tcpSocket.port = 'zookeeper-client'; });
      expect(onlyProblemAt(o, 'spec.template.spec.containers[0].livenessProbe.tcpSocket.port')).toMatch(/no more than 15/);
    });

    it('rejects duplicate container port names within a pod', () => {
      const o = sts((s) => { podSpec(s).initContainers[0].ports = [{ name: 'client', containerPort: 9000 }]; });
      expect(onlyProblemAt(o, 'spec.template.spec.containers[0].ports[0].name')).toMatch(/duplicate port name "client" \(first used at spec.template.spec.initContainers\[0\].ports\[0\].name\)/);
    });

    it('rejects unnamed ports on a multi-port Service', () => {
      const o = mutated('Service', (s) => { delete s.spec.ports[1].name; }, 'zk-hs');
      expect(onlyProblemAt(o, 'spec.ports[1].name')).toMatch(/required when a Service has more than one port/);
    });

    it('rejects a Service targetPort name that no selected pod declares', () => {
      // GIVEN the client Service targets a port name the StatefulSet's pods do not have
      const objects = ensemble().map((o) => (o.metadata.name === 'zk-client' ? mutated('Service', (s) => { s.spec.ports[0].targetPort = 'clients'; }, 'zk-client') : o));
      // WHEN validated together
      const problems = validateObjects(objects);
      // THEN the dangling name is reported on the Service port
      expect(problems).toEqual([
        'Service/zk-client: spec.ports[0].targetPort: "clients" names no container port of StatefulSet/zk (has client, quorum, election)',
      ]);
    });
  });

  describe('rule 5: quantities', () => {
    it.each(['500 m', '1GB', '1Kb', 'ten', ''])('rejects the memory request %j', (q) => {
      const o = sts((s) => { zkContainer(s).resources.requests.memory = q; });
      const message = onlyProblemAt(o, 'spec.template.spec.containers[0].resources.requests.memory');
      expect(message).toMatch(/not a Kubernetes quantity/);
    });

    it.each(['1.5', '100Mi', '1e3', '.5', '250m', '1E', 2])('accepts the cpu request %j', (q) => {
      const o = sts((s) => { zkContainer(s).resources.requests.cpu = q; });
      expect(validateObject(o)).toEqual([]);
    });

    it('rejects a malformed storage request in a volume claim template', () => {
      const o = sts((s) => { s.spec.volumeClaimTemplates[0].spec.resources.requests.storage = '10 GiB'; });
      expect(onlyProblemAt(o, 'spec.volumeClaimTemplates[0].spec.resources.requests.storage')).toMatch(/not a Kubernetes quantity/);
    });

    it('rejects a volume claim template without a storage request', () => {
      const o = sts((s) => { s.spec.volumeClaimTemplates[0].spec.resources = {}; });
      expect(onlyProblemAt(o, 'spec.volumeClaimTemplates[0].spec.resources.requests.storage')).toBe('required field is missing');
    });

    it('rejects a request larger than its limit', () => {
      const o = sts((s) => { zkContainer(s).resources.requests.memory = '2Gi'; });
      expect(onlyProblemAt(o, 'spec.template.spec.containers[0].resources.requests.memory')).toMatch(/exceeds the limit 1Gi/);
    });
  });

  describe('across objects', () => {
    it('rejects two objects of the same kind, namespace and name', () => {
      const problems = validateObjects([...ensemble(), byKind('ConfigMap')]);
      expect(problems).toEqual(['ConfigMap/zk-config.v1: (root): duplicates object #2 of the same kind, namespace and name']);
    });

    it('rejects a PodDisruptionBudget that sets both minAvailable and maxUnavailable', () => {
      const o = mutated('PodDisruptionBudget', (p) => { p.spec.minAvailable = '50%'; });
      expect(onlyProblemAt(o, 'spec.maxUnavailable')).toMatch(/cannot both be set/);
    });
  });
});
