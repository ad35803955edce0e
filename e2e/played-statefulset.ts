// The StatefulSet model's pods on podman (statefulset-model.ts decides, this file runs): a pod is
// played with `kube play` from the revision it is created at, keeps its claims across deletions
// (PodmanCluster reuses a claim's volume), is stopped as the kubelet stops it (preStop, SIGTERM,
// SIGKILL after the rest of the grace period), and gets ConfigMap volumes of its own, which a new
// ConfigMap reaches `configMapDelayMs` after the apply, switched in whole (kubelet-model.ts).
// podman itself shares one volume per ConfigMap between all pods and would show every update
// to every pod at the same instant.
import { PlayOptions, PodmanCluster } from './cluster';
import { Ensemble } from './ensemble';
import { ExpandedPod, find, Manifest } from './expand';
import { ConfigMapVersion, signalTimes, Termination, volumeDataAt, volumeSwitchAt } from './kubelet-model';
import { podman, podmanRaw } from './podman';
import { writeSecretVolume } from './secret-volume';
import { ApiEndpoint, withServiceAccount } from './service-account';
import { StatefulPods } from './statefulset-model';

/** A ConfigMap volume of one pod, played as a named volume the harness writes. */
export interface PodConfigMapVolume {
  readonly volume: string;
  readonly configMap: string;
  readonly items?: { key: string; path: string }[];
  readonly mode: number;
  readonly gid?: number;
}

/**
 * The member with each ConfigMap volume turned into a volume of its own (`<pod>-<volume>`),
 * mounted read-only as the kubelet mounts ConfigMap volumes, and the volumes to write for it.
 */
export function withOwnConfigMapVolumes(member: ExpandedPod): { member: ExpandedPod; volumes: PodConfigMapVolume[] } {
  const copy = structuredClone(member);
  const { spec } = copy.pod;
  const volumes: PodConfigMapVolume[] = [];
  for (const volume of spec.volumes ?? []) {
    if (!volume.configMap) continue;
    const own = `${copy.name}-${volume.name}`;
    volumes.push({ volume: own, configMap: volume.configMap.name, items: volume.configMap.items, mode: volume.configMap.defaultMode ?? 0o644, gid: spec.securityContext?.fsGroup });
    delete volume.configMap;
    volume.persistentVolumeClaim = { claimName: own };
    for (const container of [...(spec.initContainers ?? []), ...spec.containers]) {
      for (const mount of (container.volumeMounts ?? []).filter((m: Manifest) => m.name === volume.name)) mount.readOnly = true;
    }
  }
  return { member: copy, volumes };
}

export interface PlayedStatefulSetOptions {
  /** How late a ConfigMap update reaches each running pod (ms), by pod name. @default 0 */
  readonly configMapDelayMs?: number | ((pod: string) => number);
  readonly playOptions?: PlayOptions;
  /** The API server the pods that automount their ServiceAccount token reach (service-account.ts). */
  readonly apiServer?: ApiEndpoint;
}

/**
 * The pods of one StatefulSet, all played by this adapter (start the model with `running` false:
 * pods started elsewhere have no ConfigMap volumes of their own and are not probed here).
 */
export class PlayedStatefulSet implements StatefulPods {
  /** Each ConfigMap's applies, oldest first: what a pod mounts when it starts and later. */
  private readonly configMaps = new Map<string, ConfigMapVersion[]>();
  private readonly members = new Map<string, { member: ExpandedPod; volumes: PodConfigMapVolume[]; startedAt: number; ensemble: Ensemble }>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly writes = new Set<Promise<void>>();
  /** Every preStop hook run, in order: what it printed (stdout and stderr) and how it ended. */
  public readonly hooks: { pod: string; code: number | null; output: string; ms: number }[] = [];
  /** `kube play`s one at a time: concurrent ones race on init containers (podman 4.3, see Ensemble.start). */
  private plays: Promise<void> = Promise.resolve();

  /** @param objects the objects applied first (their ConfigMaps are the first version of each) */
  constructor(private readonly cluster: PodmanCluster, private objects: Manifest[], private readonly options: PlayedStatefulSetOptions = {}) {
    for (const configMap of find(objects, 'ConfigMap')) this.configMaps.set(configMap.metadata.name, [{ at: 0, data: configMap.data ?? {} }]);
  }

  /**
   * An apply of `objects` (all at once, as kubectl sends them): changed ConfigMaps reach each
   * running pod after its delay, and the objects become what new pods are made of. The
   * StatefulSet itself goes to the model (StatefulSetModel.apply). Returns the changed ConfigMaps.
   */
  public applyConfigMaps(objects: Manifest[]): string[] {
    const changed = find(objects, 'ConfigMap').filter((c) => this.applyConfigMap(c));
    this.objects = objects;
    return changed.map((c) => c.metadata.name);
  }

  /** One ConfigMap applied; false when its data did not change. */
  public applyConfigMap(configMap: Manifest): boolean {
    const { name } = configMap.metadata;
    if (JSON.stringify(configMap.data ?? {}) === JSON.stringify(this.latest(name))) return false;
    const now = Date.now();
    const version = { at: now, data: configMap.data ?? {} };
    this.configMaps.set(name, [...(this.configMaps.get(name) ?? []), version]);
    this.objects = [...this.objects.filter((o) => !(o.kind === 'ConfigMap' && o.metadata.name === name)), configMap];
    for (const [pod, played] of this.members) {
      const switchAt = volumeSwitchAt(version, played.startedAt, this.delayOf(pod));
      if (switchAt === undefined) continue;
      for (const volume of played.volumes.filter((v) => v.configMap === name)) this.scheduleWrite(pod, volume, switchAt - now);
    }
    return true;
  }

