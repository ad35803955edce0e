// The closest thing to a Kubernetes node these machines offer: pods run with `podman kube play`
// on one network where each pod's headless-service name resolves, and the kubelet's probe duty is
// done here from the manifest's own probe definitions (podman ignores readiness probes and runs no
// liveness probes without systemd). Two more kubelet and cluster-DNS duties are done here for pods
// that need them: Secret volumes laid out and updated the way the kubelet does it, and reverse
// lookups of pod addresses (see mountSecretVolumes and refreshReverseDns).
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { stringify } from 'yaml';
import { ExpandedPod, Manifest } from './expand';
import { podman, podmanRaw, Result, sleep } from './podman';
import { forPodman, SecretVolume } from './pod-for-podman';
import { writeSecretVolume } from './secret-volume';
import { createSizeLimitedVolume } from './size-limited-claim';

export type ProbeKind = 'startupProbe' | 'livenessProbe' | 'readinessProbe';

export interface ProbeResult {
  readonly ok: boolean;
  readonly output: string;
}

export interface PlayOptions {
  /**
   * Give the pod, and every other pod played with this option, reverse lookups of each other's
   * addresses (see refreshReverseDns). For pods whose software checks peers' host names.
   */
  readonly reverseDns?: boolean;
  /**
   * More names the pod answers to, as a member behind a Service does: the Service's DNS name
   * resolves to every pod played with it (the cluster DNS gives a ClusterIP instead; a client
   * sees the same servers).
   */
  readonly serviceNames?: readonly string[];
}

/** Marks the lines refreshReverseDns owns in a pod's /etc/hosts. */
const REVERSE_DNS_MARKER = '# e2e harness: the cluster DNS\'s reverse records of the peer Service (see e2e/cluster.ts)\n';

/** Pods, claims and a network created by one run; everything is removed by `cleanup`. */
export class PodmanCluster {
  private readonly pods = new Set<string>();
  private readonly volumes = new Set<string>();
  /** emptyDir and Secret volumes by pod: they live and die with their pod. */
  private readonly emptyDirs = new Map<string, string[]>();
  /** Secrets as the API server would hold them, by name. */
  private readonly secrets = new Map<string, Record<string, Buffer>>();
  private readonly secretVolumes = new Map<string, SecretVolume[]>();
  /** Pods that get reverse lookups: the name their address resolves to, and their /etc/hosts on this host. */
  private readonly reverseDns = new Map<string, { fqdn: string; ip: string; hostsPath: string }>();
  /** Claims to provision as file systems of a fixed size (MiB), and the files that hold them. */
  private readonly claimSizesMiB = new Map<string, number>();
  private readonly claimFiles = new Map<string, string>();

  constructor(public readonly network: string, private readonly workdir: string) {
    fs.mkdirSync(workdir, { recursive: true });
  }

  public async createNetwork(): Promise<void> {
    await podmanRaw(['network', 'rm', '-f', this.network]);
    await podman(['network', 'create', this.network]);
  }

  /**
   * Fixes the network bridge's MAC address; call it once the first container is attached (netavark
   * creates the bridge then) and keep that container until the end, or the bridge goes with it.
   * A Linux bridge whose address was never set takes the lowest address among its ports, so it
   * changes whenever a pod's veth with a lower one comes or goes. Every container still holds the
   * old address for the gateway in its ARP cache and reaches nothing there for up to ~30 s, and
   * the gateway is where aardvark-dns answers: lookups hung 10-40 s after pods were deleted or
   * recreated (measured: raw queries from the client container timed out for 30 s while the
   * same queries from the host were answered at once). On a cluster the DNS service's address does
   * not move with the pods. Setting the address, even to its current value, makes the kernel keep it.
   */
  public async pinBridgeAddress(): Promise<void> {
    const bridge = (await podman(['network', 'inspect', '--format', '{{.NetworkInterface}}', this.network])).trim();
    const sysfs = `/sys/class/net/${bridge}`;
    if (!bridge || !fs.existsSync(sysfs)) throw new Error(`network ${this.network} has no bridge yet: attach a container first`);
    const address = fs.readFileSync(`${sysfs}/address`, 'utf8').trim();
    execFileSync('ip', ['link', 'set', 'dev', bridge, 'address', address], { timeout: 10_000, stdio: 'pipe' });
    // 3 is NET_ADDR_SET: the bridge no longer follows its ports.
    const assignType = fs.readFileSync(`${sysfs}/addr_assign_type`, 'utf8').trim();
    if (assignType !== '3') throw new Error(`${bridge}: address type ${assignType} after setting it, not 3 (set); DNS would break when pods come and go`);
  }

