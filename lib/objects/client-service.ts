import { k8s } from '../k8s';
import { Construct } from 'constructs';
import { EnsembleModel } from '../model/ensemble-model';
import { objectMeta } from './metadata';
import { servicePort } from './peer-service';

/**
 * The Service clients connect to, on the client ports the members expose (plaintext, TLS or both).
 * It only routes to Ready members, i.e. members serving in a quorum.
 */
export function addClientService(scope: Construct, model: EnsembleModel): k8s.KubeService {
  return new k8s.KubeService(scope, 'ClientService', {
    metadata: objectMeta(model, model.names.clientService, 'workload'),
    spec: {
      type: 'ClusterIP',
      selector: { ...model.labels.anyMember },
      ports: model.clientPorts.map(servicePort),
    },
  });
}
