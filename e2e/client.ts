// A real ZooKeeper client (kazoo, in the client image built by setup.sh) running in a container on
// the ensemble's network, so it reaches members by their DNS names as an in-cluster client would.
import { ChildProcess } from 'child_process';
import { podman, podmanBackground, podmanRaw } from './podman';

/** Built by e2e/setup.sh from e2e/client/Containerfile. */
export const CLIENT_IMAGE = 'localhost/cdk8s-zookeeper-e2e-client:latest';

export interface WriteEvent {
  readonly acked?: number;
  readonly error?: string;
  /** Unix time in seconds, taken by the client. */
  readonly t: number;
}

/** The client program inside the client image (its entrypoint, e2e/client/zk-client.py). */
const CLIENT_PROGRAM = ['python3', '-u', '/opt/zk-e2e/zk-client.py'];

function jsonLines(text: string): any[] {
  return text.split('\n').filter((line) => line.trim().startsWith('{')).map((line) => JSON.parse(line));
}

/**
 * One long-lived client container; every command is exec'd in it. A container per command would
 * join and leave the network each time, and every change makes aardvark-dns reload its records:
 * members then intermittently failed to resolve each other (seen as `<unresolved>` peers and a
 * 40 s start-up stall), which is this test bed's problem, not the ensemble's.
 */
export class ZooKeeperClient {
  private readonly container: string;

  constructor(private readonly network: string) {
    this.container = `${network}-client`;
  }

  public async start(): Promise<void> {
    await podmanRaw(['rm', '--force', this.container]);
    await podman(['run', '--detach', '--name', this.container, '--network', this.network, '--entrypoint', 'sleep', CLIENT_IMAGE, 'infinity']);
  }

  public async stop(): Promise<void> {
    await podmanRaw(['rm', '--force', '--time', '0', this.container], 30_000);
  }

  private args(command: string[]): string[] {
    return ['exec', this.container, ...CLIENT_PROGRAM, ...command];
  }

  /**
   * Runs one client command (`write`, `read`, `ping`) with any options, e.g. SASL credentials;
   * the result is returned whatever the exit code, for scenarios that expect a refusal.
   */
  public command(args: string[], timeoutMs = 120_000): Promise<{ code: number | null; stdout: string; stderr: string; events: any[] }> {
    return podmanRaw(this.args(args), timeoutMs).then((r) => ({ ...r, events: jsonLines(r.stdout) }));
  }

  /** Creates `count` znodes under `prefix` through `hosts`; returns the acknowledged sequence numbers. */
  public async write(hosts: string[], prefix: string, count: number): Promise<number[]> {
    const out = await podman(this.args(['write', '--hosts', hosts.join(','), '--prefix', prefix, '--count', String(count)]), 120_000);
    return jsonLines(out).filter((e) => e.acked !== undefined).map((e) => e.acked);
  }

  /** The sequence numbers under `prefix` as seen by exactly `hosts` (after a sync). */
  public async read(hosts: string[], prefix: string): Promise<number[]> {
    const out = await podman(this.args(['read', '--hosts', hosts.join(','), '--prefix', prefix]), 60_000);
    const [result] = jsonLines(out).filter((e) => Array.isArray(e.seqs));
    if (!result) throw new Error(`the client printed no read result:\n${out}`);
    return result.seqs;
  }

  /** Starts a writer that keeps creating znodes for `seconds`, recording every ack and error. */
  public writeLoop(hosts: string[], prefix: string, seconds: number): { events: WriteEvent[]; child: ChildProcess; done: Promise<WriteEvent[]> } {
    const events: WriteEvent[] = [];
    const { child, done } = podmanBackground(
      this.args(['write-loop', '--hosts', hosts.join(','), '--prefix', prefix, '--duration', String(seconds)]),
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