  /**
   * Creates or changes a Secret. Like the kubelet, which refreshes the Secret volumes of running
   * pods within its sync period, the harness rewrites every mounted copy at once.
   */
  public async putSecret(name: string, data: Record<string, Buffer>): Promise<void> {
    this.secrets.set(name, data);
    for (const [pod, volumes] of this.secretVolumes) {
      for (const volume of volumes.filter((v) => v.secretName === name)) await this.writeSecretVolume(pod, volume);
    }
  }

  /** `podman kube play` of one member: its claims, its pod and the ConfigMaps it mounts. */
  public async play(member: ExpandedPod, configMaps: Manifest[], options: PlayOptions = {}): Promise<void> {
    const podFile = path.join(this.workdir, `${member.name}.yaml`);
    const { manifest: pod, secretVolumes, podVolumes } = forPodman(member.pod);
    this.secretVolumes.set(member.name, secretVolumes);
    this.emptyDirs.set(member.name, podVolumes);
    await this.mountSecretVolumes(member.name);
    // A recreated pod reuses its claims, as on Kubernetes. New claims are provisioned here, not by
    // podman, so that the pod's fsGroup can be applied to them (podman ignores fsGroup).
    const newClaims = member.claims.filter((c) => !this.volumes.has(c.metadata.name));
    fs.writeFileSync(podFile, stringify(pod));
    // podman keeps ConfigMap data in a named volume of the ConfigMap's name and reuses it: drop
    // one left by an earlier run before this run first mounts it, so no stale file is served.
    for (const configMap of configMaps.filter((c) => !this.volumes.has(c.metadata.name))) {
      await podmanRaw(['volume', 'rm', '--force', configMap.metadata.name], 30_000);
      this.volumes.add(configMap.metadata.name);
    }
    // podman 4.3 reads only the first document of a --configmap file: one file per ConfigMap.
    const configFiles = configMaps.map((configMap) => {
      const file = path.join(this.workdir, `configmap-${configMap.metadata.name}.yaml`);
      fs.writeFileSync(file, stringify(configMap));
      return file;
    });
    // A claim is new to this run the first time its pod is played: a volume of that name left by an
    // aborted earlier run must not leak into it. Later plays (a recreated pod) keep their claims.
    for (const claim of newClaims) {
      await podmanRaw(['volume', 'rm', '--force', claim.metadata.name], 30_000);
      await this.provisionClaim(claim.metadata.name, pod.spec.securityContext?.fsGroup);
      this.volumes.add(claim.metadata.name);
    }
    this.pods.add(member.name);
    const aliases = [member.fqdn, ...(options.serviceNames ?? [])].map((name) => `alias=${name}`).join(',');
    await podman(['kube', 'play', '--network', `${this.network}:${aliases}`,
      ...configFiles.flatMap((file) => ['--configmap', file]), podFile], 120_000);
    if (options.reverseDns) {
      // The JVM is starting now: its address must resolve before it dials the others.
      const hostsPath = (await podman(['inspect', '--format', '{{.HostsPath}}', this.containerName(member.name)])).trim();
      this.reverseDns.set(member.name, { fqdn: member.fqdn, ip: await this.podIp(member.name), hostsPath });
      this.refreshReverseDns();
    }
  }

  /** Deletes a member's pod and its emptyDirs but keeps its claims, as deleting a StatefulSet pod does. */
  public async deletePod(name: string): Promise<void> {
    await podman(['pod', 'rm', '--force', '--time', '30', name], 90_000);
    this.pods.delete(name);
    await this.removeEmptyDirs(name);
    this.secretVolumes.delete(name);
    if (this.reverseDns.delete(name)) this.refreshReverseDns();
  }

  /**
   * Changes ConfigMaps that running pods mount, as the kubelet refreshes ConfigMap volumes: podman
   * keeps each ConfigMap's data in a named volume, rewritten here key by key. Whatever reads the
   * files on start (zoo.cfg, at the next JVM start) gets the new content.
   */
  public async updateConfigMaps(configMaps: Manifest[]): Promise<void> {
    for (const configMap of configMaps) {
      const { name } = configMap.metadata;
      if (!this.volumes.has(name)) throw new Error(`ConfigMap ${name} is mounted by no pod of this run`);
      const mountpoint = (await podman(['volume', 'inspect', '--format', '{{.Mountpoint}}', name])).trim();
      for (const [key, value] of Object.entries(configMap.data ?? {})) {
        const file = path.join(mountpoint, key);
        fs.writeFileSync(`${file}.new`, String(value), { mode: 0o644 });
        fs.renameSync(`${file}.new`, file);
      }
    }
  }

  /** The claim, when first provisioned, becomes a file system of `sizeMiB` (size-limited-claim.ts). */
  public limitClaimSize(name: string, sizeMiB: number): void {
    this.claimSizesMiB.set(name, sizeMiB);
  }

