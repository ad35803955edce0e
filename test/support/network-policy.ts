// Decides whether a connection is allowed by a set of NetworkPolicies, the way a network plugin
// that implements the networking.k8s.io/v1 semantics does:
// - a pod is isolated for ingress (egress) once any policy of its namespace selects it and lists
//   Ingress (Egress) in its policyTypes; a pod no such policy selects accepts (sends) anything;
// - an isolated pod accepts (sends) a connection when some rule of a policy that selects it
//   matches both the peer and the port; policies only add to what is allowed;
// - a connection goes through only if the source may send it and the destination may accept it;
// - a peer with podSelector alone means pods of the policy's own namespace; with namespaceSelector
//   it means pods of the selected namespaces; an empty selector selects everything; ipBlock
//   matches addresses (pods are matched by their labels here, never by address);
// - a missing or empty `from`/`to` matches every peer, a missing or empty `ports` every port; a
//   port without protocol is TCP; a named port is resolved against the destination pod's ports.
import { selects } from './k8s-schema/rules';

type Labels = Record<string, string>;

/** A pod: where it runs, its labels and the ports its containers declare. */
export interface PodEndpoint {
  readonly namespace: string;
  /** Labels of the pod's namespace; the API server always sets kubernetes.io/metadata.name. */
  readonly namespaceLabels?: Labels;
  readonly labels: Labels;
  readonly containerPorts?: readonly { name?: string; containerPort: number; protocol?: string }[];
}

/** Anything that is not a pod: a node, an address outside the cluster. No policy applies to it. */
export interface AddressEndpoint {
  readonly ip: string;
}

export type Endpoint = PodEndpoint | AddressEndpoint;

export interface Connection {
  readonly from: Endpoint;
  readonly to: Endpoint;
  readonly port: number;
  readonly protocol?: 'TCP' | 'UDP' | 'SCTP';
}

/** A NetworkPolicy as synthesized (plain JSON); objects of other kinds are ignored. */
export interface NetworkPolicyObject {
  readonly kind: string;
  readonly metadata: { readonly namespace?: string; readonly name: string };
  readonly [field: string]: any;
}

const isPod = (e: Endpoint): e is PodEndpoint => 'labels' in e;
const namespaceLabelsOf = (pod: PodEndpoint): Labels => ({ 'kubernetes.io/metadata.name': pod.namespace, ...pod.namespaceLabels });

/** Whether the connection is allowed by the egress side of `from` and the ingress side of `to`. */
export function isAllowed(policies: readonly NetworkPolicyObject[], c: Connection): boolean {
  const protocol = c.protocol ?? 'TCP';
  const np = policies.filter((p) => p.kind === 'NetworkPolicy');
  const egress = !isPod(c.from) || sideAllows(np, c.from, 'Egress', c.to, c.to, c.port, protocol);
  const ingress = !isPod(c.to) || sideAllows(np, c.to, 'Ingress', c.from, c.to, c.port, protocol);
  return egress && ingress;
}

function policyTypes(spec: any): string[] {
  return spec.policyTypes ?? ['Ingress', ...(spec.egress !== undefined ? ['Egress'] : [])];
}

/** Whether `pod` may accept (Ingress) or send (Egress) traffic with `peer` on port/protocol. */
function sideAllows(
  policies: NetworkPolicyObject[], pod: PodEndpoint, direction: 'Ingress' | 'Egress',
  peer: Endpoint, destination: Endpoint, port: number, protocol: string,
): boolean {
  const applying = policies.filter((p) => (p.metadata.namespace ?? 'default') === pod.namespace
    && selects(p.spec.podSelector ?? {}, pod.labels) && policyTypes(p.spec).includes(direction));
  if (applying.length === 0) return true;
  return applying.some((p) => {
    const rules: any[] = (direction === 'Ingress' ? p.spec.ingress : p.spec.egress) ?? [];
    return rules.some((rule) => {
      const peers: any[] = (direction === 'Ingress' ? rule.from : rule.to) ?? [];
      const peerOk = peers.length === 0 || peers.some((sel) => peerMatches(sel, peer, p.metadata.namespace ?? 'default'));
      const ports: any[] = rule.ports ?? [];
      return peerOk && (ports.length === 0 || ports.some((sel) => portMatches(sel, destination, port, protocol)));
    });
  });
}

function peerMatches(sel: any, peer: Endpoint, policyNamespace: string): boolean {
  if (sel.ipBlock) {
    if (isPod(peer)) return false;
    return inCidr(peer.ip, sel.ipBlock.cidr) && !(sel.ipBlock.except ?? []).some((cidr: string) => inCidr(peer.ip, cidr));
  }
  if (!isPod(peer)) return false;
  const namespaceOk = sel.namespaceSelector !== undefined
    ? selects(sel.namespaceSelector, namespaceLabelsOf(peer))
    : peer.namespace === policyNamespace;
  return namespaceOk && (sel.podSelector === undefined || selects(sel.podSelector, peer.labels));
}

function portMatches(sel: any, destination: Endpoint, port: number, protocol: string): boolean {
  if ((sel.protocol ?? 'TCP') !== protocol) return false;
  if (sel.port === undefined) return true;
  if (typeof sel.port === 'string') {
    const named = isPod(destination) ? destination.containerPorts?.find((p) => p.name === sel.port) : undefined;
    return named !== undefined && named.containerPort === port && (named.protocol ?? 'TCP') === protocol;
  }
  return sel.endPort !== undefined ? port >= sel.port && port <= sel.endPort : port === sel.port;
}

function ipv4(address: string): number {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${address}`);
  return parts.reduce((n, p) => n * 256 + p, 0);
}

function inCidr(address: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  return Math.floor(ipv4(address) / size) === Math.floor(ipv4(base) / size);
}
