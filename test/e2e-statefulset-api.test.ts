/**
 * The harness's StatefulSet GET for the members under dynamic membership (e2e/statefulset-api.ts)
 * and what the kubelet adds to a pod that automounts its token (e2e/service-account.ts), without
 * containers: the API must authenticate, authorize by the Roles bound to the members' account as
 * Kubernetes does, and answer with the spec as it stands at the moment of the call.
 */
import { Manifest } from '../e2e/expand';
import { ACCOUNT_DIR, withServiceAccount } from '../e2e/service-account';
import { StatefulSetReadApi } from '../e2e/statefulset-api';

const NS = 'zookeeper';
const statefulSet = (replicas: number): Manifest => ({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'zookeeper', namespace: NS }, spec: { replicas } });
const rbac = (resourceNames: string[], account = 'zookeeper'): Manifest[] => [
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'zookeeper-membership', namespace: NS },
    rules: [{ apiGroups: ['apps'], resources: ['statefulsets'], resourceNames, verbs: ['get'] }] },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'zookeeper-membership', namespace: NS },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'zookeeper-membership' },
    subjects: [{ kind: 'ServiceAccount', name: account, namespace: NS }] },
];
const PATH = `/apis/apps/v1/namespaces/${NS}/statefulsets/zookeeper`;

function apiOver(objects: Manifest[]) {
  let current = statefulSet(3);
  const api = new StatefulSetReadApi(objects, 'zookeeper', NS, () => ({ statefulSet: current, status: { readyReplicas: 3 } }));
  return { api, bearer: `Bearer ${api.token}`, scale: (replicas: number) => { current = statefulSet(replicas); } };
}

describe('the StatefulSet GET the members make', () => {
  test('answers with the spec applied last, at the moment of the call', () => {
    const { api, bearer, scale } = apiOver(rbac(['zookeeper']));
    const [code, body] = api.handle('GET', PATH, bearer) as [number, Manifest];
    expect([code, body.spec.replicas, body.status.readyReplicas]).toEqual([200, 3, 3]);
    scale(1);
    expect((api.handle('GET', PATH, bearer)[1] as Manifest).spec.replicas).toBe(1);
  });

  test('refuses a call without the account\'s token (401)', () => {
    const { api } = apiOver(rbac(['zookeeper']));
    expect(api.handle('GET', PATH, undefined)[0]).toBe(401);
    expect(api.handle('GET', PATH, 'Bearer someone-else')[0]).toBe(401);
  });

  test('grants only what the Roles bound to the members\' account grant (403)', () => {
    const bearer = (api: StatefulSetReadApi) => `Bearer ${api.token}`;
    const other = apiOver(rbac(['another-statefulset'])).api;
    const [code, body] = other.handle('GET', PATH, bearer(other)) as [number, Manifest];
    expect([code, body.reason]).toEqual([403, 'Forbidden']);
    expect(body.message).toContain('cannot get resource "statefulsets" in API group "apps"');
    const unbound = apiOver(rbac(['zookeeper'], 'roller')).api;
    expect(unbound.handle('GET', PATH, bearer(unbound))[0]).toBe(403);
    const elsewhere = apiOver(rbac(['zookeeper'])).api;
    expect(elsewhere.handle('GET', PATH.replace(NS, 'default'), bearer(elsewhere))[0]).toBe(403);
  });

  test('answers only a GET of a StatefulSet (404 otherwise)', () => {
    const { api, bearer } = apiOver(rbac(['zookeeper']));
    expect(api.handle('GET', `/api/v1/namespaces/${NS}/pods/zookeeper-0`, bearer)[0]).toBe(404);
    expect(api.handle('DELETE', PATH, bearer)[0]).toBe(404);
  });
});

describe('a pod that automounts its ServiceAccount token', () => {
  const endpoint = { host: '10.88.0.1', port: 6443, caPem: Buffer.from('ca'), token: 'secret-token' };
  const spec = (automount: boolean | undefined): Manifest => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' },
    automountServiceAccountToken: automount,
    initContainers: [{ name: 'init', env: [{ name: 'A', value: '1' }] }],
    containers: [{ name: 'main', volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
    volumes: [{ name: 'data', emptyDir: {} }],
  });

  test('gets the token, CA and namespace mounted, and the API\'s address, in every container', async () => {
    const secrets: Record<string, Record<string, Buffer>> = {};
    const cluster = { putSecret: async (name: string, data: Record<string, Buffer>) => { secrets[name] = data; } };
    const mounted = await withServiceAccount(cluster, spec(true), NS, endpoint, 'p-token');
    expect(Object.fromEntries(Object.entries(secrets['p-token']).map(([k, v]) => [k, v.toString()]))).toEqual({ 'token': 'secret-token', 'ca.crt': 'ca', 'namespace': NS });
    expect(mounted.volumes).toContainEqual({ name: 'kube-api-access', secret: { secretName: 'p-token', defaultMode: 0o644 } });
    for (const container of [...mounted.initContainers, ...mounted.containers]) {
      expect(container.volumeMounts).toContainEqual({ name: 'kube-api-access', mountPath: ACCOUNT_DIR, readOnly: true });
      expect(container.env).toEqual(expect.arrayContaining([{ name: 'KUBERNETES_SERVICE_HOST', value: '10.88.0.1' }, { name: 'KUBERNETES_SERVICE_PORT', value: '6443' }]));
    }
    expect(mounted.initContainers[0].env[0]).toEqual({ name: 'A', value: '1' });
  });

  test('a pod that does not automount gets nothing, and no Secret is written', async () => {
    const written: string[] = [];
    const cluster = { putSecret: async (name: string) => { written.push(name); } };
    for (const automount of [false, undefined]) {
      const pod = spec(automount);
      expect(await withServiceAccount(cluster, pod, NS, endpoint, 'p-token')).toBe(pod);
    }
    expect(written).toEqual([]);
  });
});
