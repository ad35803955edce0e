// A real ZooKeeper client (kazoo, in the client image built by setup.sh) running in a container on
// the ensemble's network, so it reaches members by their DNS names as an in-cluster client would.
import { ChildProcess } from 'child_process';
import { podman, podmanBackground, podmanRaw, Result, waitFor } from './podman';

/** Built by e2e/setup.sh from e2e/client/Containerfile. */
export const CLIENT_IMAGE = 'localhost/cdk8s-zookeeper-e2e-client:latest';

export interface WriteEvent {
  readonly acked?: number;
  readonly error?: string;
  /** Unix time in seconds, taken by the client. */
  readonly t: number;
}

/** How a command that may fail ended. */
export interface Attempt {
  /** The client's exit status: 0 when it did all it was asked. */
  readonly code: number | null;
  readonly acked: number[];
  /** What a read returned, when it returned. */
  readonly seqs?: number[];
  /** The client's last own message on stderr: why it gave up. */
  readonly why: string;
}

export interface StoppableWriter {
  /** Acks and errors so far, in the order the client printed them. */
  readonly events: WriteEvent[];
  /** Every event once the writer has ended; rejects if it failed on its own. */
  readonly done: Promise<WriteEvent[]>;
  /** Ends the writer now (idempotent) and resolves with all its events. */
  readonly stop: () => Promise<WriteEvent[]>;
}
/** TLS client material, as paths inside the client container (copied in with `copyIn`). */
export interface ClientTlsFiles {
  /** The CA certificate the client trusts (PEM). */
  readonly ca: string;
  /** The client's certificate and key (PEM), which ZooKeeper asks TLS clients for. */
  readonly certfile: string;
  readonly keyfile: string;
}

const tlsArgs = (tls?: ClientTlsFiles) => (tls ? ['--ca', tls.ca, '--certfile', tls.certfile, '--keyfile', tls.keyfile] : []);

/** The client program inside the client image (its entrypoint, e2e/client/zk-client.py). */
const CLIENT_PROGRAM = ['python3', '-u', '/opt/zk-e2e/zk-client.py'];

function jsonLines(text: string): any[] {
  return text.split('\n').filter((line) => line.trim().startsWith('{')).map((line) => JSON.parse(line));
}