  /** Resolves once every ConfigMap update already due has been written. */
  public async configMapsWritten(): Promise<void> {
    while (this.writes.size > 0) await Promise.all([...this.writes]);
  }

  public async create(statefulSet: Manifest, ordinal: number): Promise<void> {
    const objects = [...this.objects.filter((o) => !(o.kind === 'StatefulSet' && o.metadata.name === statefulSet.metadata.name)), statefulSet];
    const ensemble = new Ensemble(objects, this.cluster, undefined, this.options.playOptions);
    const expanded = ensemble.members.find((m) => m.name === `${statefulSet.metadata.name}-${ordinal}`);
    if (!expanded) throw new Error(`${statefulSet.metadata.name} holds no ordinal ${ordinal}`);
    const { member, volumes } = withOwnConfigMapVolumes(expanded);
    if (member.pod.spec.automountServiceAccountToken === true) {
      if (!this.options.apiServer) throw new Error(`${member.name} automounts its ServiceAccount token and calls the API: play it with PlayedStatefulSetOptions.apiServer`);
      member.pod.spec = await withServiceAccount(this.cluster, member.pod.spec, member.pod.metadata.namespace ?? 'default', this.options.apiServer, `${member.name}-token`);
    }
    const play = this.plays.then(async () => {
      const startedAt = Date.now();
      for (const volume of volumes) {
        await podmanRaw(['volume', 'rm', '--force', volume.volume], 30_000);
        await podman(['volume', 'create', volume.volume]);
        await this.writeVolume(volume, volumeDataAt(this.configMaps.get(volume.configMap) ?? [], startedAt, 0, startedAt));
      }
      this.members.set(member.name, { member, volumes, startedAt, ensemble });
      await this.cluster.play(member, ensemble.configMaps, { ...this.options.playOptions, serviceNames: ensemble.serviceNames(expanded) });
    });
    this.plays = play.catch(() => undefined);
    await play;
  }

  public async delete(name: string, termination: Termination): Promise<void> {
    const start = Date.now();
    if (termination.preStop) {
      // The kubelet keeps a hook's output only when it failed; the harness keeps it for the scenario.
      const hook = await this.cluster.exec(name, [...termination.preStop], termination.graceSeconds * 1000).catch((error) => ({ code: null, stdout: '', stderr: String(error) }));
      this.hooks.push({ pod: name, code: hook.code, output: hook.stdout + hook.stderr, ms: Date.now() - start });
    }
    const { sigtermMs, sigkillMs } = signalTimes(termination, Date.now() - start);
    await podmanRaw(['pod', 'stop', '--time', String(Math.ceil((sigkillMs - sigtermMs) / 1000)), name], sigkillMs + 60_000);
    await this.cluster.deletePod(name);
    const played = this.members.get(name);
    this.members.delete(name);
    for (const volume of played?.volumes ?? []) await podmanRaw(['volume', 'rm', '--force', volume.volume], 30_000);
  }

  public async ready(name: string): Promise<boolean> {
    const played = this.members.get(name);
    return played !== undefined && (await this.cluster.probe(played.member, 'readinessProbe')).ok;
  }

  public async removeClaims(names: string[]): Promise<void> {
    await this.cluster.removeVolumes(names);
  }

  /** The member of a pod this adapter played, as the scenario's Ensemble helpers take it. */
  public member(name: string): ExpandedPod | undefined {
    return this.members.get(name)?.member;
  }

  /** Cancels pending ConfigMap updates, deletes the pods it played and their own ConfigMap volumes; claims stay. */
  public async cleanup(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await this.configMapsWritten().catch(() => undefined);
    for (const [name, played] of this.members) {
      // deletePod also removes the pod's emptyDirs: a later pod of the same name must not find them.
      await this.cluster.deletePod(name).catch(() => undefined);
      for (const volume of played.volumes) await podmanRaw(['volume', 'rm', '--force', volume.volume], 30_000).catch(() => undefined);
    }
    this.members.clear();
  }

  private latest(configMap: string): Readonly<Record<string, string>> | undefined {
    return this.configMaps.get(configMap)?.at(-1)?.data;
  }

  private delayOf(pod: string): number {
    const delay = this.options.configMapDelayMs ?? 0;
    return typeof delay === 'number' ? delay : delay(pod);
  }

  private scheduleWrite(pod: string, volume: PodConfigMapVolume, inMs: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const played = this.members.get(pod);
      if (!played?.volumes.includes(volume)) return;
      const now = Date.now();
      const write = this.writeVolume(volume, volumeDataAt(this.configMaps.get(volume.configMap)!, played.startedAt, this.delayOf(pod), now));
      // A write that failed leaves the pod on the old data, which the scenario's own checks then see.
      const tracked = write.catch((error) => console.log(`e2e: ConfigMap ${volume.configMap} not written into ${pod}: ${error}`))
        .finally(() => this.writes.delete(tracked));
      this.writes.add(tracked);
    }, Math.max(inMs, 0));
    this.timers.add(timer);
  }

  /** Writes the volume as the kubelet does: a new directory, then one rename of `..data` (secret-volume.ts). */
  private async writeVolume(volume: PodConfigMapVolume, data: Readonly<Record<string, string>> | undefined): Promise<void> {
    if (data === undefined) throw new Error(`ConfigMap ${volume.configMap} does not exist (the kubelet would keep the pod in ContainerCreating)`);
    const items = volume.items ?? Object.keys(data).map((key) => ({ key, path: key }));
    const dir = (await podman(['volume', 'inspect', '--format', '{{.Mountpoint}}', volume.volume])).trim();
    writeSecretVolume(dir, Object.fromEntries(items.map((item) => [item.path, Buffer.from(data[item.key] ?? '')])), { gid: volume.gid, mode: volume.mode });
  }
}
