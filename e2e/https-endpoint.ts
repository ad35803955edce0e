// The HTTPS listener behind the test bed's API server models (api-server.ts for the roll Job on
// played pods, statefulset-api.ts for the members' StatefulSet GET, statefulset-roll-api.ts for the
// roll Job on the StatefulSet model): each request's body read, answered as JSON by the model,
// and recorded in the model's calls.
import * as fs from 'fs';
import * as https from 'https';
import { AddressInfo } from 'net';
import { Manifest } from './expand';

/** One call the model answered, as a scenario reports it and the unit tests assert it. */
export interface ApiCall { readonly method: string; readonly path: string; readonly code: number; readonly at: number }

/** A Status object, as the API server returns for every error and for an eviction. */
export function status(code: number, reason: string, message: string, details?: object): object {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: code < 300 ? 'Success' : 'Failure', message, reason, details, code };
}

/** A played pod as the API server returns it: Running, its readiness, its StatefulSet labels. */
export function podReply(pod: {
  name: string; namespace: string; uid: string; template: Manifest; revision: string; ready: boolean;
  deletionTimestamp?: string; annotations?: Record<string, string>;
}): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: pod.name,
      namespace: pod.namespace,
      uid: pod.uid,
      labels: { ...pod.template.metadata.labels, 'controller-revision-hash': pod.revision, 'statefulset.kubernetes.io/pod-name': pod.name },
      ...(pod.annotations ? { annotations: pod.annotations } : {}),
      ...(pod.deletionTimestamp ? { deletionTimestamp: pod.deletionTimestamp } : {}),
    },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: pod.ready ? 'True' : 'False' }],
      containerStatuses: [{ name: pod.template.spec.containers[0].name, ready: pod.ready, restartCount: 0, state: { running: {} } }],
    },
  };
}

export type ApiHandler = (method: string, url: string, authorization: string | undefined, body: string) => [number, object] | Promise<[number, object]>;

export class HttpsEndpoint {
  private server?: https.Server;

  constructor(private readonly handle: ApiHandler, private readonly calls: ApiCall[]) {}

  /** Listens on a free port of `host`; the port. */
  public async listen(tls: { cert: string; key: string }, host = '0.0.0.0'): Promise<number> {
    this.server = https.createServer({ cert: fs.readFileSync(tls.cert), key: fs.readFileSync(tls.key) }, (req, res) => {
      let body = '';
      req.on('data', (chunk) => { body += chunk; });
      req.on('end', () => {
        const [method, url] = [req.method ?? 'GET', req.url ?? '/'];
        Promise.resolve()
          .then(() => this.handle(method, url, req.headers.authorization, body))
          .catch((error): [number, object] => [500, status(500, 'InternalError', String(error))])
          .then(([code, reply]) => {
            this.calls.push({ method, path: url, code, at: Date.now() });
            res.writeHead(code, { 'Content-Type': 'application/json' });
            res.end(JSON.stringify(reply));
          });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, host, resolve));
    return (this.server.address() as AddressInfo).port;
  }

  public async close(): Promise<void> {
    await new Promise((resolve) => (this.server ? this.server.close(resolve) : resolve(undefined)));
  }
}
