// New objects reaching the played StatefulSet the two ways apply-order.ts plans: `scaleTo` is a
// `kubectl apply` of a whole folder (every object at once, then the controller works), and
// `modelTarget` lets `runSteps` play any plan, Argo CD's waves and hooks included, against the
// model (statefulset-model.ts) and its pods' ConfigMap volumes (played-statefulset.ts).
import { ApplyTarget, argoStatefulSetHealth } from './apply-order';
import { find, Manifest } from './expand';
import { StatefulSetModel } from './statefulset-model';

/** Where applied ConfigMaps go: the pods' volumes, each updated as the kubelet would. */
export interface ConfigMapSink {
  applyConfigMaps(objects: Manifest[]): string[];
  applyConfigMap(configMap: Manifest): boolean;
}

/**
 * `kubectl apply` of `objects` (a new `replicas`, a new template): the ConfigMaps and the
 * StatefulSet in one pass, then the controller's syncs until every pod of the new spec runs and
 * is Ready. Returns the ConfigMaps that changed and how long it took.
 */
export async function scaleTo(model: StatefulSetModel, configMaps: ConfigMapSink, objects: Manifest[], timeoutMs: number, periodMs = 2000): Promise<{ changed: string[]; ms: number }> {
  const start = Date.now();
  const changed = configMaps.applyConfigMaps(objects);
  const [statefulSet] = find(objects, 'StatefulSet').filter((s) => s.metadata.name === model.statefulSet.metadata.name);
  if (!statefulSet) throw new Error(`the objects hold no StatefulSet ${model.statefulSet.metadata.name}`);
  model.apply(statefulSet);
  await model.converge(timeoutMs, periodMs);
  return { changed, ms: Date.now() - start };
}

/**
 * The model as runSteps' target. ConfigMaps go to the pods' volumes, the modelled StatefulSet to
 * the model (whose background loop, `start()`, must run), and its health is Argo CD's from the
 * model's status. A Job is started by `runJob` when applied, as the Job controller starts its pod,
 * and is healthy once it succeeded; a failed one fails the sync. Every other kind exists in the
 * harness already (Services, the NetworkPolicy, ...): applying it changes nothing, and it is
 * healthy at once, as Argo CD takes a kind without a health check.
 */
export function modelTarget(model: StatefulSetModel, configMaps: ConfigMapSink, runJob?: (job: Manifest) => Promise<boolean>): ApplyTarget {
  const jobs = new Map<string, Promise<boolean>>();
  const settled = new Map<string, boolean>();
  const isModelled = (o: Manifest) => o.kind === 'StatefulSet' && o.metadata.name === model.statefulSet.metadata.name;
  return {
    apply: async (o) => {
      if (o.kind === 'ConfigMap') configMaps.applyConfigMap(o);
      if (isModelled(o)) model.apply(o);
      if (o.kind === 'Job') {
        if (!runJob) throw new Error(`Job ${o.metadata.name} applied, and no one plays Jobs here`);
        const run = runJob(o);
        jobs.set(o.metadata.name, run);
        void run.then((ok) => settled.set(o.metadata.name, ok), () => settled.set(o.metadata.name, false));
      }
    },
    healthy: async (o) => {
      if (isModelled(o)) return argoStatefulSetHealth(model.statefulSet, model.status()) === 'Healthy';
      if (o.kind !== 'Job') return true;
      if (!jobs.has(o.metadata.name)) return false;
      const outcome = settled.get(o.metadata.name);
      if (outcome === false) throw new Error(`Job ${o.metadata.name} failed: the sync fails`);
      return outcome === true;
    },
  };
}
