/** Who may open connections to the members' client port. */
export enum ClientAccess {
  /**
   * Pods in the ensemble's own namespace and in the namespaces `clientNamespaces` and
   * `clientNamespaceLabels` name; `clientPodLabels` narrows them to labelled pods.
   */
  LISTED_NAMESPACES = 'listed-namespaces',
  /**
   * Pods in every namespace of the cluster (`clientPodLabels` narrows them to labelled pods).
   * Nodes and addresses outside the cluster stay out.
   */
  ALL_NAMESPACES = 'all-namespaces',
  /**
   * Any source, inside the cluster or outside it (host-network pods, a load balancer): the client
   * port is not restricted. The other ports still are.
   */
  ANYWHERE = 'anywhere',
}

/**
 * The NetworkPolicy that isolates the members. It lets in clients on the client port, the other
 * members on the quorum and election ports and the monitoring namespace on the metrics port, and
 * lets the members out to DNS and to each other only. Label maps replace their default; an empty
 * map is rejected, because in a NetworkPolicy it would select everything.
 */
export interface NetworkPolicySettings {
  /**
   * Create the NetworkPolicy. It needs a network plugin that enforces NetworkPolicy (Calico,
   * Cilium, ...); without one it is stored and ignored.
   * @default true
   */
  readonly networkPolicy?: boolean;

  /**
   * Who may connect to the client port.
   * @default ClientAccess.LISTED_NAMESPACES - pods of the ensemble's namespace, plus clientNamespaces and clientNamespaceLabels
   */
  readonly clientAccess?: ClientAccess;
  /**
   * Other namespaces, by name, whose pods may connect to the client port (clientAccess LISTED_NAMESPACES).
   * @default - none: only the ensemble's own namespace
   */
  readonly clientNamespaces?: string[];
  /**
   * Labels of further namespaces whose pods may connect to the client port (clientAccess LISTED_NAMESPACES).
   * @default - none
   */
  readonly clientNamespaceLabels?: Record<string, string>;
  /**
   * Labels a pod must carry to connect to the client port, in every namespace clientAccess admits
   * (e.g. `{ 'zookeeper.example.com/client': 'true' }`). Not with clientAccess ANYWHERE.
   * @default - any pod of those namespaces
   */
  readonly clientPodLabels?: Record<string, string>;

  /**
   * Labels of the namespaces whose pods may scrape the metrics port.
   * @default { 'kubernetes.io/metadata.name': 'monitoring' } - the namespace named `monitoring`
   */
  readonly metricsNamespaceLabels?: Record<string, string>;
  /**
   * Labels a pod of those namespaces must carry to scrape the metrics port
   * (e.g. `{ 'app.kubernetes.io/name': 'prometheus' }`).
   * @default - any pod of those namespaces
   */
  readonly metricsPodLabels?: Record<string, string>;

  /**
   * Labels of the namespace the cluster DNS pods run in; the members resolve each other by name.
   * @default { 'kubernetes.io/metadata.name': 'kube-system' }
   */
  readonly dnsNamespaceLabels?: Record<string, string>;
  /**
   * Labels of the cluster DNS pods.
   * @default { 'k8s-app': 'kube-dns' } - CoreDNS and kube-dns as kubeadm, EKS, GKE and AKS deploy them
   */
  readonly dnsPodLabels?: Record<string, string>;
  /**
   * Port the DNS pods listen on, UDP and TCP. A NetworkPolicy sees the pod's port, not the
   * Service's: OpenShift's DNS pods listen on 5353 behind the Service's 53.
   * @default 53
   */
  readonly dnsPort?: number;
  /**
   * Address blocks of DNS servers that are not pods, also allowed on dnsPort, e.g. NodeLocal
   * DNSCache's `169.254.20.10/32`.
   * @default - none
   */
  readonly dnsCidrs?: string[];
}

/** The setting names, checked against the interface like SETTING_NAMES. */
export const NETWORK_POLICY_SETTING_NAMES = [
  'networkPolicy', 'clientAccess', 'clientNamespaces', 'clientNamespaceLabels', 'clientPodLabels',
  'metricsNamespaceLabels', 'metricsPodLabels', 'dnsNamespaceLabels', 'dnsPodLabels', 'dnsPort', 'dnsCidrs',
] as const satisfies readonly (keyof NetworkPolicySettings)[];
