/**
 * recover-data.sh, run for real with bash before each start of the server: what it sets aside on a
 * member's volume, and when it holds an empty member back until a peer leads.
 */
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { requireTool, runBounded, RunResult } from './support/tools';

const SCRIPT = path.join(__dirname, '..', 'lib', 'scripts', 'recover-data.sh');
const LIMIT_MS = 15_000;
jest.setTimeout(LIMIT_MS + 5_000);

/** The bytes ZooKeeper writes last in a snapshot: the checksum, then the string "/" (length 1). */
const SEAL = Buffer.from([0, 0, 0, 0, 0, 0, 0, 42, 0, 0, 0, 1, 0x2f]);

let bash: string;
let tmp: string;
let servers: net.Server[];
/** Leaders still to appear: a test that fails early must not leave one listening after it. */
let timers: NodeJS.Timeout[];

beforeAll(() => { bash = requireTool('bash'); });
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-recover-'));
  servers = [];
  timers = [];
});
afterEach(async () => {
  timers.forEach(clearTimeout);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface Member {
  readonly dataDir: string;
  readonly zooCfg: string;
  /** Writes files into version-2: `sealed` snapshots as ZooKeeper finishes them, others cut short. */
  readonly put: (files: Record<string, 'sealed' | 'truncated' | 'log'>) => void;
  readonly run: (env?: Record<string, string>) => Promise<RunResult>;
  readonly versionFiles: () => string[];
  readonly setAside: () => string[];
}

/** Member `myid` of a 3-member ensemble: server N on 127.0.0.N, at quorumPorts[N - 1]. */
function member(myid: number, quorumPorts: number[]): Member {
  const dataDir = path.join(tmp, 'data');
  fs.mkdirSync(path.join(dataDir, 'version-2'), { recursive: true });
  fs.writeFileSync(path.join(dataDir, 'myid'), `${myid}\n`);
  const zooCfg = path.join(tmp, 'zoo.cfg');
  fs.writeFileSync(zooCfg, [
    'tickTime=2000',
    `dataDir=${dataDir}`,
    ...quorumPorts.map((port, i) => `server.${i + 1}=127.0.0.${i + 1}:${port}:${port + 1000}`),
    '',
  ].join('\n'));
  const version2 = path.join(dataDir, 'version-2');
  return {
    dataDir,
    zooCfg,
    put: (files) => {
      for (const [name, kind] of Object.entries(files)) {
        const body = Buffer.alloc(64, 7);
        fs.writeFileSync(path.join(version2, name), kind === 'sealed' ? Buffer.concat([body, SEAL]) : body);
      }
    },
    run: (env = {}) => runBounded(bash, [SCRIPT, zooCfg], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ZK_LEADER_POLL_SECONDS: '1', ...env },
      timeoutMs: LIMIT_MS,
    }),
    versionFiles: () => fs.readdirSync(version2).sort(),
    setAside: () => {
      const root = path.join(dataDir, 'set-aside');
      if (!fs.existsSync(root)) return [];
      return fs.readdirSync(root).flatMap((stamp) => fs.readdirSync(path.join(root, stamp)).map((f) => `${stamp}/${f}`)).sort();
    },
  };
}

async function unusedPorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < count; i++) {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    ports.push((server.address() as net.AddressInfo).port);
    await new Promise((resolve) => server.close(resolve));
  }
  return ports;
}

/** A leader, as far as the script can tell: something accepting connections on a quorum port. */
function leadAfter(ms: number, myid: number, port: number): void {
  timers.push(setTimeout(() => {
    const server = net.createServer((socket) => socket.destroy());
    server.listen(port, `127.0.0.${myid}`);
    servers.push(server);
  }, ms));
}

