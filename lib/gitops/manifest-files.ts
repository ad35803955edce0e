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

interface ManifestObject {
  readonly apiVersion: string;
}

/**
 * Writes an environment's objects into its folder as two manifests: `<ensemble>.k8s.yaml`, the
 * ensemble that runs on any Kubernetes (with cert-manager when TLS asks for a Certificate, since
 * the members need its Secret), and `<ensemble>.monitoring.k8s.yaml`, the objects that need the
 * Prometheus Operator's CRDs (no file when there are none). Order within each file is kept.
 *
 * @returns the file names written, in name order
 */
export function writeManifests(folder: string, ensemble: string, objects: readonly ManifestObject[]): string[] {
  const needsOperator = (o: ManifestObject) => o.apiVersion.split('/')[0] === MONITORING_API_GROUP;
  const files: [string, readonly ManifestObject[]][] = [
    [`${ensemble}.k8s.yaml`, objects.filter((o) => !needsOperator(o))],
    [monitoringManifest(ensemble), objects.filter(needsOperator)],
  ];
  const written = files.filter(([, contents]) => contents.length > 0);
  for (const [file, contents] of written) Yaml.save(path.join(folder, file), [...contents]);
  return written.map(([file]) => file).sort();
}