  /**
   * Removes volumes this run created (claims, ConfigMap data) once no pod uses them, as deleting a
   * namespace deletes its claims and ConfigMaps: objects of the same name may then come anew.
   */
  public async removeVolumes(names: string[]): Promise<void> {
    for (const name of names.filter((n) => this.volumes.has(n))) {
      await podman(['volume', 'rm', '--force', name], 30_000);
      this.volumes.delete(name);
      this.removeClaimFile(name);
    }
  }

  /**
   * Reverse lookups of pod addresses. On Kubernetes the cluster DNS answers a PTR query for a pod
   * of a headless Service with the pod's name in it (`<pod>.<service>.<namespace>.svc.<domain>`),
   * and ZooKeeper relies on that: a member accepting a TLS quorum connection checks the caller's
   * certificate against the name its address resolves to. aardvark-dns 1.4, podman's DNS server
   * here, answers no PTR query at all. So the harness writes each pod's address and peer name into
   * the /etc/hosts of every pod played with `reverseDns` (from the host side, as podman manages
   * that file), and rewrites them whenever such a pod comes or goes, as the DNS follows the
   * Service's endpoints. /etc/hosts also answers forward lookups of those names, with the same
   * addresses aardvark-dns gives, which is why only pods that need reverse lookups get it. The
   * kubelet itself writes only the pod's own name into its /etc/hosts.
   */
  private refreshReverseDns(): void {
    const lines = [...this.reverseDns.values()].map(({ ip, fqdn }) => `${ip}\t${fqdn}`);
    for (const { hostsPath } of this.reverseDns.values()) {
      try {
        const own = fs.readFileSync(hostsPath, 'utf8').split(REVERSE_DNS_MARKER)[0];
        // One write in place: the file is bind-mounted into the container, so it must stay the same inode.
        fs.writeFileSync(hostsPath, `${own}${REVERSE_DNS_MARKER}${lines.join('\n')}\n`);
      } catch (error) {
        // A pod being deleted at the same moment (Ensemble.delete removes them together) has no file any more.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
  }

  /** Provisions the pod's Secret volumes, each its own, as the kubelet gives every pod its own copy. */
  private async mountSecretVolumes(pod: string): Promise<void> {
    for (const volume of this.secretVolumes.get(pod) ?? []) {
      await podmanRaw(['volume', 'rm', '--force', volume.volume], 30_000);
      await podman(['volume', 'create', volume.volume]);
      await this.writeSecretVolume(pod, volume);
    }
  }

  /** Writes the pod's copy of a Secret volume as the kubelet does (see secret-volume.ts). */
  private async writeSecretVolume(pod: string, volume: SecretVolume): Promise<void> {
    const secret = this.secrets.get(volume.secretName);
    if (!secret) throw new Error(`${pod} mounts Secret ${volume.secretName}, which does not exist (the kubelet would keep the pod in ContainerCreating)`);
    const items = volume.items ?? Object.keys(secret).map((key) => ({ key, path: key }));
    const missing = items.filter((item) => !(item.key in secret)).map((item) => item.key);
    if (missing.length) throw new Error(`Secret ${volume.secretName} has no key ${missing.join(', ')} (the kubelet would fail the mount)`);
    const dir = (await podman(['volume', 'inspect', '--format', '{{.Mountpoint}}', volume.volume])).trim();
    writeSecretVolume(dir, Object.fromEntries(items.map((item) => [item.path, secret[item.key]])), { gid: volume.fsGroup, mode: volume.mode });
  }

  /**
   * A fresh volume for a claim, prepared as the kubelet prepares a volume for a pod with an
   * fsGroup: group-owned by that gid, group-writable, and setgid so new files keep the group.
   * The uid/gid options matter: without them podman re-chowns a new volume, when a container first
   * mounts it, to the owner and mode of the image directory it is mounted over, which would undo
   * this (and made the claims writable through the image's ownership rather than the fsGroup).
   */
  private async provisionClaim(name: string, fsGroup: number | undefined): Promise<void> {
    const sizeMiB = this.claimSizesMiB.get(name);
    if (sizeMiB !== undefined) {
      this.claimFiles.set(name, await createSizeLimitedVolume(name, sizeMiB, path.join(this.workdir, 'claims')));
      return;
    }
    if (fsGroup === undefined) {
      await podman(['volume', 'create', name]);
      return;
    }
    await podman(['volume', 'create', '--opt', `o=uid=0,gid=${fsGroup}`, name]);
    const mountpoint = (await podman(['volume', 'inspect', '--format', '{{.Mountpoint}}', name])).trim();
    fs.chownSync(mountpoint, 0, fsGroup);
    fs.chmodSync(mountpoint, 0o2775);
  }

  private removeClaimFile(name: string): void {
    const file = this.claimFiles.get(name);
    if (file) fs.rmSync(file, { force: true });
    this.claimFiles.delete(name);
  }

  private async removeEmptyDirs(pod: string): Promise<void> {
    for (const volume of this.emptyDirs.get(pod) ?? []) await podmanRaw(['volume', 'rm', '--force', volume], 30_000);
    this.emptyDirs.delete(pod);
  }

  /** The pod's address on the e2e network (a new one each time the pod is recreated). */
  public async podIp(pod: string): Promise<string> {
    const ip = (await podman(['inspect', '--format', `{{(index .NetworkSettings.Networks "${this.network}").IPAddress}}`, this.containerName(pod)])).trim();
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip)) throw new Error(`no IPv4 address for ${pod} on ${this.network}: "${ip}"`);
    return ip;
  }

