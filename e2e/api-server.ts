// The part of a Kubernetes API server (and of the StatefulSet controller behind it) that the roll
// Job talks to, played by the harness: there is no cluster here. It answers exactly the calls
// Roller.java makes, over HTTPS, with the real API's paths, status codes and JSON shapes (objects
// and Status objects), and it enforces what the synthesized objects say: the bearer token of the
// roller's ServiceAccount, the Role bound to it (a call it does not grant is a 403), and the voters'
// PodDisruptionBudget on evictions (a 429). An evicted pod is recreated from the StatefulSet's
// CURRENT template, as the controller does with OnDelete; the PodRuntime does the recreating (the
// e2e suite: `podman kube play`; the unit tests: an in-memory fake). A pod's Ready condition is the
// kubelet's: its readiness probe runs every periodSeconds, whatever the API is asked, and a GET
// returns the last verdict. Where it departs from Kubernetes is listed in docs/rolling.md.
import { createHash, randomBytes, randomUUID } from 'crypto';
import { Manifest } from './expand';
import { ApiCall, HttpsEndpoint, podReply, status } from './https-endpoint';
import { nextReadiness } from './kubelet-model';

export type { ApiCall } from './https-endpoint';
export { status } from './https-endpoint';

/** What runs the pods: recreating one from a template, and one run of its readiness probe. */
export interface PodRuntime {
  /** Deletes the pod (its claims stay) and starts it again from `template`; resolves once it runs. */
  recreate(name: string, template: Manifest): Promise<void>;
  ready(name: string): Promise<boolean>;
}

/** The kubelet's readiness verdict of one pod: results in a row against the probe's thresholds. */
interface Readiness {
  /** Undefined until the first result: a pod the model found running takes that result as it is. */
  ready?: boolean;
  /** Results in a row that disagree with `ready`. */
  streak: number;
}

interface PodRecord {
  uid: string;
  revision: string;
  template: Manifest;
  /** Set while the old pod is being deleted (the API shows a deletionTimestamp), until recreated. */
  deleting?: string;
  /** Gone between its deletion and its recreation: a GET is a 404 then. */
  absent?: boolean;
  readiness: Readiness;
}


/** The revision name the controller gives a template: `<statefulset>-<hash>`, as in `controller-revision-hash`. */
export function revisionOf(statefulSet: Manifest): string {
  const digest = createHash('sha256').update(JSON.stringify(statefulSet.spec.template)).digest('hex').slice(0, 10);
  return `${statefulSet.metadata.name}-${digest}`;
}

/** Whether any of the rules grants `verb` on `resource` (with its subresource: `pods/eviction`) named `name`. */
export function grants(rules: readonly Rule[], group: string, resource: string, verb: string, name: string): boolean {
  return rules.some((r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb)
    && (r.resourceNames === undefined || r.resourceNames.includes(name)));
}

/** The API's 403 for a call no rule grants. */
export function forbidden(user: string, group: string, resource: string, verb: string, name: string, namespace: string): [number, object] {
  const message = `${resource}${name ? ` "${name}"` : ''} is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group "${group}" in the namespace "${namespace}"`;
  return [403, status(403, 'Forbidden', message, { name, group, kind: resource.split('/')[0] })];
}

/** What one Role rule grants. */
export interface Rule { apiGroups: string[]; resources: string[]; resourceNames?: string[]; verbs: string[] }

/** One answered call; `at` is when it was answered (ms since the epoch). */
/** What happened to a pod, and when (ms since the epoch): where a roll's time goes. */
export interface PodEvent { readonly pod: string; readonly what: 'evicted' | 'running' | 'ready' | 'not ready'; readonly at: number }

export class ApiServerModel {
  public readonly token = randomBytes(24).toString('base64url');
  /** Every call answered, in order: what the scenario reports and the unit tests assert. */
  public readonly calls: ApiCall[] = [];
  private readonly endpoint = new HttpsEndpoint((method, url, authorization, body) => this.handle(method, url, authorization, body), this.calls);
  /** Evictions, recreations and the kubelet's Ready changes, in order. */
  public readonly events: PodEvent[] = [];
  private statefulSet: Manifest;
  private generation = 1;
  private observedGeneration = 1;
  private readonly pods = new Map<string, PodRecord>();
  private readonly rules: Rule[];
  private readonly budget: Manifest | undefined;
  private readonly serviceAccount: string;
  /** Recreations in flight, so a test can wait for the controller to finish. */
  private readonly pending = new Set<Promise<void>>();
  private kubelet?: NodeJS.Timeout;

