/**
 * The Kubernetes Pod Security Standards, Baseline and Restricted profiles, as of Kubernetes 1.28
 * (https://kubernetes.io/docs/concepts/security/pod-security-standards/), written as code so a
 * test can hold every pod template to them.
 *
 * Each rule is a function from a pod (metadata and spec, as JSON) to its violations, and reads the
 * fields the way the PodSecurity admission controller of 1.28 does: init, regular and ephemeral
 * containers all count, and where a field exists at pod and container level a container's own
 * value wins, the pod's value covering only containers that leave the field unset.
 *
 * Not modelled, so these checks are never more lenient than the cluster: the Windows-pod
 * exemptions (`spec.os.name: windows`) and the user-namespace relaxations of later versions.
 */

/** A pod as the admission controller sees it: a Pod, or the template a controller stamps pods from. */
export interface PodUnderTest {
  readonly metadata?: { readonly annotations?: Readonly<Record<string, string>> };
  readonly spec: any;
}

export type PssLevel = 'baseline' | 'restricted';

export interface PssRule {
  readonly level: PssLevel;
  /** The control's name in the Pod Security Standards. */
  readonly control: string;
  readonly check: (pod: PodUnderTest) => string[];
}

/** Capabilities Baseline lets a container add (the container runtimes' default set). */
export const BASELINE_CAPABILITIES = [
  'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE',
  'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT',
];
/** Sysctls Baseline allows in 1.28: namespaced per pod and isolated from other pods. */
export const SAFE_SYSCTLS = [
  'kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports',
];
/** SELinux types Baseline allows in 1.28 (`container_engine_t` only from 1.31). */
export const SELINUX_TYPES = ['', 'container_t', 'container_init_t', 'container_kvm_t'];
/** Volume sources Restricted allows: none of them reaches into the node. */
export const RESTRICTED_VOLUME_SOURCES = [
  'configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret',
];
const APPARMOR_ANNOTATION_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';

interface ContainerAt {
  /** Where the container is, for messages: `initContainers[0] "init-data"`. */
  readonly where: string;
  readonly container: any;
}

/** Every container of the pod, in the order the admission controller visits them. */
export function allContainers(spec: any): ContainerAt[] {
  return (['initContainers', 'containers', 'ephemeralContainers'] as const).flatMap((field) =>
    ((spec?.[field] ?? []) as any[]).map((container, i) => ({ where: `${field}[${i}] "${container?.name}"`, container })));
}

/** Violations of each container, from `bad(securityContext, container)`: a message or undefined. */
function perContainer(pod: PodUnderTest, bad: (sc: any, container: any) => string | undefined): string[] {
  return allContainers(pod.spec).flatMap(({ where, container }) => {
    const message = bad(container.securityContext ?? {}, container);
    return message === undefined ? [] : [`${where}: ${message}`];
  });
}

/** Pod level first, then each container, for fields that exist on both security contexts. */
function podAndContainers(pod: PodUnderTest, bad: (sc: any) => string | undefined): string[] {
  const atPod = bad(pod.spec?.securityContext ?? {});
  return [...(atPod === undefined ? [] : [`pod: ${atPod}`]), ...perContainer(pod, (sc) => bad(sc))];
}

// ---- Baseline --------------------------------------------------------------------------------

export function hostProcess(pod: PodUnderTest): string[] {
  return podAndContainers(pod, (sc) => (sc.windowsOptions?.hostProcess === true ? 'windowsOptions.hostProcess=true' : undefined));
}

export function hostNamespaces(pod: PodUnderTest): string[] {
  return (['hostNetwork', 'hostPID', 'hostIPC'] as const).filter((field) => pod.spec?.[field] === true).map((field) => `pod: ${field}=true`);
}

export function privilegedContainers(pod: PodUnderTest): string[] {
  return perContainer(pod, (sc) => (sc.privileged === true ? 'securityContext.privileged=true' : undefined));
}

export function baselineCapabilities(pod: PodUnderTest): string[] {
  return perContainer(pod, (sc) => {
    const extra = ((sc.capabilities?.add ?? []) as string[]).filter((c) => !BASELINE_CAPABILITIES.includes(c));
    return extra.length > 0 ? `adds capabilities beyond the default set: ${extra.join(', ')}` : undefined;
  });
}

export function hostPathVolumes(pod: PodUnderTest): string[] {
  return ((pod.spec?.volumes ?? []) as any[]).filter((v) => v.hostPath !== undefined).map((v) => `volume "${v.name}": hostPath`);
}

export function hostPorts(pod: PodUnderTest): string[] {
  return perContainer(pod, (_, container) => {
    const ports = ((container.ports ?? []) as any[]).filter((p) => p.hostPort !== undefined && p.hostPort !== 0).map((p) => p.hostPort);
    return ports.length > 0 ? `hostPort ${ports.join(', ')}` : undefined;
  });
}

export function appArmor(pod: PodUnderTest): string[] {
  return Object.entries(pod.metadata?.annotations ?? {})
    .filter(([key]) => key.startsWith(APPARMOR_ANNOTATION_PREFIX))
    .filter(([, value]) => value !== 'runtime/default' && !value.startsWith('localhost/'))
    .map(([key, value]) => `annotation ${key}=${value}`);
}

export function seLinux(pod: PodUnderTest): string[] {
  return podAndContainers(pod, (sc) => {
    const options = sc.seLinuxOptions;
    if (options === undefined) return undefined;
    const problems = [
      ...(options.type !== undefined && !SELINUX_TYPES.includes(options.type) ? [`type ${options.type}`] : []),
      ...(options.user ? [`user ${options.user}`] : []),
      ...(options.role ? [`role ${options.role}`] : []),
    ];
    return problems.length > 0 ? `seLinuxOptions ${problems.join(', ')}` : undefined;
  });
}

