import { k8s } from '../k8s';
import { Construct } from 'constructs';
import { EnsembleModel } from '../model/ensemble-model';
import { renderDashboard } from '../render/dashboard';
import { objectMeta } from './metadata';

/**
 * The ConfigMap with the ensemble's Grafana dashboard, or undefined when grafanaDashboard is off.
 * Grafana's sidecar picks it up by its labels and writes each data key as a file into one folder
 * shared by every namespace, so the key names the namespace as well as the ensemble.
 */
export function addDashboardConfigMap(scope: Construct, model: EnsembleModel): k8s.KubeConfigMap | undefined {
  if (model.dashboard === undefined) return undefined;
  const metadata = objectMeta(model, model.names.dashboard, 'monitoring');
  return new k8s.KubeConfigMap(scope, 'ConfigMap-dashboard', {
    metadata: { ...metadata, labels: { ...metadata.labels, ...model.dashboard.labels } },
    data: { [dashboardFileName(model)]: renderDashboard(model) },
  });
}

/** The data key, which the sidecar uses as the file name. */
export function dashboardFileName(model: EnsembleModel): string {
  return `${model.namespace}-${model.name}.json`;
}
