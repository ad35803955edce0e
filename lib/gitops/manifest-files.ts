import * as path from 'path';
import { Yaml } from 'cdk8s';

/**
 * The API group of the Prometheus Operator's kinds (ServiceMonitor, PodMonitor, PrometheusRule).
 * A cluster without the operator's CRDs refuses them, so they get a file of their own.
 */
export const MONITORING_API_GROUP = 'monitoring.coreos.com';

/** The file name of an environment's monitoring objects, beside `<ensemble>.k8s.yaml`. */
export function monitoringManifest(ensemble: string): string {
  // `<ensemble>.monitoring` sorts after `<ensemble>.k8s` ('k' < 'm'): `kubectl apply -f` on the
  // folder reads files in name order, so the Namespace (first in the core file) exists before them.
  return `${ensemble}.monitoring.k8s.yaml`;
}

/**
 * The file name of an environment's post-deploy check Job. Argo CD applies it as a PostSync hook
 * (it reads every *.k8s.yaml); kustomization.yaml leaves it out, because `kubectl apply` would
 * start the check before the members are ready, and a finished Job cannot be applied over
 * (its pod template is immutable). By hand: `kubectl replace --force -f` on this file.
 */
export function postDeployCheckManifest(ensemble: string): string {
  return `${ensemble}.post-deploy-check.k8s.yaml`;
}

/** The annotation that makes an object an Argo CD hook rather than part of the application. */
const HOOK_ANNOTATION = 'argocd.argoproj.io/hook';
/**
 * The hooks that stay in the core file: the roll Job is a PostSync hook for Argo CD, and must also
 * run under `kubectl apply -k`, where it waits for the StatefulSet it rolls (docs/rolling.md).
 */
const HOOKS_KUBECTL_RUNS = ['roll'];
const COMPONENT_LABEL = 'app.kubernetes.io/component';

interface ManifestObject {
  readonly apiVersion: string;
  readonly metadata?: {
    readonly name?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
}

/**
 * Writes an environment's objects into its folder as up to three manifests: `<ensemble>.k8s.yaml`,
 * the ensemble that runs on any Kubernetes (with cert-manager when TLS asks for a Certificate, since
 * the members need its Secret), `<ensemble>.monitoring.k8s.yaml`, the objects that need the
 * Prometheus Operator's CRDs, and `<ensemble>.post-deploy-check.k8s.yaml`, the check's hook Job
 * (no file when there are none). Order within each file is kept.
 *
 * @returns the file names written, in name order
 */
export function writeManifests(folder: string, ensemble: string, objects: readonly ManifestObject[]): string[] {
  const needsOperator = (o: ManifestObject) => o.apiVersion.split('/')[0] === MONITORING_API_GROUP;
  const isHook = (o: ManifestObject) => o.metadata?.annotations?.[HOOK_ANNOTATION] !== undefined
    && !HOOKS_KUBECTL_RUNS.includes(o.metadata?.labels?.[COMPONENT_LABEL] ?? '');
  const files: [string, readonly ManifestObject[]][] = [
    [`${ensemble}.k8s.yaml`, objects.filter((o) => !needsOperator(o) && !isHook(o))],
    [monitoringManifest(ensemble), objects.filter(needsOperator)],
    [postDeployCheckManifest(ensemble), objects.filter(isHook)],
  ];
  const written = files.filter(([, contents]) => contents.length > 0);
  for (const [file, contents] of written) Yaml.save(path.join(folder, file), [...contents]);
  return written.map(([file]) => file).sort();
}
