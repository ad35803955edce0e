import * as net from 'net';
import { k8s } from '../k8s';
import { ClientAccess, NETWORK_POLICY_SETTING_NAMES } from '../network-policy-settings';
import { EnsembleModel, NamedPort, TrafficPort, TrafficRule } from './ensemble-model';
import { NameFormat, SettingsReader } from './settings-reader';

/** The label the API server gives every namespace (Kubernetes 1.21+): its own name. */
const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';
const DEFAULT_METRICS_NAMESPACE = { [NAMESPACE_NAME_LABEL]: 'monitoring' };
const DEFAULT_DNS_NAMESPACE = { [NAMESPACE_NAME_LABEL]: 'kube-system' };
const DEFAULT_DNS_PODS = { 'k8s-app': 'kube-dns' };
const SAME_AS_LEAVING_IT_OUT = 'an empty selector selects every pod, which is what leaving it out does';

type Labels = Readonly<Record<string, string>>;
const byLabels = (labels: Labels): k8s.LabelSelector => ({ matchLabels: { ...labels } });

export interface NetworkPolicyInputs {
  /** The ensemble's namespace (undefined when that setting is invalid; already reported). */
  readonly namespace?: string;
  /** Every member's labels: voters and observers. */
  readonly anyMember: Labels;
  readonly ports: EnsembleModel['ports'];
  /** The client ports other pods reach: plaintext, TLS or both, as clientTls says. */
  readonly clientPorts: EnsembleModel['clientPorts'];
  /** The quorum and election ports; none for a single server. */
  readonly memberPorts: EnsembleModel['memberPorts'];
  /** The post-deploy check's pod labels, when the check is on. */
  readonly checkPods?: Labels;
  /** The roller's pod labels, with rollStrategy 'leader-last'. */
  readonly rollPods?: Labels;
  /** The backup and restore pods' labels, when backup is on: they reach the plaintext client port. */
  readonly backupPods?: Labels;
  /** Membership 'dynamic': members ask each other for the membership and read their StatefulSet from the API server. */
  readonly dynamicMembership?: boolean;
}

/**
 * Reads the NetworkPolicy settings into the rules of the policy, or undefined when it is off.
 * Every port comes from the model's ports, so the policy opens exactly what the containers declare
 * and the Services expose. The AdminServer's port is never opened: it listens on loopback only.
 */
export function readNetworkPolicy(s: SettingsReader, inputs: NetworkPolicyInputs): EnsembleModel['networkPolicy'] {
  if (!s.bool('networkPolicy', true)) {
    for (const key of NETWORK_POLICY_SETTING_NAMES.filter((k) => k !== 'networkPolicy' && s.has(k))) {
      s.fail(key, 'has no effect with networkPolicy: false; remove it, or turn the policy on');
    }
    return undefined;
  }
  const { ports } = inputs;
  const tcp = (...named: NamedPort[]): TrafficPort[] => named.map(({ port }) => ({ port, protocol: 'TCP' }));
  const clients = readClientPeers(s, inputs.namespace);
  // Followers dial the leader on the quorum port and every member dials the others on the
  // election port; members never use each other's client port. A single server has no peers, and
  // a rule without ports would admit every port, so it gets no rule.
  const members: TrafficRule[] = inputs.memberPorts.length === 0 ? []
    : [{ purpose: 'members', peers: [{ podSelector: byLabels(inputs.anyMember) }], ports: tcp(...inputs.memberPorts) }];
  const metricsNamespaces = readSelectorLabels(s, 'metricsNamespaceLabels', 'an empty selector would let every namespace scrape the metrics port');
  const scrapers = peer(byLabels(metricsNamespaces ?? DEFAULT_METRICS_NAMESPACE), readSelectorLabels(s, 'metricsPodLabels', SAME_AS_LEAVING_IT_OUT));
  const dnsNamespaces = readSelectorLabels(s, 'dnsNamespaceLabels', 'an empty selector would allow DNS traffic into every namespace');
  const dnsPodLabels = readSelectorLabels(s, 'dnsPodLabels', 'an empty selector would allow DNS traffic to every pod of the DNS namespace');
  const dnsPods = peer(byLabels(dnsNamespaces ?? DEFAULT_DNS_NAMESPACE), dnsPodLabels ?? DEFAULT_DNS_PODS);
  const dnsPort = s.int('dnsPort', 53, { min: 1, max: 65535 });
  const dnsCidrs = s.stringList('dnsCidrs', cidrFormat);
  return {
    ingress: [
      { purpose: 'clients', peers: clients, ports: tcp(...inputs.clientPorts) },
      ...members,
      { purpose: 'metrics', peers: [scrapers], ports: tcp(ports.metrics) },
      // The check's pod by its own labels, whatever clientAccess admits: it dials every member's
      // client port and reads the leader's synced_followers on the metrics port.
      ...(inputs.checkPods === undefined ? [] : [{
        purpose: 'post-deploy-check' as const, peers: [{ podSelector: byLabels(inputs.checkPods) }], ports: tcp(...inputs.clientPorts, ports.metrics),
      }]),
      // The roller asks each member's mode (`srvr` on the client port) and the leader's
      // synced_followers, as the check does; by its own labels, so no client rule needs widening.
      ...(inputs.rollPods === undefined ? [] : [{
        purpose: 'roll' as const, peers: [{ podSelector: byLabels(inputs.rollPods) }], ports: tcp(...inputs.clientPorts, ports.metrics),
      }]),
      // A joining member asks the others for the membership, whatever clientAccess admits.
      ...(inputs.dynamicMembership ? [{
        purpose: 'membership' as const, peers: [{ podSelector: byLabels(inputs.anyMember) }], ports: tcp(...inputs.clientPorts),
      }] : []),
      // Its own rule, so narrowing clientAccess or clientPodLabels never cuts the backup off.
      ...(inputs.backupPods ? [{ purpose: 'backup' as const, peers: [{ podSelector: byLabels(inputs.backupPods) }], ports: tcp(ports.client) }] : []),
    ],
    // Nothing else goes out: ZooKeeper and the exporter call no outside service, and no API unless
    // the membership is dynamic.
    egress: [
      {
        purpose: 'dns',
        peers: [dnsPods, ...dnsCidrs.map((cidr) => ({ ipBlock: { cidr } }))],
        ports: [{ port: dnsPort, protocol: 'UDP' }, { port: dnsPort, protocol: 'TCP' }],
      },
      ...members,
      ...(inputs.dynamicMembership ? membershipEgress(inputs) : []),
    ],
  };
}