  /**
   * @param objects the synthesized objects: the voters' StatefulSet, the roll Role and RoleBinding, the budget
   * @param runtime runs the pods; every voter is taken to run already, of the StatefulSet's template
   */
  constructor(objects: Manifest[], private readonly runtime: PodRuntime) {
    const of = (kind: string) => objects.filter((o) => o.kind === kind);
    const binding = of('RoleBinding').find((b) => b.metadata.labels?.['app.kubernetes.io/component'] === 'roll');
    if (!binding) throw new Error('the objects hold no roll RoleBinding: is rollStrategy leader-last?');
    const role = of('Role').find((r) => r.metadata.name === binding.roleRef.name);
    if (!role) throw new Error(`the RoleBinding ${binding.metadata.name} refers to a Role ${binding.roleRef.name} that is not there`);
    this.rules = role.rules;
    this.serviceAccount = binding.subjects[0].name;
    [this.statefulSet] = of('StatefulSet');
    this.budget = of('PodDisruptionBudget').find((p) => Object.entries(p.spec.selector.matchLabels)
      .every(([k, v]) => this.statefulSet.spec.template.metadata.labels[k] === v));
    for (let i = 0; i < this.statefulSet.spec.replicas; i++) {
      this.pods.set(`${this.statefulSet.metadata.name}-${i}`, { uid: randomUUID(), revision: revisionOf(this.statefulSet), template: this.statefulSet.spec.template, readiness: { streak: 0 } });
    }
  }

  get namespace(): string {
    return this.statefulSet.metadata.namespace ?? 'default';
  }

  /**
   * An apply of a new StatefulSet: the spec changes, the generation goes up, and the controller
   * observes it (a new updateRevision) after `observeAfterMs`. With OnDelete no pod changes.
   */
  public apply(statefulSet: Manifest, observeAfterMs = 500): void {
    if (statefulSet.metadata.name !== this.statefulSet.metadata.name) throw new Error(`apply of ${statefulSet.metadata.name}, the model plays ${this.statefulSet.metadata.name}`);
    this.statefulSet = statefulSet;
    const generation = ++this.generation;
    setTimeout(() => { this.observedGeneration = Math.max(this.observedGeneration, generation); }, observeAfterMs);
  }

  /** The revision of each voter's pod, by name (undefined while it is absent). */
  public podRevisions(): Record<string, string | undefined> {
    return Object.fromEntries([...this.pods].map(([name, pod]) => [name, pod.absent ? undefined : pod.revision]));
  }

  public get updateRevision(): string {
    return revisionOf(this.statefulSet);
  }

  /** Resolves once every recreation the controller started has finished. */
  public async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /**
   * The kubelet's probe duty: every pod's readiness probe once, in parallel, each result counted
   * against the probe's successThreshold and failureThreshold. An absent pod is not probed; a
   * result that arrives after its pod was replaced is dropped.
   */
  public async probeAll(): Promise<void> {
    await Promise.all([...this.pods].filter(([, pod]) => !pod.absent).map(async ([name, pod]) => {
      const ok = await this.runtime.ready(name).catch(() => false);
      if (this.pods.get(name) !== pod || pod.absent) return;
      const probe = pod.template.spec.containers[0].readinessProbe ?? {};
      const { readiness } = pod;
      if (readiness.ready === undefined) {
        readiness.ready = ok;
        return;
      }
      const next = nextReadiness({ ready: readiness.ready, streak: readiness.streak }, ok, probe);
      if (next.ready !== readiness.ready) this.events.push({ pod: name, what: next.ready ? 'ready' : 'not ready', at: Date.now() });
      Object.assign(readiness, next);
    }));
  }

  /** Runs probeAll every periodSeconds of the current template's readiness probe, until close(). */
  public async startKubelet(): Promise<void> {
    await this.probeAll();
    const tick = async () => {
      await this.probeAll();
      if (this.kubelet) this.kubelet = setTimeout(tick, this.periodMs());
    };
    this.kubelet = setTimeout(tick, this.periodMs());
  }

  private periodMs(): number {
    return (this.statefulSet.spec.template.spec.containers[0].readinessProbe?.periodSeconds ?? 10) * 1000;
  }

  /** The kubelet's verdict: a pod is Ready once its probe passed as often as the thresholds ask. */
  private isReady(name: string): boolean {
    const pod = this.pods.get(name);
    return pod !== undefined && !pod.absent && !pod.deleting && pod.readiness.ready === true;
  }

  /** Listens, with the kubelet probing the pods (its first round done before the first call). */
  public async listen(tls: { cert: string; key: string }, host = '0.0.0.0'): Promise<number> {
    await this.startKubelet();
    return this.endpoint.listen(tls, host);
  }

  public async close(): Promise<void> {
    clearTimeout(this.kubelet);
    this.kubelet = undefined;
    await this.endpoint.close();
    await this.settled();
  }

  /** One request: authentication, then authorization by the Role, then the resource. */
  public async handle(method: string, url: string, authorization: string | undefined, body: string): Promise<[number, object]> {
    if (authorization !== `Bearer ${this.token}`) return [401, status(401, 'Unauthorized', 'Unauthorized')];
    const route = this.route(method, url);
    if (!route) return [404, status(404, 'NotFound', 'the server could not find the requested resource')];
    const { group, resource, subresource, name, verb, namespace } = route;
    const user = `system:serviceaccount:${this.namespace}:${this.serviceAccount}`;
    const full = subresource ? `${resource}/${subresource}` : resource;
    if (namespace !== this.namespace || !grants(this.rules, group, full, verb, name)) return forbidden(user, group, full, verb, name, namespace);
    if (resource === 'statefulsets') return this.getStatefulSet(name);
    if (subresource === 'eviction') return this.evict(name, body);
    return this.getPod(name);
  }

