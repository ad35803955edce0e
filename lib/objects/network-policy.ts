import { k8s } from '../k8s';
import { Construct } from 'constructs';
import { EnsembleModel, TrafficRule } from '../model/ensemble-model';
import { objectMeta } from './metadata';

/**
 * The NetworkPolicy over every member, voters and observers, or undefined when it is off. It
 * isolates both directions: what the model's rules do not name is dropped. Ports are numbers, so
 * each rule reads the same in every network plugin and in `kubectl describe`.
 */
export function addNetworkPolicy(scope: Construct, model: EnsembleModel): k8s.KubeNetworkPolicy | undefined {
  const policy = model.networkPolicy;
  if (policy === undefined) return undefined;
  const ports = (rule: TrafficRule): k8s.NetworkPolicyPort[] =>
    rule.ports.map(({ port, protocol }) => ({ port: k8s.IntOrString.fromNumber(port), protocol }));
  const peers = (rule: TrafficRule) => (rule.peers === undefined ? undefined : [...rule.peers]);
  return new k8s.KubeNetworkPolicy(scope, 'NetworkPolicy', {
    metadata: objectMeta(model, model.names.networkPolicy, 'workload'),
    spec: {
      podSelector: { matchLabels: { ...model.labels.anyMember } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: policy.ingress.map((rule) => ({ from: peers(rule), ports: ports(rule) })),
      egress: policy.egress.map((rule) => ({ to: peers(rule), ports: ports(rule) })),
    },
  });
}
