/**
 * rejoin-watch.sh, run for real with bash against a fake AdminServer (its `zabstate` answer) and a
 * fake leader (something accepting connections on a peer's quorum port): when it restarts the
 * server, and when it must not.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { requireTool } from './support/tools';

const SCRIPT = path.join(__dirname, '..', 'lib', 'scripts', 'rejoin-watch.sh');
jest.setTimeout(30_000);

let bash: string;
let tmp: string;
let closers: (() => Promise<unknown>)[];

beforeAll(() => { bash = requireTool('bash'); });
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-rejoin-'));
  closers = [];
});
afterEach(async () => {
  await Promise.all(closers.map((close) => close()));
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function listen(server: net.Server, host = '127.0.0.1'): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  closers.push(() => new Promise((resolve) => server.close(resolve)));
  return (server.address() as net.AddressInfo).port;
}

/** The local AdminServer; `state()` is what `zabstate` reports at the time of the request. */
async function adminServer(state: () => string): Promise<number> {
  const server = http.createServer((req, res) => {
    res.setHeader('Content-Type', 'application/json');
    res.end(req.url === '/commands/zabstate' ? `{\n  "voting" : true,\n  "zabstate" : "${state()}",\n  "command" : "zabstate",\n  "error" : null\n}` : '{}');
  });
  return listen(server);
}

/** A peer's quorum port: open (a leader) or closed (nobody leads). */
async function quorumPort(leads: boolean): Promise<number> {
  const server = net.createServer((socket) => socket.destroy());
  const port = await listen(server, '127.0.0.2');
  if (!leads) await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Member 1 of 3 (its peers on 127.0.0.2, one quorum port each) watched for `ms`; returns how often
 * the server was restarted and what the watch logged.
 */
async function watch(adminPort: number, peerPorts: number[], ms: number, env: Record<string, string> = {}): Promise<{ restarts: number; log: string }> {
  const dataDir = path.join(tmp, 'data');
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(path.join(dataDir, 'myid'), '1\n');
  const zooCfg = path.join(tmp, 'zoo.cfg');
  fs.writeFileSync(zooCfg, [
    `dataDir=${dataDir}`,
    `admin.serverPort=${adminPort}`,
    'server.1=127.0.0.1:1:2',
    ...peerPorts.map((port, i) => `server.${i + 2}=127.0.0.2:${port}:${port + 1}`),
    '',
  ].join('\n'));
  const restarts = path.join(tmp, 'restarts');
  const child = spawn(bash, [SCRIPT, path.join(tmp, 'supervisord.conf')], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin', ZK_ZOO_CFG: zooCfg, REJOIN_ELECTION_SECONDS: '2', REJOIN_LEADER_SECONDS: '1',
      REJOIN_BACKOFF_SECONDS: '60', REJOIN_POLL_SECONDS: '0.2', REJOIN_RESTART: `echo restarted >> ${restarts}`, ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { log += chunk; });
  await new Promise((resolve) => setTimeout(resolve, ms));
  child.kill('SIGTERM');
  await new Promise((resolve) => child.on('close', resolve));
  const count = fs.existsSync(restarts) ? fs.readFileSync(restarts, 'utf8').split('\n').filter(Boolean).length : 0;
  return { restarts: count, log };
}

describe('rejoin-watch.sh (beside the server, in ensembles of more than one server)', () => {
  test('a member in election while a peer leads is restarted once the bounds have passed, and not again within the back-off', async () => {
    const { restarts, log } = await watch(await adminServer(() => 'ELECTION'), [await quorumPort(false), await quorumPort(true)], 6_000);

    expect(restarts).toBe(1);
    expect(log).toMatch(/member 1: in leader election for \d+ s while member 3 has led \(its quorum port answers\) for \d+ s; restarting the server/);
  });

  test('ZooKeeper\'s empty zabstate (before its first election ends) counts as in election', async () => {
    const { restarts } = await watch(await adminServer(() => ''), [await quorumPort(true), await quorumPort(false)], 5_000);
    expect(restarts).toBe(1);
  });

  test('with no leader reachable (the cut still holds, or no quorum) nothing is restarted', async () => {
    const { restarts, log } = await watch(await adminServer(() => 'ELECTION'), [await quorumPort(false), await quorumPort(false)], 5_000);
    expect(restarts).toBe(0);
    expect(log).toBe('');
  });

  test('a member syncing from the leader, however long, or serving, is left alone', async () => {
    const leader = await quorumPort(true);
    for (const state of ['DISCOVERY', 'SYNCHRONIZATION', 'BROADCAST']) {
      expect((await watch(await adminServer(() => state), [leader, await quorumPort(false)], 4_000)).restarts).toBe(0);
    }
  });

  test('a member that left election within the bound (it found the leader by itself) is not restarted', async () => {
    const started = Date.now();
    const { restarts } = await watch(await adminServer(() => (Date.now() - started < 1_200 ? 'ELECTION' : 'BROADCAST')), [await quorumPort(true)], 5_000);
    expect(restarts).toBe(0);
  });

  test('a server that does not answer (starting, stopped) restarts the count', async () => {
    const started = Date.now();
    // In election, then down for a moment (a supervisord restart) at each second: never 2 s in a row.
    const state = () => ((Date.now() - started) % 1_000 < 500 ? 'ELECTION' : 'down');
    const server = http.createServer((req, res) => {
      if (state() === 'down') { req.socket.destroy(); return; }
      res.end('{ "zabstate" : "ELECTION" }');
    });
    const { restarts } = await watch(await listen(server), [await quorumPort(true)], 5_000);
    expect(restarts).toBe(0);
  });
});