  private route(method: string, url: string) {
    const path = url.split('?')[0];
    let m = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/statefulsets\/([^/]+)$/.exec(path);
    if (m && method === 'GET') return { group: 'apps', resource: 'statefulsets', subresource: undefined, namespace: m[1], name: m[2], verb: 'get' };
    m = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(path);
    if (m && method === 'GET') return { group: '', resource: 'pods', subresource: undefined, namespace: m[1], name: '', verb: 'list' };
    m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/.exec(path);
    if (m && method === 'GET') return { group: '', resource: 'pods', subresource: undefined, namespace: m[1], name: m[2], verb: 'get' };
    if (m && method === 'DELETE') return { group: '', resource: 'pods', subresource: undefined, namespace: m[1], name: m[2], verb: 'delete' };
    m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/eviction$/.exec(path);
    if (m && method === 'POST') return { group: '', resource: 'pods', subresource: 'eviction', namespace: m[1], name: m[2], verb: 'create' };
    return undefined;
  }

  private getStatefulSet(name: string): [number, object] {
    if (name !== this.statefulSet.metadata.name) return [404, status(404, 'NotFound', `statefulsets.apps "${name}" not found`, { name, group: 'apps', kind: 'statefulsets' })];
    const updateRevision = this.observedGeneration >= this.generation ? this.updateRevision : undefined;
    const revisions = [...this.pods.values()].filter((p) => !p.absent).map((p) => p.revision);
    return [200, {
      ...this.statefulSet,
      metadata: { ...this.statefulSet.metadata, generation: this.generation },
      status: {
        observedGeneration: this.observedGeneration,
        replicas: revisions.length,
        updatedReplicas: revisions.filter((r) => r === updateRevision).length,
        ...(updateRevision ? { updateRevision } : {}),
      },
    }];
  }

  private async getPod(name: string): Promise<[number, object]> {
    const pod = this.pods.get(name);
    if (!pod || pod.absent) return [404, status(404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' })];
    return [200, podReply({
      name, namespace: this.namespace, uid: pod.uid, template: pod.template, revision: pod.revision, ready: this.isReady(name),
      annotations: { ...pod.template.metadata.annotations }, deletionTimestamp: pod.deleting,
    })];
  }

  /**
   * policy/v1 Eviction: refused (429) when the budget would be violated, counting Ready pods as
   * the disruption controller counts healthy ones; otherwise the pod is deleted and the
   * controller recreates it from the current template.
   */
  private async evict(name: string, body: string): Promise<[number, object]> {
    const eviction = JSON.parse(body || '{}');
    if (eviction.kind !== 'Eviction' || eviction.apiVersion !== 'policy/v1' || eviction.metadata?.name !== name) {
      return [400, status(400, 'BadRequest', `name in URL does not match name in Eviction object or the body is not a policy/v1 Eviction`)];
    }
    const pod = this.pods.get(name);
    if (!pod || pod.absent) return [404, status(404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' })];
    if (pod.deleting) return [201, status(201, 'Success', '')];
    const refusal = this.budgetRefusal(name);
    if (refusal) return [429, status(429, 'TooManyRequests', 'Cannot evict pod as it would violate the pod\'s disruption budget.', { causes: [{ reason: 'DisruptionBudget', message: refusal }] })];
    pod.deleting = new Date().toISOString();
    this.events.push({ pod: name, what: 'evicted', at: Date.now() });
    const work = this.replace(name).finally(() => this.pending.delete(work));
    this.pending.add(work);
    return [201, status(201, 'Success', '')];
  }

  private budgetRefusal(name: string): string | undefined {
    if (!this.budget) return undefined;
    const names = [...this.pods.keys()];
    const ready = names.map((n) => this.isReady(n));
    const healthy = ready.filter(Boolean).length;
    const { minAvailable, maxUnavailable, unhealthyPodEvictionPolicy } = this.budget.spec;
    const desired = minAvailable ?? names.length - maxUnavailable;
    const podReady = ready[names.indexOf(name)];
    const message = `The disruption budget ${this.budget.metadata.name} needs ${desired} healthy pods and has ${healthy} currently`;
    if (!podReady) return unhealthyPodEvictionPolicy === 'AlwaysAllow' || healthy >= desired ? undefined : message;
    return healthy - 1 >= desired ? undefined : message;
  }

  /** The controller's part: the pod goes, then comes back from the template the StatefulSet holds now. */
  private async replace(name: string): Promise<void> {
    const pod = this.pods.get(name)!;
    const template = this.statefulSet.spec.template;
    const revision = this.updateRevision;
    pod.absent = true;
    try {
      await this.runtime.recreate(name, template);
    } finally {
      // A new pod: not Ready until its probe passes (successThreshold times).
      this.pods.set(name, { uid: randomUUID(), revision, template, readiness: { ready: false, streak: 0 } });
      this.events.push({ pod: name, what: 'running', at: Date.now() });
    }
  }
}
