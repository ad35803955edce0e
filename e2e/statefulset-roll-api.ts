// The roll Job's three calls (Roller.java: GET its StatefulSet, GET a voter's pod, POST an
// eviction) answered from the StatefulSet model (statefulset-model.ts), for a roll Job that an
// Argo CD sync starts while the model plays the StatefulSet controller: a replicas change under
// `membership: dynamic` re-creates the Job, which must find every voter current and replace none.
// Like api-server.ts (the roll Job's own model, with the controller's OnDelete recreation) it
// speaks HTTPS with the real paths and Status objects, accepts only its bearer token, and grants
// only what the Role bound to the Job's ServiceAccount grants. An eviction deletes the pod in the
// model, which re-creates it; the disruption budget is not played here (a scenario that sees an
// eviction fails anyway).
import { randomBytes } from 'crypto';
import { forbidden, grants, Rule } from './api-server';
import { ApiCall, HttpsEndpoint, podReply, status } from './https-endpoint';
import { Manifest } from './expand';
import { StatefulSetModel } from './statefulset-model';

export class StatefulSetRollApi {
  public readonly token = randomBytes(24).toString('base64url');
  /** Every call answered, in order. */
  public readonly calls: ApiCall[] = [];
  private readonly endpoint = new HttpsEndpoint((method, url, authorization, body) => this.handle(method, url, authorization, body), this.calls);
  /** The pods evicted, in order. */
  public readonly evictions: string[] = [];
  private readonly rules: Rule[];
  private readonly serviceAccount: string;
  private readonly namespace: string;

  /** @param objects the synthesized objects of the sync: the roll Role and RoleBinding */
  constructor(objects: Manifest[], private readonly model: StatefulSetModel) {
    const binding = objects.find((o) => o.kind === 'RoleBinding' && o.metadata.labels?.['app.kubernetes.io/component'] === 'roll');
    if (!binding) throw new Error('the objects hold no roll RoleBinding: is rollStrategy leader-last?');
    this.rules = objects.find((o) => o.kind === 'Role' && o.metadata.name === binding.roleRef.name)?.rules ?? [];
    this.serviceAccount = binding.subjects[0].name;
    this.namespace = binding.metadata.namespace ?? 'default';
  }

  public handle(method: string, url: string, authorization: string | undefined, body: string): [number, object] {
    if (authorization !== `Bearer ${this.token}`) return [401, status(401, 'Unauthorized', 'Unauthorized')];
    const path = url.split('?')[0];
    const sts = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/statefulsets\/([^/]+)$/.exec(path);
    const pod = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)(\/eviction)?$/.exec(path);
    const route = sts && method === 'GET' ? { group: 'apps', resource: 'statefulsets', verb: 'get', namespace: sts[1], name: sts[2] }
      : pod && !pod[3] && method === 'GET' ? { group: '', resource: 'pods', verb: 'get', namespace: pod[1], name: pod[2] }
        : pod && pod[3] && method === 'POST' ? { group: '', resource: 'pods/eviction', verb: 'create', namespace: pod[1], name: pod[2] } : undefined;
    if (!route) return [404, status(404, 'NotFound', 'the server could not find the requested resource')];
    const { group, resource, verb, namespace, name } = route;
    if (namespace !== this.namespace || !grants(this.rules, group, resource, verb, name)) {
      return forbidden(`system:serviceaccount:${this.namespace}:${this.serviceAccount}`, group, resource, verb, name, namespace);
    }
    if (resource === 'statefulsets') return this.getStatefulSet(name);
    if (resource === 'pods') return this.getPod(name);
    return this.evict(name, body);
  }

  private getStatefulSet(name: string): [number, object] {
    const statefulSet = this.model.statefulSet;
    if (statefulSet.metadata.name !== name) return [404, status(404, 'NotFound', `statefulsets.apps "${name}" not found`, { name, group: 'apps', kind: 'statefulsets' })];
    const observed = this.model.status();
    return [200, {
      ...statefulSet,
      metadata: { ...statefulSet.metadata, generation: observed.generation },
      status: {
        observedGeneration: observed.observedGeneration,
        readyReplicas: observed.readyReplicas,
        updatedReplicas: observed.updatedReplicas,
        currentRevision: observed.currentRevision,
        updateRevision: observed.updateRevision,
      },
    }];
  }

  private getPod(name: string): [number, object] {
    const pod = this.model.podStates()[name];
    if (!pod) return [404, status(404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' })];
    // A pod's identity: each creation is a new pod with a new uid.
    const created = this.model.events.filter((e) => e.pod === name && e.what === 'created').length;
    return [200, podReply({
      name, namespace: this.namespace, uid: `${name}-${created}`, template: this.model.statefulSet.spec.template, revision: pod.revision, ready: pod.ready,
      deletionTimestamp: pod.terminating ? new Date().toISOString() : undefined,
    })];
  }

  private evict(name: string, body: string): [number, object] {
    const eviction = JSON.parse(body || '{}');
    if (eviction.kind !== 'Eviction' || eviction.apiVersion !== 'policy/v1' || eviction.metadata?.name !== name) {
      return [400, status(400, 'BadRequest', 'name in URL does not match name in Eviction object or the body is not a policy/v1 Eviction')];
    }
    if (!this.model.podStates()[name]) return [404, status(404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' })];
    this.evictions.push(name);
    this.model.deletePod(name);
    return [201, status(201, 'Success', '')];
  }

  public listen(tls: { cert: string; key: string }, host = '0.0.0.0'): Promise<number> {
    return this.endpoint.listen(tls, host);
  }

  public close(): Promise<void> {
    return this.endpoint.close();
  }
}