describe('recover-data.sh (before every start of the server)', () => {
  test('a truncated newest snapshot is set aside into a dated folder; the older one and the logs stay for the server to load', async () => {
    const m = member(2, await unusedPorts(3));
    m.put({ 'snapshot.9': 'sealed', 'snapshot.1a': 'truncated', 'log.1': 'log', 'log.1b': 'log' });

    const result = await m.run();

    expect(result.code).toBe(0);
    expect(m.versionFiles()).toEqual(['log.1', 'log.1b', 'snapshot.9']);
    expect(m.setAside()).toEqual([expect.stringMatching(/^\d{8}T\d{6}Z\/snapshot\.1a$/)]);
    expect(result.stderr).toMatch(/member 2: snapshot snapshot\.1a is truncated .*set aside into .*set-aside\/\d{8}T\d{6}Z/);
  });

  test('snapshots are ordered by their hexadecimal zxid: a sealed snapshot.a is the newest, so a truncated snapshot.9 is left alone', async () => {
    const m = member(2, await unusedPorts(3));
    m.put({ 'snapshot.9': 'truncated', 'snapshot.a': 'sealed', 'log.1': 'log' });

    const result = await m.run();

    expect(result.code).toBe(0);
    expect(m.setAside()).toEqual([]);
    expect(m.versionFiles()).toEqual(['log.1', 'snapshot.9', 'snapshot.a']);
  });

  test('with no readable snapshot left the logs are set aside too, and the now empty member waits until a peer leads', async () => {
    const ports = await unusedPorts(3);
    const m = member(2, ports);
    m.put({ 'snapshot.0': 'truncated', 'snapshot.5': 'truncated', 'log.1': 'log' });
    leadAfter(2500, 3, ports[2]);

    const result = await m.run();

    expect(result.code).toBe(0);
    expect(m.versionFiles()).toEqual([]);
    expect(m.setAside().map((f) => f.split('/')[1]).sort()).toEqual(['log.1', 'snapshot.0', 'snapshot.5']);
    expect(result.stderr).toContain('logs set aside');
    expect(result.stderr).toContain('waiting for a peer to lead');
    expect(result.stderr).toMatch(/member 3 leads \(its quorum port \d+ answers\)/);
    // Held back until the leader appeared, not started at once.
    expect(result.elapsedMs).toBeGreaterThanOrEqual(2400);
  });

  test('an empty member whose data was set aside earlier (a restart before it synced) still waits for a leader', async () => {
    const ports = await unusedPorts(3);
    const m = member(1, ports);
    fs.mkdirSync(path.join(m.dataDir, 'set-aside', '20260101T000000Z'), { recursive: true });
    leadAfter(1500, 2, ports[1]);

    const result = await m.run();

    expect(result.code).toBe(0);
    expect(result.stderr).toContain('its data was set aside');
    expect(result.elapsedMs).toBeGreaterThanOrEqual(1400);
  });

  test('an empty member with nothing set aside and no survivor named starts at once (a new ensemble)', async () => {
    const m = member(3, await unusedPorts(3));

    const result = await m.run();

    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
  });

  test('rebuilding from a survivor: the lowest other member starts empty at once, the next waits until a peer leads', async () => {
    const ports = await unusedPorts(3);
    // GIVEN zookeeper-1 (member 2) survives, members 1 and 3 are empty
    const first = member(1, ports);
    const env = { ZK_RECOVER_FROM: '127.0.0.2' };
    const started = await first.run(env);
    expect(started.code).toBe(0);
    expect(started.stderr).toContain('the first empty member starts now');

    fs.rmSync(path.join(tmp, 'data'), { recursive: true });
    const third = member(3, ports);
    leadAfter(2000, 2, ports[1]);
    const held = await third.run(env);
    expect(held.code).toBe(0);
    expect(held.stderr).toMatch(/rebuilt from 127\.0\.0\.2 \(member 2\) and member 1 joins it first/);
    expect(held.stderr).toContain('member 2 leads');
    expect(held.elapsedMs).toBeGreaterThanOrEqual(1900);
  });

  test('a survivor named that is empty itself, or names no member, refuses to start', async () => {
    const ports = await unusedPorts(3);
    const m = member(2, ports);
    // Members by pod name, as the StatefulSet's peer names begin.
    fs.writeFileSync(m.zooCfg, `dataDir=${m.dataDir}\nserver.1=zk-0.peers:${ports[0]}:3888\nserver.2=zk-1.peers:${ports[1]}:3888\nserver.3=zk-2.peers:${ports[2]}:3888\n`);

    const survivorEmpty = await m.run({ ZK_RECOVER_FROM: 'zk-1' });
    const unknown = await m.run({ ZK_RECOVER_FROM: 'zk-7' });

    expect(survivorEmpty.code).toBe(1);
    expect(survivorEmpty.stderr).toContain('ZK_RECOVER_FROM names this member, but its volume is empty: refusing to start');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('ZK_RECOVER_FROM=zk-7 names no member of');
  });

  test('a member with data starts at once whatever survivor is named', async () => {
    const m = member(3, await unusedPorts(3));
    m.put({ 'snapshot.3': 'sealed', 'log.1': 'log' });

    const result = await m.run({ ZK_RECOVER_FROM: '127.0.0.2' });

    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
  });

  test('logs on their own volume (dataLogDir) are set aside on that volume, not copied onto the data volume', async () => {
    const ports = await unusedPorts(3);
    const m = member(2, ports);
    const txnLogDir = path.join(tmp, 'txnlog');
    fs.mkdirSync(path.join(txnLogDir, 'version-2'), { recursive: true });
    fs.writeFileSync(path.join(txnLogDir, 'version-2', 'log.1'), 'x');
    fs.appendFileSync(m.zooCfg, `dataLogDir=${txnLogDir}\n`);
    m.put({ 'snapshot.0': 'truncated' });
    leadAfter(500, 1, ports[0]);

    const result = await m.run();

    expect(result.code).toBe(0);
    const [stamp] = fs.readdirSync(path.join(txnLogDir, 'set-aside'));
    expect(fs.readdirSync(path.join(txnLogDir, 'set-aside', stamp))).toEqual(['log.1']);
    expect(m.setAside()).toEqual([`${stamp}/snapshot.0`]);
  });

  test('rebuilding from a survivor, an observer is never the member that starts first: it cannot vote for a quorum', async () => {
    const ports = await unusedPorts(4);
    // GIVEN observer 1 (the lowest id, to tell the rule apart from "lowest id") and voters 2..4; member 3 survives
    const m = member(1, ports.slice(0, 3));
    fs.writeFileSync(m.zooCfg, `dataDir=${m.dataDir}\n${ports.map((p, i) => `server.${i + 1}=127.0.0.${i + 1}:${p}:3888${i === 0 ? ':observer' : ''}`).join('\n')}\n`);
    leadAfter(1000, 3, ports[2]);

    const observer = await m.run({ ZK_RECOVER_FROM: '127.0.0.3' });

    expect(observer.code).toBe(0);
    expect(observer.stderr).toContain('and member 2 joins it first');
    expect(observer.elapsedMs).toBeGreaterThanOrEqual(900);
  });
});

