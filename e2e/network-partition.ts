// A network partition of one pod, for scenario 10: the member is cut off from its peers on the
// quorum and election ports (both directions) while everything else, probes and the metrics port
// included, stays reachable. On a cluster a NetworkPolicy or a node losing its network does this;
// here iptables rules go into the pod's network namespace, set from the host (the containers have
// no CAP_NET_ADMIN, as on a cluster).
import { execFileSync } from 'child_process';
import { PodmanCluster } from './cluster';
import { podman } from './podman';

/** Drops TCP to and from `ports` in both chains: new and established peer connections alike. */
export function partitionRules(ports: number[]): string[][] {
  const list = ports.join(',');
  return [
    ['INPUT', '-p', 'tcp', '-m', 'multiport', '--ports', list, '-j', 'DROP'],
    ['OUTPUT', '-p', 'tcp', '-m', 'multiport', '--ports', list, '-j', 'DROP'],
  ];
}

export async function partition(cluster: PodmanCluster, pod: string, ports: number[]): Promise<void> {
  for (const rule of partitionRules(ports)) await iptables(cluster, pod, ['-A', ...rule]);
}

/** Removes exactly the rules `partition` added. */
export async function heal(cluster: PodmanCluster, pod: string, ports: number[]): Promise<void> {
  for (const rule of partitionRules(ports)) await iptables(cluster, pod, ['-D', ...rule]);
}

async function iptables(cluster: PodmanCluster, pod: string, args: string[]): Promise<void> {
  const pid = (await podman(['inspect', '--format', '{{.State.Pid}}', cluster.containerName(pod)])).trim();
  execFileSync('nsenter', ['-t', pid, '-n', 'iptables', '-w', '10', ...args], { timeout: 20_000, stdio: 'pipe' });
}
