// The part of the API server the members call under dynamic membership: a GET of their own
// StatefulSet, which says how many voters are wanted (`spec.replicas`). It answers from the
// StatefulSet model (statefulset-model.ts) as it stands at the moment of the call, so a member
// that the controller is deleting sees the new count in its preStop, as on Kubernetes, where the
// spec is written before the controller acts on it. Like the roll Job's model (api-server.ts) it
// speaks HTTPS with the real paths and Status objects, accepts only the bearer token it was given,
// and grants only what the Roles bound to the members' ServiceAccount grant (403 otherwise).
import { randomBytes } from 'crypto';
import { forbidden, grants, Rule } from './api-server';
import { ApiCall, HttpsEndpoint, status } from './https-endpoint';
import { Manifest } from './expand';

/** The StatefulSet as the API returns it: the spec applied last and the controller's status (the one asked for, by name, when there are several). */
export type StatefulSetView = (name: string) => { readonly statefulSet: Manifest; readonly status: object };

export class StatefulSetReadApi {
  public readonly token = randomBytes(24).toString('base64url');
  /** Every call answered, in order. */
  public readonly calls: ApiCall[] = [];
  private readonly endpoint = new HttpsEndpoint((method, url, authorization) => this.handle(method, url, authorization), this.calls);
  private readonly rules: Rule[];

  /**
   * @param objects the synthesized objects: the Roles and RoleBindings of `serviceAccount`
   * @param serviceAccount the members' ServiceAccount, whose token this server accepts
   */
  constructor(objects: Manifest[], private readonly serviceAccount: string, private readonly namespace: string, private readonly view: StatefulSetView) {
    const bindings = objects.filter((o) => o.kind === 'RoleBinding'
      && (o.subjects ?? []).some((s: Manifest) => s.kind === 'ServiceAccount' && s.name === serviceAccount));
    this.rules = bindings.flatMap((b) => objects.find((o) => o.kind === 'Role' && o.metadata.name === b.roleRef.name)?.rules ?? []);
  }

  /** One request: authentication, authorization by the Roles, then the StatefulSet. */
  public handle(method: string, url: string, authorization: string | undefined): [number, object] {
    if (authorization !== `Bearer ${this.token}`) return [401, status(401, 'Unauthorized', 'Unauthorized')];
    const m = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/statefulsets\/([^/]+)$/.exec(url.split('?')[0]);
    if (!m || method !== 'GET') return [404, status(404, 'NotFound', 'the server could not find the requested resource')];
    const [, namespace, name] = m;
    if (namespace !== this.namespace || !grants(this.rules, 'apps', 'statefulsets', 'get', name)) {
      return forbidden(`system:serviceaccount:${this.namespace}:${this.serviceAccount}`, 'apps', 'statefulsets', 'get', name, namespace);
    }
    const { statefulSet, status: observed } = this.view(name);
    if (statefulSet.metadata.name !== name) return [404, status(404, 'NotFound', `statefulsets.apps "${name}" not found`, { name, group: 'apps', kind: 'statefulsets' })];
    return [200, { ...statefulSet, status: observed }];
  }

  public listen(tls: { cert: string; key: string }, host = '0.0.0.0'): Promise<number> {
    return this.endpoint.listen(tls, host);
  }

  public close(): Promise<void> {
    return this.endpoint.close();
  }
}
