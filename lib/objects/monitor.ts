import { Construct } from 'constructs';
import { PodMonitor, ServiceMonitor } from '../../imports/monitoring.coreos.com';
import { EnsembleModel } from '../model/ensemble-model';
import { PrometheusMonitor } from '../monitoring-settings';
import { monitoringObjectMeta } from './metadata';
import { servicePort } from './peer-service';

/**
 * The meta label under which Kubernetes service discovery exposes a pod label during relabeling:
 * every character that may not appear in a Prometheus label name becomes `_`.
 */
function podLabelMetaLabel(podLabel: string): string {
  return `__meta_kubernetes_pod_label_${podLabel.replace(/[^a-zA-Z0-9_]/g, '_')}`;
}

/**
 * The ServiceMonitor or PodMonitor that has the Prometheus Operator scrape every member, or
 * undefined when the settings ask for neither. Both select exactly this ensemble in its own
 * namespace. Alerts and the dashboard tell members apart by the target labels `namespace` and `pod`,
 * which the operator sets itself for both kinds, and by the ensemble label added here.
 */
export function addMonitor(scope: Construct, model: EnsembleModel): ServiceMonitor | PodMonitor | undefined {
  const { monitoring } = model;
  const metadata = monitoringObjectMeta(model, model.names.monitor);
  const namespaceSelector = { matchNames: [model.namespace] };
  const endpoint = {
    path: monitoring.metricsPath,
    interval: `${monitoring.scrapeIntervalSeconds}s`,
    scrapeTimeout: `${monitoring.scrapeTimeoutSeconds}s`,
    relabelings: [{ sourceLabels: [podLabelMetaLabel(monitoring.ensembleLabelSource)], targetLabel: monitoring.ensembleLabel }],
  };
  switch (monitoring.monitor) {
    case PrometheusMonitor.SERVICE_MONITOR:
      return new ServiceMonitor(scope, 'ServiceMonitor', {
        metadata,
        spec: {
          namespaceSelector,
          selector: { matchLabels: { ...model.labels.selector, ...model.labels.metricsService } },
          // A ServiceMonitor names the Service's port; the Service forwards it to the container port.
          endpoints: [{ port: servicePort(model.ports.metrics).name, ...endpoint }],
        },
      });
    case PrometheusMonitor.POD_MONITOR:
      return new PodMonitor(scope, 'PodMonitor', {
        metadata,
        spec: {
          namespaceSelector,
          selector: { matchLabels: { ...model.labels.anyMember } },
          podMetricsEndpoints: [{ port: model.ports.metrics.name, ...endpoint }],
        },
      });
    case PrometheusMonitor.NONE:
      return undefined;
  }
}