/**
 * One long-lived client container; every command is exec'd in it. A container per command would
 * join and leave the network each time, which used to move the bridge's address and cut every
 * container off the DNS for up to 30 s (see PodmanCluster.pinBridgeAddress, the real fix). It
 * also keeps the network's bridge alive for the whole run, and it costs less than a container
 * per command.
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

  /** Copies a host directory into the client container (readable by the client's uid). */
  public async copyIn(hostDir: string, containerDir: string): Promise<void> {
    await podman(['cp', hostDir, `${this.container}:${containerDir}`]);
  }

  /** Runs any command in the client container (openssl, python3), without failing on its exit code. */
  public run(command: string[], timeoutMs = 30_000): Promise<Result> {
    return podmanRaw(['exec', this.container, ...command], timeoutMs);
  }

  /** Tries to start a session through `hosts` within `seconds`; the result says whether one was had. */
  public ping(hosts: string[], seconds: number, tls?: ClientTlsFiles): Promise<Result> {
    return podmanRaw(this.args(['ping', '--hosts', hosts.join(','), '--connect-timeout', String(seconds), ...tlsArgs(tls)]), (seconds + 30) * 1000);
  }

  /** Creates `count` znodes under `prefix` through `hosts`; returns the acknowledged sequence numbers. */
  public async write(hosts: string[], prefix: string, count: number, tls?: ClientTlsFiles): Promise<number[]> {
    const out = await podman(this.args(['write', '--hosts', hosts.join(','), '--prefix', prefix, '--count', String(count), ...tlsArgs(tls)]), 120_000);
    return jsonLines(out).filter((e) => e.acked !== undefined).map((e) => e.acked);
  }

  /** The sequence numbers under `prefix` as seen by exactly `hosts` (after a sync). */
  public async read(hosts: string[], prefix: string, tls?: ClientTlsFiles): Promise<number[]> {
    const out = await podman(this.args(['read', '--hosts', hosts.join(','), '--prefix', prefix, ...tlsArgs(tls)]), 60_000);
    const [result] = jsonLines(out).filter((e) => Array.isArray(e.seqs));
    if (!result) throw new Error(`the client printed no read result:\n${out}`);
    return result.seqs;
  }

  /** Whether the znode `path` exists, as `hosts` see it after a sync. */
  public async exists(hosts: string[], path: string): Promise<boolean> {
    const out = await podman(this.args(['read', '--hosts', hosts.join(','), '--prefix', path]), 60_000);
    const [result] = jsonLines(out).filter((e) => typeof e.exists === 'boolean');
    if (!result) throw new Error(`the client printed no read result:\n${out}`);
    return result.exists;
  }

  /**
   * One bounded command that is allowed to fail, e.g. a write while the ensemble has no quorum:
   * the client gets `seconds` to find a server that takes a session and as long again for its
   * requests. Returns what was acknowledged (or read) and how the command ended.
   */
  public async attempt(command: 'write' | 'read', hosts: string[], prefix: string, seconds: number): Promise<Attempt> {
    const bounds = ['--connect-timeout', String(seconds), '--op-timeout', String(seconds), ...(command === 'write' ? ['--count', '1', '--timeout', String(seconds)] : [])];
    const result = await podmanRaw(this.args([command, '--hosts', hosts.join(','), '--prefix', prefix, ...bounds]), (5 * seconds + 30) * 1000);
    const lines = jsonLines(result.stdout);
    return {
      code: result.code,
      acked: lines.filter((e) => e.acked !== undefined).map((e) => e.acked),
      seqs: lines.find((e) => Array.isArray(e.seqs))?.seqs,
      why: result.stderr.split('\n').filter((line) => line.startsWith('zk-client: ') && !line.startsWith('zk-client: kazoo')).pop()?.slice(11) ?? '',
    };
  }

  /**
   * A write-loop that the caller ends with `stop` once it has seen what it waits for, so a wait of
   * unknown length costs no more than it takes; `maxSeconds` only bounds it. zk-client.py has no
   * stop command: the shell prints its pid before exec'ing the client, and `stop` sends SIGTERM,
   * which ends it at once. Every ack it printed before has been read by then (lines are flushed).
   * `options`: more of the client's options, e.g. TLS files and SASL credentials.
   */
  public stoppableWriteLoop(hosts: string[], prefix: string, maxSeconds: number, options: string[] = []): StoppableWriter {
    const events: WriteEvent[] = [];
    let pid: number | undefined;
    let stopping = false;
    const loop = ['write-loop', '--hosts', hosts.join(','), '--prefix', prefix, '--duration', String(maxSeconds), ...options];
    const { done } = podmanBackground(
      ['exec', this.container, 'sh', '-c', 'echo "{\\"pid\\":$$}"; exec "$@"', 'sh', ...CLIENT_PROGRAM, ...loop],
      (line) => {
        if (!line.trim().startsWith('{')) return;
        const event = JSON.parse(line);
        if (event.pid !== undefined) pid = event.pid;
        else events.push(event);
      },
    );
    const finished = done.then((result) => {
      // 143: ended by stop's SIGTERM.
      if (result.code !== 0 && !(stopping && result.code === 143)) throw new Error(`write-loop exited ${result.code}:\n${result.stderr}`);
      return events;
    });
    // Awaited by the caller later; a writer failing on its own before then must not crash the run.
    finished.catch(() => undefined);
    const stop = async () => {
      if (stopping) return finished;
      stopping = true;
      await waitFor('the writer to print its pid', 10_000, 50, async () => pid);
      await podmanRaw(['exec', this.container, 'sh', '-c', `kill -TERM ${pid}`], 30_000);
      return finished;
    };
    return { events, done: finished, stop };
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
