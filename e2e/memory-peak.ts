// The memory a container's pod really used, for the backup benchmark (bench/backup.ts): whether
// the backup tool's JVM fits the memory limit the manifests give its pod. Read on the host from
// the container's cgroup (v1 on these VMs) and from its main process, while the container runs.
import * as fs from 'fs';
import { podmanRaw } from './podman';

export interface MemoryPeak {
  /** The cgroup's memory limit: what podman made of the pod's resources.limits.memory. */
  readonly limitBytes: number;
  /** The cgroup's peak usage (memory.max_usage_in_bytes): the JVM plus page cache of the files it wrote. */
  readonly cgroupPeakBytes: number;
  /** The peak resident set of the container's main process (VmHWM): the JVM itself. */
  readonly processPeakBytes: number;
  /** How often the cgroup hit its limit and had to reclaim (memory.failcnt). */
  readonly limitHits: number;
}

/** Where a process's memory cgroup (v1) is on this host, or undefined when it has none. */
function memoryCgroup(pid: number): string | undefined {
  const line = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => /^\d+:[^:]*\bmemory\b[^:]*:/.test(l));
  return line === undefined ? undefined : `/sys/fs/cgroup/memory${line.slice(line.lastIndexOf(':') + 1)}`;
}

const readNumber = (file: string) => Number(fs.readFileSync(file, 'utf8').trim());

/** The peak so far; the cgroup's peak is kept by the kernel, so the last read before the exit holds it. */
function sample(pid: number, cgroup: string): MemoryPeak {
  const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return {
    limitBytes: readNumber(`${cgroup}/memory.limit_in_bytes`),
    cgroupPeakBytes: readNumber(`${cgroup}/memory.max_usage_in_bytes`),
    processPeakBytes: Number(hwm ?? 0) * 1024,
    limitHits: readNumber(`${cgroup}/memory.failcnt`),
  };
}

/**
 * Samples a container's memory every `everyMs` from when it starts until `stop`; resolves with the
 * last sample taken (undefined if the container ended before one could be). Growth in the last
 * interval before the process exits can be missed by VmHWM, not by the cgroup's peak.
 */
export function watchMemory(container: string, everyMs = 250): { stop: () => Promise<MemoryPeak | undefined> } {
  let last: MemoryPeak | undefined;
  let stopped = false;
  const loop = (async () => {
    let pid = 0;
    while (!stopped && pid === 0) {
      const inspect = await podmanRaw(['inspect', '--format', '{{.State.Pid}}', container], 10_000);
      pid = inspect.code === 0 ? Number(inspect.stdout.trim()) || 0 : 0;
      if (pid === 0) await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
    const cgroup = pid === 0 ? undefined : memoryCgroup(pid);
    if (cgroup === undefined) return;
    while (!stopped) {
      try {
        last = sample(pid, cgroup);
      } catch {
        return; // the process has exited and its cgroup is gone
      }
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })().catch(() => undefined);
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return last;
    },
  };
}

export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
