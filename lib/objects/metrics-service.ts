import { k8s } from '../k8s';
import { Construct } from 'constructs';
import { EnsembleModel } from '../model/ensemble-model';
import { objectMeta } from './metadata';
import { servicePort } from './peer-service';

/**
 * The headless Service over the members' metrics port, for ServiceMonitors and other scrapers. It
 * lists members that are not Ready too: a member that runs but does not serve is exactly what the
 * not-serving alert must see, and scrapers that read only ready addresses (DNS, some service
 * discovery) would otherwise lose it the moment it stops serving.
 */
export function addMetricsService(scope: Construct, model: EnsembleModel): k8s.KubeService {
  const metadata = objectMeta(model, model.names.metricsService, 'workload');
  return new k8s.KubeService(scope, 'MetricsService', {
    metadata: { ...metadata, labels: { ...metadata.labels, ...model.labels.metricsService } },
    spec: {
      clusterIp: 'None',
      publishNotReadyAddresses: true,
      selector: { ...model.labels.anyMember },
      ports: [servicePort(model.ports.metrics)],
    },
  });
}
