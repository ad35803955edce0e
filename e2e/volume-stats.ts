// A stand-in for the kubelet's volume stats, the only source of kubelet_volume_stats_* (which
// ZooKeeperVolumeNearlyFull and the dashboard read): the test bed has no kubelet. It serves, on
// 127.0.0.1, the series the kubelet's /metrics endpoint has for each mounted claim, with its labels
// (namespace, persistentvolumeclaim) and values taken the way the kubelet takes them for a volume
// with a file system of its own, from statfs of the volume's mount:
//   capacity = blocks x bsize, available = bavail x bsize, used = (blocks - bfree) x bsize,
//   inodes = files, inodes_free = ffree, inodes_used = files - ffree.
// Where it departs from the kubelet: values are read at each scrape (the kubelet refreshes them
// about once a minute, so its series lag the disk by up to that much); it serves only these
// series; and a claim is listed only while podman has its file system mounted (the kubelet lists
// the volumes of the pods running on its node), which for a plain folder volume means always.
import * as fs from 'fs';
import { MetricsEndpoint } from './metrics-endpoint';
import { podman } from './podman';

export interface WatchedClaim {
  readonly namespace: string;
  readonly claim: string;
}

const SERIES = [
  ['capacity_bytes', 'Capacity in bytes of the volume'],
  ['available_bytes', 'Number of available bytes in the volume'],
  ['used_bytes', 'Number of used bytes in the volume'],
  ['inodes', 'Maximum number of inodes in the volume'],
  ['inodes_free', 'Number of free inodes in the volume'],
  ['inodes_used', 'Number of used inodes in the volume'],
] as const;

export type VolumeStatsValues = Record<(typeof SERIES)[number][0], number>;

/** The kubelet's figures for the file system mounted on (or holding) `mountpoint`. */
export function statsOf(mountpoint: string): VolumeStatsValues {
  const s = fs.statfsSync(mountpoint);
  return {
    capacity_bytes: s.blocks * s.bsize,
    available_bytes: s.bavail * s.bsize,
    used_bytes: (s.blocks - s.bfree) * s.bsize,
    inodes: s.files,
    inodes_free: s.ffree,
    inodes_used: s.files - s.ffree,
  };
}

/** The kubelet's exposition of these series for the claims given, in the text format. */
export function renderVolumeStats(claims: readonly (WatchedClaim & { readonly stats: VolumeStatsValues })[]): string {
  const lines: string[] = [];
  for (const [name, help] of SERIES) {
    lines.push(`# HELP kubelet_volume_stats_${name} [ALPHA] ${help}`, `# TYPE kubelet_volume_stats_${name} gauge`);
    for (const c of claims) lines.push(`kubelet_volume_stats_${name}{namespace="${c.namespace}",persistentvolumeclaim="${c.claim}"} ${c.stats[name]}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Whether a file system is mounted on `dir` (a volume with mount options is, only while in use). */
function mounted(dir: string): boolean {
  return fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').some((line) => line.split(' ')[1] === dir);
}

/** The kubelet's volume stats, stood in for: the stats of `claims` (podman volumes of those names) at each scrape. */
export const VolumeStats = {
  async start(claims: WatchedClaim[]): Promise<MetricsEndpoint> {
    const mountpoints = await Promise.all(claims.map(async (c) => (await podman(['volume', 'inspect', '--format', '{{.Mountpoint}}', c.claim])).trim()));
    const plain = await Promise.all(claims.map(async (c) => (await podman(['volume', 'inspect', '--format', '{{.Options}}', c.claim])).trim() === 'map[]'));
    return MetricsEndpoint.start('kubelet', () => {
      const listed = claims.map((c, i) => ({ ...c, mountpoint: mountpoints[i] })).filter((c, i) => plain[i] || mounted(c.mountpoint));
      return renderVolumeStats(listed.map((c) => ({ ...c, stats: statsOf(c.mountpoint) })));
    });
  },
};
