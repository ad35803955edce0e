// The post-deploy check Job as the harness plays it: the Job's pod template from the manifests,
// unchanged, run once as a pod on the ensemble's network (the Job controller's part), with the
// ConfigMaps and Secrets the ensemble's pods get. Its exit code and log are the check's verdict.
import { PodmanCluster } from './cluster';
import { Ensemble } from './ensemble';
import { ExpandedPod, find, Manifest, withEnv } from './expand';
import { podmanRaw } from './podman';

export interface CheckRun {
  readonly code: number;
  readonly log: string;
  readonly seconds: number;
  /** The step lines, `PASS <step>` or `FAIL <step>`, in order. */
  readonly steps: string[];
}

/** The Job's pod as the Job controller would create it (one pod, its template's spec). */
export function checkPod(objects: Manifest[]): ExpandedPod & { readonly container: string; readonly deadlineSeconds: number } {
  // The check's PostSync hook among the Jobs (the roll Job is a PostSync hook too, a restore Job may be there).
  const [job] = find(objects, 'Job').filter((j) => j.metadata.annotations?.['argocd.argoproj.io/hook'] === 'PostSync'
    && j.metadata.labels?.['app.kubernetes.io/component'] === 'post-deploy-check');
  if (!job) throw new Error('the manifests hold no post-deploy check Job (a PostSync hook)');
  const name = job.metadata.name;
  const namespace = job.metadata.namespace ?? 'default';
  return {
    ordinal: 0,
    name,
    fqdn: `${name}.${namespace}.pod`,
    pod: { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, labels: job.spec.template.metadata.labels }, spec: structuredClone(job.spec.template.spec) },
    claims: [],
    container: job.spec.template.spec.containers[0].name,
    deadlineSeconds: job.spec.activeDeadlineSeconds,
  };
}

/** What the Job tells the check about the ensemble: the voters' host names and the quorum size. */
export function checkTopology(objects: Manifest[]): { voters: string[]; quorum: number } {
  const env = Object.fromEntries(checkPod(objects).pod.spec.containers[0].env.map((e: any) => [e.name, e.value]));
  return { voters: String(env.ZK_CHECK_VOTERS).split(' '), quorum: Number(env.ZK_CHECK_QUORUM) };
}

/** Starts the check's pod; `finished` resolves once it exited (or its deadline passed, as the Job's would). */
export async function startCheck(cluster: PodmanCluster, ensemble: Ensemble, extraEnv: Record<string, string> = {}): Promise<{ finished: Promise<CheckRun>; log: () => Promise<string> }> {
  const pod = checkPod(ensemble.objects);
  withEnv(pod.pod.spec.containers[0], extraEnv);
  const container = cluster.containerName(pod.name, pod.container);
  await cluster.deletePod(pod.name).catch(() => undefined);
  const start = Date.now();
  // A client pod: it needs no reverse lookups of its own (TLS servers do not verify client names).
  await cluster.play(pod, ensemble.configMaps);
  const log = () => cluster.logs(pod.name, pod.container);
  const finished = (async () => {
    const waited = await podmanRaw(['wait', container], pod.deadlineSeconds * 1000);
    const seconds = (Date.now() - start) / 1000;
    const text = await log();
    await cluster.deletePod(pod.name);
    const code = waited.code === 0 ? Number(waited.stdout.trim()) : -1;
    const steps = [...text.matchAll(/^post-deploy-check: ((?:PASS|FAIL) [\w-]+)/gm)].map((m) => m[1]);
    return { code, log: text, seconds, steps };
  })();
  return { finished, log };
}

/** Runs the check to its end. */
export async function runCheck(cluster: PodmanCluster, ensemble: Ensemble, extraEnv: Record<string, string> = {}): Promise<CheckRun> {
  return (await startCheck(cluster, ensemble, extraEnv)).finished;
}

/** The steps every run must pass (the SASL one only where clients authenticate). */
export const CHECK_STEPS = ['ensemble', 'crud', 'ephemeral', 'sequential', 'watch', 'leader-election', 'service-discovery'];

/** Throws unless the check exited 0 with every step passed and its znodes removed. */
export function expectPassed(run: CheckRun, extraSteps: string[] = []): void {
  const wanted = [...CHECK_STEPS, ...extraSteps, 'cleanup'].map((step) => `PASS ${step}`);
  if (run.code !== 0 || JSON.stringify(run.steps) !== JSON.stringify(wanted)) {
    throw new Error(`the check exited ${run.code} with steps ${JSON.stringify(run.steps)}, expected ${JSON.stringify(wanted)}:\n${run.log}`);
  }
}