export function procMount(pod: PodUnderTest): string[] {
  return perContainer(pod, (sc) => (sc.procMount !== undefined && sc.procMount !== 'Default' ? `procMount ${sc.procMount}` : undefined));
}

export function seccompNotUnconfined(pod: PodUnderTest): string[] {
  return podAndContainers(pod, (sc) => (sc.seccompProfile?.type === 'Unconfined' ? 'seccompProfile Unconfined' : undefined));
}

export function sysctls(pod: PodUnderTest): string[] {
  return ((pod.spec?.securityContext?.sysctls ?? []) as any[])
    .filter((s) => !SAFE_SYSCTLS.includes(s.name)).map((s) => `pod: unsafe sysctl ${s.name}`);
}

// ---- Restricted ------------------------------------------------------------------------------

export function volumeTypes(pod: PodUnderTest): string[] {
  return ((pod.spec?.volumes ?? []) as any[]).flatMap((v) => {
    const forbidden = Object.keys(v).filter((key) => key !== 'name' && !RESTRICTED_VOLUME_SOURCES.includes(key));
    return forbidden.length > 0 ? [`volume "${v.name}": ${forbidden.join(', ')}`] : [];
  });
}

export function privilegeEscalation(pod: PodUnderTest): string[] {
  return perContainer(pod, (sc) => (sc.allowPrivilegeEscalation === false ? undefined
    : `securityContext.allowPrivilegeEscalation is ${sc.allowPrivilegeEscalation ?? 'unset'}, must be false`));
}

export function runningAsNonRoot(pod: PodUnderTest): string[] {
  const atPod = pod.spec?.securityContext?.runAsNonRoot;
  return [
    ...(atPod === false ? ['pod: runAsNonRoot=false'] : []),
    ...perContainer(pod, (sc) => {
      if (sc.runAsNonRoot === false) return 'runAsNonRoot=false';
      return sc.runAsNonRoot === undefined && atPod !== true ? 'runAsNonRoot unset and not true at pod level' : undefined;
    }),
  ];
}

export function runningAsNonRootUser(pod: PodUnderTest): string[] {
  return podAndContainers(pod, (sc) => (sc.runAsUser === 0 ? 'runAsUser=0' : undefined));
}

export function seccompRestricted(pod: PodUnderTest): string[] {
  const allowed = (profile: any) => profile.type === 'RuntimeDefault' || profile.type === 'Localhost';
  const atPod = pod.spec?.securityContext?.seccompProfile;
  return [
    ...(atPod !== undefined && !allowed(atPod) ? [`pod: seccompProfile ${atPod.type}`] : []),
    ...perContainer(pod, (sc) => {
      if (sc.seccompProfile !== undefined) return allowed(sc.seccompProfile) ? undefined : `seccompProfile ${sc.seccompProfile.type}`;
      return atPod !== undefined && allowed(atPod) ? undefined : 'no seccompProfile at container or pod level';
    }),
  ];
}

export function restrictedCapabilities(pod: PodUnderTest): string[] {
  return perContainer(pod, (sc) => {
    const problems = [
      ...(((sc.capabilities?.drop ?? []) as string[]).includes('ALL') ? [] : ['does not drop ALL']),
      ...((sc.capabilities?.add ?? []) as string[]).filter((c) => c !== 'NET_BIND_SERVICE').map((c) => `adds ${c}`),
    ];
    return problems.length > 0 ? `capabilities: ${problems.join(', ')}` : undefined;
  });
}

/** Every control of both profiles, in the order the Pod Security Standards list them. */
export const POD_SECURITY_RULES: readonly PssRule[] = [
  { level: 'baseline', control: 'HostProcess', check: hostProcess },
  { level: 'baseline', control: 'Host Namespaces', check: hostNamespaces },
  { level: 'baseline', control: 'Privileged Containers', check: privilegedContainers },
  { level: 'baseline', control: 'Capabilities', check: baselineCapabilities },
  { level: 'baseline', control: 'HostPath Volumes', check: hostPathVolumes },
  { level: 'baseline', control: 'Host Ports', check: hostPorts },
  { level: 'baseline', control: 'AppArmor', check: appArmor },
  { level: 'baseline', control: 'SELinux', check: seLinux },
  { level: 'baseline', control: '/proc Mount Type', check: procMount },
  { level: 'baseline', control: 'Seccomp', check: seccompNotUnconfined },
  { level: 'baseline', control: 'Sysctls', check: sysctls },
  { level: 'restricted', control: 'Volume Types', check: volumeTypes },
  { level: 'restricted', control: 'Privilege Escalation', check: privilegeEscalation },
  { level: 'restricted', control: 'Running as Non-root', check: runningAsNonRoot },
  { level: 'restricted', control: 'Running as Non-root user', check: runningAsNonRootUser },
  { level: 'restricted', control: 'Seccomp', check: seccompRestricted },
  { level: 'restricted', control: 'Capabilities', check: restrictedCapabilities },
];

/** Every violation of the profile (Restricted includes Baseline), each prefixed with its control. */
export function violations(pod: PodUnderTest, level: PssLevel = 'restricted'): string[] {
  return POD_SECURITY_RULES
    .filter((rule) => level === 'restricted' || rule.level === 'baseline')
    .flatMap((rule) => rule.check(pod).map((v) => `${rule.level} ${rule.control}: ${v}`));
}