  public containerName(pod: string, container = 'zookeeper'): string {
    return `${pod}-${container}`;
  }

  public exec(pod: string, command: string[], timeoutMs = 10_000, container = 'zookeeper'): Promise<Result> {
    return podmanRaw(['exec', this.containerName(pod, container), ...command], timeoutMs);
  }

  public logs(pod: string, container = 'zookeeper'): Promise<string> {
    return podmanRaw(['logs', this.containerName(pod, container)], 30_000).then((r) => r.stdout + r.stderr);
  }

  /** The container's log, each line led by the time podman received it (RFC 3339). */
  public timedLogs(pod: string, container = 'zookeeper'): Promise<string> {
    return podmanRaw(['logs', '--timestamps', this.containerName(pod, container)], 30_000).then((r) => r.stdout + r.stderr);
  }

  /** One run of a probe from the manifest, with the manifest's timeout. */
  public async probe(member: ExpandedPod, kind: ProbeKind): Promise<ProbeResult> {
    const probe = mainContainer(member)[kind];
    if (!probe?.exec?.command) throw new Error(`${member.name} has no exec ${kind}`);
    try {
      const result = await this.exec(member.name, probe.exec.command, (probe.timeoutSeconds ?? 1) * 1000 + 2000);
      return { ok: result.code === 0, output: (result.stdout + result.stderr).trim() };
    } catch (error) {
      return { ok: false, output: (error as Error).message };
    }
  }

  /**
   * Runs a probe every periodSeconds, as the kubelet does, until it has reached the state
   * `wanted` (true: successThreshold successes in a row; false: failureThreshold failures in a
   * row). Returns the milliseconds it took and the last output.
   */
  public async probeUntil(member: ExpandedPod, kind: ProbeKind, wanted: boolean, timeoutMs: number): Promise<{ ms: number; output: string }> {
    const probe = mainContainer(member)[kind];
    const needed = wanted ? probe.successThreshold ?? 1 : probe.failureThreshold ?? 3;
    const start = Date.now();
    let streak = 0;
    let output = '';
    while (Date.now() - start < timeoutMs) {
      const result = await this.probe(member, kind);
      output = result.output;
      streak = result.ok === wanted ? streak + 1 : 0;
      if (streak >= needed) return { ms: Date.now() - start, output };
      await sleep((probe.periodSeconds ?? 10) * 1000);
    }
    throw new Error(`${member.name} ${kind} did not become ${wanted ? 'successful' : 'failing'} within ${timeoutMs} ms; last output: ${output}`);
  }

  /** Prints the end of the container log of every pod (or of `pods`), to explain a failed scenario. */
  public async dumpLogs(lines: number, pods: Iterable<string> = this.pods): Promise<void> {
    for (const pod of pods) {
      const log = await this.logs(pod).catch((error) => String(error));
      console.log(`---- last ${lines} log lines of ${pod}\n${log.trimEnd().split('\n').slice(-lines).join('\n')}`);
    }
  }

  /** Removes every pod, volume and the network this run created; never throws. */
  public async cleanup(): Promise<void> {
    for (const pod of this.pods) {
      await podmanRaw(['pod', 'rm', '--force', '--time', '5', pod], 60_000).catch(() => undefined);
      await this.removeEmptyDirs(pod).catch(() => undefined);
    }
    for (const volume of this.volumes) {
      await podmanRaw(['volume', 'rm', '--force', volume], 30_000).catch(() => undefined);
      this.removeClaimFile(volume);
    }
    await podmanRaw(['network', 'rm', '-f', this.network], 30_000).catch(() => undefined);
    fs.rmSync(this.workdir, { recursive: true, force: true });
  }
}

export function mainContainer(member: ExpandedPod): any {
  return member.pod.spec.containers.find((c: any) => c.name === 'zookeeper');
}
