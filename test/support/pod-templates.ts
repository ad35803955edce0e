import { PodUnderTest } from './pod-security-standards';
import { KubeObject } from './synth';

/** A pod template found in some output, named for messages: `<source>: StatefulSet/zookeeper`. */
export interface FoundPod {
  readonly source: string;
  readonly pod: PodUnderTest;
}

/**
 * Where each workload kind keeps the pod it runs. A StatefulSet's pods also get one
 * persistentVolumeClaim volume per claim template, added here as the controller adds them, so the
 * volume rules see the pod the cluster admits.
 */
const POD_LOCATIONS: Readonly<Record<string, (o: any) => PodUnderTest>> = {
  Pod: (o) => ({ metadata: o.metadata, spec: o.spec }),
  PodTemplate: (o) => o.template,
  Deployment: (o) => o.spec.template,
  ReplicaSet: (o) => o.spec.template,
  ReplicationController: (o) => o.spec.template,
  DaemonSet: (o) => o.spec.template,
  Job: (o) => o.spec.template,
  CronJob: (o) => o.spec.jobTemplate.spec.template,
  StatefulSet: (o) => {
    const claims = ((o.spec.volumeClaimTemplates ?? []) as any[]).map((t) => ({ name: t.metadata.name, persistentVolumeClaim: { claimName: t.metadata.name } }));
    const { template } = o.spec;
    return { metadata: template.metadata, spec: { ...template.spec, volumes: [...(template.spec.volumes ?? []), ...claims] } };
  },
};

/** How many pod specs (objects with a `containers` list) are nested anywhere in `value`. */
function countPodSpecs(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + countPodSpecs(v), 0);
  if (value === null || typeof value !== 'object') return 0;
  const here = Array.isArray((value as any).containers) ? 1 : 0;
  return here + Object.values(value).reduce((n: number, v) => n + countPodSpecs(v), 0);
}

/**
 * Every pod template in `objects`, whatever the kind. An object holding a pod spec at a place this
 * function does not know (a kind added later, a CRD with a pod template) is an error rather than
 * a pod that silently goes unchecked.
 */
export function podTemplatesIn(objects: readonly KubeObject[], source: string): FoundPod[] {
  return objects.flatMap((o) => {
    const locate = POD_LOCATIONS[o.kind];
    const found = locate ? [{ source: `${source}: ${o.kind}/${o.metadata?.name}`, pod: locate(o) }] : [];
    if (countPodSpecs(o) !== found.length) {
      throw new Error(`${source}: ${o.kind}/${o.metadata?.name} holds a pod spec this test cannot locate; add its kind to POD_LOCATIONS`);
    }
    return found;
  });
}
