// The roll Job as the harness plays it: its pod template from the manifests, unchanged, run once
// on the ensemble's network (the Job controller's part), with what the kubelet adds to a pod that
// automounts its ServiceAccount token: the token, the CA and the namespace at
// /var/run/secrets/kubernetes.io/serviceaccount, and KUBERNETES_SERVICE_HOST/PORT. The API server
// it reaches is the harness's model (api-server.ts), listening on the network's gateway; the
// model recreates an evicted member from the StatefulSet's current template with `kube play`.
import * as path from 'path';
import { ApiServerModel, PodRuntime } from './api-server';
import { PodmanCluster } from './cluster';
import { Ensemble } from './ensemble';
import { ExpandedPod, find, Manifest } from './expand';
import { podman, podmanRaw } from './podman';
import { withServiceAccount } from './service-account';
import { TlsMaterial } from './tls-material';

const TEMPLATE_HASH = 'cdk8s-zookeeper/template-hash';

export interface RollRun {
  readonly code: number;
  readonly log: string;
  readonly seconds: number;
}

/** The roll Job of these objects. */
export function rollJob(objects: Manifest[]): Manifest {
  const [job] = find(objects, 'Job').filter((j) => j.metadata.labels?.['app.kubernetes.io/component'] === 'roll');
  if (!job) throw new Error('the manifests hold no roll Job: is rollStrategy leader-last?');
  return job;
}

/**
 * The harness's pods behind the model: each template is played by the Ensemble of the objects
 * that hold it. Before a pod goes, its log since `since` is kept: a deleted container's log goes
 * with it, and the elections are counted from every log.
 */
export class PlayedPods implements PodRuntime {
  private readonly ensembles: Ensemble[] = [];
  public readonly removedLogs: string[] = [];
  /** The harness's fault: the next recreation plays a member whose server cannot start. */
  public breakNext = false;
  public brokenPod?: string;
  /**
   * The scenario's watcher of each replacement: `going` is awaited before the pod is deleted (what
   * the member was), `started` is told once its replacement runs and is not awaited: the roll goes on.
   */
  public watch?: { going(name: string): Promise<void>; started(name: string): void };

  constructor(private readonly cluster: PodmanCluster, public since: Date) {}

  public add(ensemble: Ensemble): void {
    this.ensembles.push(ensemble);
  }

  public member(name: string, template?: Manifest): ExpandedPod {
    const hash = template?.metadata.annotations?.[TEMPLATE_HASH];
    const ensemble = hash === undefined ? this.ensembles[0]
      : this.ensembles.find((e) => find(e.objects, 'StatefulSet')[0].spec.template.metadata.annotations[TEMPLATE_HASH] === hash);
    const member = ensemble?.members.find((m) => m.name === name);
    if (!ensemble || !member) throw new Error(`the harness holds no ensemble with template ${hash} and pod ${name}`);
    return member;
  }

  public async recreate(name: string, template: Manifest): Promise<void> {
    this.removedLogs.push(await logsSince(this.cluster, name, this.since));
    await this.watch?.going(name);
    await this.cluster.deletePod(name);
    const member = this.member(name, template);
    const ensemble = this.ensembles.find((e) => e.members.includes(member))!;
    if (this.breakNext) {
      this.breakNext = false;
      this.brokenPod = name;
      // Its server exits at once, again and again: a replacement that never serves.
      const broken = structuredClone(member);
      broken.pod.spec.containers[0].command = ['/bin/sh', '-c', 'echo "e2e: this replacement is broken on purpose" >&2; exit 1'];
      await this.cluster.play(broken, ensemble.configMaps, { ...ensemble.playOptions, serviceNames: ensemble.serviceNames(member) });
      return;
    }
    await ensemble.start([member]);
    this.watch?.started(name);
  }

  public async ready(name: string): Promise<boolean> {
    return (await this.cluster.probe(this.member(name), 'readinessProbe').catch(() => ({ ok: false }))).ok;
  }
}

/** A container's log lines written since `since` (podman keeps the timestamps). */
export async function logsSince(cluster: PodmanCluster, pod: string, since: Date): Promise<string> {
  const result = await podmanRaw(['logs', '--since', since.toISOString(), cluster.containerName(pod)], 30_000);
  return result.stdout + result.stderr;
}

/** The model's TLS: a CA of its own and a serving certificate for the gateway's address. */
export async function apiServerTls(cluster: PodmanCluster, dir: string): Promise<{ gateway: string; ca: string; cert: string; key: string }> {
  const gateway = (await podman(['network', 'inspect', '--format', '{{range .Subnets}}{{.Gateway}}{{end}}', cluster.network])).trim();
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(gateway)) throw new Error(`no IPv4 gateway on ${cluster.network}: "${gateway}"`);
  const tls = new TlsMaterial(path.join(dir, 'api-server-tls'));
  const ca = tls.ca('api-server-ca');
  const served = tls.issue(ca, 'api-server', [gateway, 'kubernetes.default.svc']);
  return { gateway, ca: ca.cert, ...served };
}

/**
 * Starts the Job's pod against the model; `finished` resolves once it exited (or its deadline
 * passed, as the Job's would). `extraEnv` overrides the Job's own values (a shorter bound).
 */
export async function startRoll(cluster: PodmanCluster, ensemble: Ensemble, api: ApiServerModel, endpoint: { host: string; port: number; caPem: Buffer },
  extraEnv: Record<string, string> = {}): Promise<{ finished: Promise<RollRun> }> {
  const job = rollJob(ensemble.objects);
  const name = job.metadata.name;
  const namespace = job.metadata.namespace ?? 'default';
  const spec = structuredClone(job.spec.template.spec);
  const container = spec.containers[0];
  const env = (container.env as { name: string; value: string }[]).filter((e) => !(e.name in extraEnv));
  container.env = [...env, ...Object.entries(extraEnv).map(([k, value]) => ({ name: k, value }))];
  if (spec.automountServiceAccountToken !== true) throw new Error(`${name} does not automount its token: the roller could not call the API`);
  const mounted = await withServiceAccount(cluster, spec, namespace, { ...endpoint, token: api.token }, `${name}-token`);
  const pod: ExpandedPod = {
    ordinal: 0, name, fqdn: `${name}.${namespace}.pod`, claims: [],
    pod: { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, labels: job.spec.template.metadata.labels }, spec: mounted },
  };
  await cluster.deletePod(name).catch(() => undefined);
  const start = Date.now();
  await cluster.play(pod, ensemble.configMaps);
  const finished = (async () => {
    const waited = await podmanRaw(['wait', cluster.containerName(name, container.name)], job.spec.activeDeadlineSeconds * 1000);
    const seconds = (Date.now() - start) / 1000;
    const log = await cluster.logs(name, container.name);
    await cluster.deletePod(name);
    return { code: waited.code === 0 ? Number(waited.stdout.trim()) : -1, log, seconds };
  })();
  return { finished };
}
