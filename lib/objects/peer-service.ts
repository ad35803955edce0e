import { k8s } from '../k8s';
import { Construct } from 'constructs';
import { EnsembleModel, NamedPort } from '../model/ensemble-model';
import { objectMeta } from './metadata';

/** A Service port that forwards to the container port of the same role. */
export function servicePort(port: NamedPort): k8s.ServicePort {
  return { name: `tcp-${port.name}`, port: port.port, targetPort: k8s.IntOrString.fromString(port.name), protocol: 'TCP' };
}

/**
 * The headless peer Service that gives every member its DNS name. It publishes members before they
 * are Ready: a member only becomes Ready once a quorum exists, and the quorum can only form once
 * members can resolve each other.
 */
export function addPeerService(scope: Construct, model: EnsembleModel): k8s.KubeService {
  return new k8s.KubeService(scope, 'PeerService', {
    metadata: objectMeta(model, model.names.peerService, 'workload'),
    spec: {
      clusterIp: 'None',
      publishNotReadyAddresses: true,
      selector: { ...model.labels.anyMember },
      ports: [...model.clientPorts, ...model.memberPorts].map(servicePort),
    },
  });
}