/** The API server's ports: the `kubernetes` Service's, and the usual endpoint port. */
const API_SERVER_PORTS = [443, 6443];

/**
 * Dynamic membership: a joining member asks the others for the current membership on their client
 * port (through the client Service), and every member reads its StatefulSet's replicas from the API
 * server. The API server has no labels to select it by: like the roll Job's pod, which no policy
 * restricts, the members may reach any address, on the API server's ports only (most network
 * plugins match the endpoint after the Service's address is translated, hence 6443 too).
 */
function membershipEgress(inputs: NetworkPolicyInputs): TrafficRule[] {
  const tcp = (ports: readonly number[]): TrafficPort[] => ports.map((port) => ({ port, protocol: 'TCP' }));
  return [
    { purpose: 'membership', peers: [{ podSelector: byLabels(inputs.anyMember) }], ports: tcp(inputs.clientPorts.map((p) => p.port)) },
    { purpose: 'api-server', peers: undefined, ports: tcp(API_SERVER_PORTS) },
  ];
}

/** Sources of client connections; undefined admits any address. */
function readClientPeers(s: SettingsReader, ownNamespace: string | undefined): k8s.NetworkPolicyPeer[] | undefined {
  const access = s.oneOf('clientAccess', ClientAccess.LISTED_NAMESPACES, ClientAccess);
  const namespaces = s.stringList('clientNamespaces', (ns) => NameFormat.dnsLabel(ns)
    ?? (ns === ownNamespace ? 'is the ensemble\'s own namespace, whose pods may always connect' : undefined));
  const namespaceLabels = readSelectorLabels(s, 'clientNamespaceLabels',
    `an empty selector selects every namespace; for that, set clientAccess: '${ClientAccess.ALL_NAMESPACES}'`);
  const podLabels = readSelectorLabels(s, 'clientPodLabels', SAME_AS_LEAVING_IT_OUT);

  if (access !== ClientAccess.LISTED_NAMESPACES) {
    for (const key of ['clientNamespaces', 'clientNamespaceLabels'].filter((k) => s.has(k))) {
      s.fail(key, `has no effect with clientAccess '${access}', which admits every namespace already; `
        + `list namespaces with clientAccess '${ClientAccess.LISTED_NAMESPACES}'`);
    }
  }
  switch (access) {
    case ClientAccess.ANYWHERE:
      if (podLabels) {
        s.fail('clientPodLabels', `cannot narrow clientAccess '${ClientAccess.ANYWHERE}': sources outside the cluster carry no labels; `
          + `use clientAccess '${ClientAccess.ALL_NAMESPACES}' to admit labelled pods of every namespace`);
      }
      return undefined;
    case ClientAccess.ALL_NAMESPACES:
      return [peer({}, podLabels)];
    case ClientAccess.LISTED_NAMESPACES:
      return [
        // Without a namespaceSelector a peer means the policy's own namespace.
        { podSelector: podLabels ? byLabels(podLabels) : {} },
        ...(namespaces.length > 0 ? [peer({ matchExpressions: [{ key: NAMESPACE_NAME_LABEL, operator: 'In', values: namespaces }] }, podLabels)] : []),
        ...(namespaceLabels ? [peer(byLabels(namespaceLabels), podLabels)] : []),
      ];
  }
}

/** Pods in the selected namespaces; all of them unless podLabels is given. */
function peer(namespaceSelector: k8s.LabelSelector, podLabels?: Labels): k8s.NetworkPolicyPeer {
  return podLabels ? { namespaceSelector, podSelector: byLabels(podLabels) } : { namespaceSelector };
}

/**
 * A label map used as a selector, or undefined when not given. An empty map is rejected: a
 * NetworkPolicy reads an empty selector as "everything", while `{}` in settings reads as "nothing".
 */
function readSelectorLabels(s: SettingsReader, key: string, emptyWouldMean: string): Labels | undefined {
  return s.has(key) ? s.labelMap(key, emptyWouldMean) : undefined;
}

export function cidrFormat(value: string): string | undefined {
  const [address, bits, ...rest] = value.split('/');
  const maxBits = net.isIPv4(address) ? 32 : net.isIPv6(address) ? 128 : undefined;
  const ok = maxBits !== undefined && rest.length === 0 && /^\d{1,3}$/.test(bits ?? '') && Number(bits) <= maxBits;
  return ok ? undefined : 'must be an address block in CIDR notation, e.g. 169.254.20.10/32';
}
