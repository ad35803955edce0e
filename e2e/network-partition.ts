// A network partition of one pod, for scenarios 10 and 20: the member is cut off from its peers on
// the quorum and election ports while everything else, the client port, probes and the metrics
// port included, stays reachable. On a cluster a NetworkPolicy or a node losing its network does
// this; here iptables rules go into the pod's network namespace, set from the host (the containers
// have no CAP_NET_ADMIN, as on a cluster).
import { execFileSync } from 'child_process';
import { PodmanCluster } from './cluster';
import { podman } from './podman';

/**
 * Which peer traffic the cut member loses. `both`: nothing in, nothing out. `inbound`: what it
 * sends still leaves, what its peers send never arrives (TCP acknowledgements included), the
 * one-way cut of a member that can talk but not listen.
 */
export type CutDirection = 'both' | 'inbound';

/**
 * Drops TCP whose source or destination port is one of `ports`: new and established peer
 * connections alike, whichever side opened them.
 */
export function partitionRules(ports: number[], direction: CutDirection = 'both'): string[][] {
  const chains = direction === 'both' ? ['INPUT', 'OUTPUT'] : ['INPUT'];
  return chains.map((chain) => [chain, '-p', 'tcp', '-m', 'multiport', '--ports', ports.join(','), '-j', 'DROP']);
}

/** Cuts the pod off; resolves once every rule is in place (the cut's start, for timings). */
export async function partition(cluster: PodmanCluster, pod: string, ports: number[], direction: CutDirection = 'both'): Promise<void> {
  const pid = await containerPid(cluster, pod);
  for (const rule of partitionRules(ports, direction)) iptables(pid, ['-A', ...rule]);
}

/** Removes exactly the rules `partition` added with the same arguments. */
export async function heal(cluster: PodmanCluster, pod: string, ports: number[], direction: CutDirection = 'both'): Promise<void> {
  const pid = await containerPid(cluster, pod);
  for (const rule of partitionRules(ports, direction)) iptables(pid, ['-D', ...rule]);
}

async function containerPid(cluster: PodmanCluster, pod: string): Promise<string> {
  return (await podman(['inspect', '--format', '{{.State.Pid}}', cluster.containerName(pod)])).trim();
}

function iptables(pid: string, args: string[]): void {
  execFileSync('nsenter', ['-t', pid, '-n', 'iptables', '-w', '10', ...args], { timeout: 20_000, stdio: 'pipe' });
}
