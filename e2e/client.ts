// A real ZooKeeper client (kazoo, in the client image built by setup.sh) running in a container on
// the ensemble's network, so it reaches members by their DNS names as an in-cluster client would.
import { ChildProcess } from 'child_process';
import { podman, podmanBackground } from './podman';

/** Built by e2e/setup.sh from e2e/client/Containerfile. */
export const CLIENT_IMAGE = 'localhost/cdk8s-zookeeper-e2e-client:latest';

export interface WriteEvent {
  readonly acked?: number;
  readonly error?: string;
  /** Unix time in seconds, taken by the client. */
  readonly t: number;
}

function clientArgs(network: string, command: string[]): string[] {
  // The image's entrypoint is the client program (e2e/client/zk-client.py).
  return ['run', '--rm', '--network', network, CLIENT_IMAGE, ...command];
}

function jsonLines(text: string): any[] {
  return text.split('\n').filter((line) => line.trim().startsWith('{')).map((line) => JSON.parse(line));
}

export class ZooKeeperClient {
  constructor(private readonly network: string) {}

  /** Creates `count` znodes under `prefix` through `hosts`; returns the acknowledged sequence numbers. */
  public async write(hosts: string[], prefix: string, count: number): Promise<number[]> {
    const out = await podman(clientArgs(this.network, ['write', '--hosts', hosts.join(','), '--prefix', prefix, '--count', String(count)]), 120_000);
    return jsonLines(out).filter((e) => e.acked !== undefined).map((e) => e.acked);
  }

  /** The sequence numbers under `prefix` as seen by exactly `hosts` (after a sync). */
  public async read(hosts: string[], prefix: string): Promise<number[]> {
    const out = await podman(clientArgs(this.network, ['read', '--hosts', hosts.join(','), '--prefix', prefix]), 60_000);
    const [result] = jsonLines(out).filter((e) => Array.isArray(e.seqs));
    if (!result) throw new Error(`the client printed no read result:\n${out}`);
    return result.seqs;
  }

  /** Starts a writer that keeps creating znodes for `seconds`, recording every ack and error. */
  public writeLoop(hosts: string[], prefix: string, seconds: number): { events: WriteEvent[]; child: ChildProcess; done: Promise<WriteEvent[]> } {
    const events: WriteEvent[] = [];
    const { child, done } = podmanBackground(
      clientArgs(this.network, ['write-loop', '--hosts', hosts.join(','), '--prefix', prefix, '--duration', String(seconds)]),
      (line) => { if (line.trim().startsWith('{')) events.push(JSON.parse(line)); },
    );
    return {
      events,
      child,
      done: done.then((result) => {
        if (result.code !== 0) throw new Error(`write-loop exited ${result.code}:\n${result.stderr}`);
        return events;
      }),
    };
  }
}
