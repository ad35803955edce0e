/**
 * Behaviour of the metrics exporter that supervisord runs beside ZooKeeper on images without the
 * native Prometheus provider (lib/scripts/zookeeper-exporter.py), run for real with python3 against
 * a fake client port that replays mntr replies recorded from the project's image
 * (test/fixtures/README.md says how). What it serves must read like the native provider's output.
 */
import { ChildProcessWithoutNullStreams, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import {
  JVM_METRIC_NAMES, LEADER_ONLY_METRIC_NAMES, NATIVE_METRIC_NAMES, QUORUM_ONLY_METRIC_NAMES,
} from '../lib/metrics/native-metrics';
import { resolveEnsemble } from '../lib/model/resolve';
import { renderAlertRules } from '../lib/render/alert-rules';
import { dashboardMetricNames } from '../lib/render/dashboard';
import {
  Answer, closeWithoutAnswer, FakeFourLetterServer, neverAnswer, notWhitelisted, reply, startFakeFourLetterServer, unusedPort,
} from './support/fake-four-letter-server';
import { requirePrometheusTool, requireTool, runBounded } from './support/tools';

const EXPORTER = path.join(__dirname, '..', 'lib', 'scripts', 'zookeeper-exporter.py');
const FIXTURES = path.join(__dirname, 'fixtures');
const MNTR = {
  leader: fs.readFileSync(path.join(FIXTURES, 'mntr', 'leader.txt'), 'utf8'),
  follower: fs.readFileSync(path.join(FIXTURES, 'mntr', 'follower.txt'), 'utf8'),
  standalone: fs.readFileSync(path.join(FIXTURES, 'mntr', 'standalone.txt'), 'utf8'),
  notServing: fs.readFileSync(path.join(FIXTURES, 'mntr', 'not-serving.txt'), 'utf8'),
};
/** The recorded JVM ran with -Xms256m -Xmx256m. */
const RECORDED_HEAP_BYTES = 256 * 1024 * 1024;
/** The exporter's own budget for one mntr exchange. */
const MNTR_TIMEOUT_MS = 2_000;
const OWN_METRICS = ['zookeeper_exporter_jvm_up', 'zookeeper_exporter_mntr_up', 'zookeeper_exporter_scrape_duration_seconds'];

jest.setTimeout(15_000);

let python: string;
let tmp: string;
/** A perf-data directory without any JVM in it. */
let noJvm: string;
let liveProcess: ChildProcessWithoutNullStreams;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(() => {
  python = requireTool('python3');
  // Stands in for the ZooKeeper JVM: the exporter only needs a live pid to trust a perf-data file.
  liveProcess = spawn('sleep', ['60']);
});

afterAll(() => {
  liveProcess.kill('SIGKILL');
});

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-exporter-'));
  noJvm = path.join(tmp, 'no-jvm');
  fs.mkdirSync(noJvm);
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface Exporter {
  readonly port: number;
  readonly process: ChildProcessWithoutNullStreams;
}

/** Starts the exporter as supervisord does (plus a loopback listen address) and waits for its start line. */
async function startExporter(zookeeperPort: number, perfDataDir = noJvm): Promise<Exporter> {
  const port = await unusedPort();
  const child = spawn(python, [EXPORTER, '--listen-address', '127.0.0.1', '--listen-port', String(port),
    '--zookeeper', `127.0.0.1:${zookeeperPort}`, '--perf-data-dir', perfDataDir]);
  cleanups.push(() => { child.kill('SIGKILL'); });
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`exporter did not start within 5 s: ${stderr}`)), 5_000);
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.includes('serving /metrics')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exporter exited with ${code}: ${stderr}`));
    });
  });
  return { port, process: child };
}

async function fakeZooKeeper(answers: Record<string, Answer>): Promise<FakeFourLetterServer> {
  const server = await startFakeFourLetterServer(answers);
  cleanups.push(() => server.close());
  return server;
}

/** The exporter against a fake server answering mntr with `text`. */
async function exporterFor(text: string, perfDataDir = noJvm): Promise<Exporter> {
  const server = await fakeZooKeeper({ mntr: reply(text) });
  return startExporter(server.port, perfDataDir);
}

interface Scrape {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  readonly elapsedMs: number;
}

function scrape(port: number, urlPath = '/metrics'): Promise<Scrape> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const request = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false, timeout: 5_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => { body += chunk; });
      response.on('end', () => resolve({
        status: response.statusCode ?? 0,
        contentType: String(response.headers['content-type']),
        body,
        elapsedMs: Date.now() - started,
      }));
    });
    request.on('timeout', () => request.destroy(new Error('no answer within 5 s')));
    request.on('error', reject);
  });
}

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

function samples(body: string): Sample[] {
  return body.split('\n').filter((line) => line !== '' && !line.startsWith('#')).map((line) => {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    return { name: match[1], labels, value: Number(match[3]) };
  });
}

const names = (body: string): Set<string> => new Set(samples(body).map((s) => s.name));

/** The value of the one sample called `name` with exactly `labels`; fails when there is none. */
function valueOf(body: string, name: string, labels: Record<string, string> = {}): number {
  const found = samples(body).filter((s) => s.name === name && JSON.stringify(s.labels) === JSON.stringify(labels));
  if (found.length !== 1) throw new Error(`expected one ${name}${JSON.stringify(labels)}, found ${found.length}`);
  return found[0].value;
}

/** A value from a recorded mntr reply. */
function mntrValue(text: string, key: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${key}\t`));
  if (line === undefined) throw new Error(`${key} is not in the fixture`);
  return Number(line.split('\t')[1]);
}

/**
 * A perf-data directory holding the recorded ZooKeeper JVM's file, filed under `pid` and the user
 * name, as the JVM files it.
 */
function perfDataDirWithJvm(pid: number, userName = os.userInfo().username): string {
  const dir = path.join(tmp, 'perf');
  fs.mkdirSync(path.join(dir, `hsperfdata_${userName}`), { recursive: true });
  fs.copyFileSync(path.join(FIXTURES, 'hsperfdata', 'zookeeper-g1.bin'), path.join(dir, `hsperfdata_${userName}`, String(pid)));
  return dir;
}

describe('zookeeper-exporter.py serves mntr under the native provider names', () => {
  test('a leader\'s mntr becomes the native names and values: gauges plain, summaries as _count and _sum', async () => {
    // GIVEN the exporter beside a leader
    const exporter = await exporterFor(MNTR.leader);

    // WHEN Prometheus scrapes it
    const result = await scrape(exporter.port);

    // THEN the values are the leader's, under the provider's names
    expect(result.status).toBe(200);
    expect(result.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const body = result.body;
    expect(valueOf(body, 'znode_count')).toBe(mntrValue(MNTR.leader, 'zk_znode_count'));
    expect(valueOf(body, 'leader_uptime')).toBe(mntrValue(MNTR.leader, 'zk_leader_uptime'));
    expect(valueOf(body, 'synced_followers')).toBe(2);
    expect(valueOf(body, 'fsynctime_count')).toBe(mntrValue(MNTR.leader, 'zk_cnt_fsynctime'));
    expect(valueOf(body, 'fsynctime_sum')).toBe(mntrValue(MNTR.leader, 'zk_sum_fsynctime'));
    expect(valueOf(body, 'election_time_count')).toBe(1);
    expect(valueOf(body, 'readlatency_sum')).toBe(mntrValue(MNTR.leader, 'zk_sum_readlatency'));
    expect(valueOf(body, 'zookeeper_exporter_mntr_up')).toBe(1);
    // avg/min/max_latency have no zk_cnt_latency: they are the provider's plain gauges, not a summary
    expect(valueOf(body, 'avg_latency')).toBe(1.8333);
    expect(valueOf(body, 'max_latency')).toBe(mntrValue(MNTR.leader, 'zk_max_latency'));
    expect(body).toMatch(/^# TYPE avg_latency (gauge|untyped)$/m);
    expect(body).toMatch(/^# TYPE fsynctime summary$/m);
    // summary sets carry their key as a label, as the provider's do
    expect(valueOf(body, 'write_per_namespace_count', { key: 'zkexp' })).toBe(mntrValue(MNTR.leader, 'zk_cnt_zkexp_write_per_namespace'));
    expect(valueOf(body, 'learner_handler_qp_size_sum', { key: '3' })).toBe(mntrValue(MNTR.leader, 'zk_sum_3_learner_handler_qp_size'));
    // quorum_ack_latency is a summary of its own, not the ack_latency set for a peer called "quorum"
    expect(valueOf(body, 'quorum_ack_latency_sum')).toBe(mntrValue(MNTR.leader, 'zk_sum_quorum_ack_latency'));
    expect(names(body).has('ack_latency_count')).toBe(false);

    // AND nothing keeps mntr's spelling: no zk_ prefix, no summary parts, no text values
    const served = [...names(body)];
    expect(served.filter((name) => name.startsWith('zk_'))).toEqual([]);
    const summaryBases = MNTR.leader.split('\n').filter((l) => l.startsWith('zk_cnt_')).map((l) => l.split('\t')[0].slice('zk_cnt_'.length));
    expect(summaryBases).toContain('readlatency');
    const parts = served.filter((name) => summaryBases.some((base) => new RegExp(`^(avg|min|max|cnt|sum|p\\d+)_${base}$`).test(name)));
    expect(parts).toEqual([]);
    expect(served.filter((name) => /^(version|server_state|peer_state)$/.test(name))).toEqual([]);
  });

  test.each(['leader', 'follower', 'standalone'] as const)('every name served for a %s, besides its own, is one the native provider exports', async (role) => {
    const exporter = await exporterFor(MNTR[role], perfDataDirWithJvm(liveProcess.pid!));

    const body = (await scrape(exporter.port)).body;

    const served = [...names(body)];
    expect(served.length).toBeGreaterThan(100);
    expect(served.filter((name) => !name.startsWith('zookeeper_exporter_') && !NATIVE_METRIC_NAMES.has(name))).toEqual([]);
    // the exporter's own names cannot shadow a native one
    expect(OWN_METRICS.filter((name) => NATIVE_METRIC_NAMES.has(name))).toEqual([]);
  });

  test('only the leader serves the leader-only names; a standalone server has no quorum_size', async () => {
    const leader = names((await scrape((await exporterFor(MNTR.leader)).port)).body);
    const follower = names((await scrape((await exporterFor(MNTR.follower)).port)).body);
    const standalone = names((await scrape((await exporterFor(MNTR.standalone)).port)).body);

    expect(LEADER_ONLY_METRIC_NAMES.filter((name) => !leader.has(name))).toEqual([]);
    expect(LEADER_ONLY_METRIC_NAMES.filter((name) => follower.has(name) || standalone.has(name))).toEqual([]);
    expect(QUORUM_ONLY_METRIC_NAMES.filter((name) => !leader.has(name) || !follower.has(name))).toEqual([]);
    expect(QUORUM_ONLY_METRIC_NAMES.filter((name) => standalone.has(name))).toEqual([]);
    // the per-server gauges the alert rules rely on are there in every serving role
    for (const served of [leader, follower, standalone]) expect(served.has('znode_count')).toBe(true);
  });

  test('per-peer ack_latency, which mntr prints only every ackLoggingFrequency-th proposal, is labelled with the peer\'s id', async () => {
    // GIVEN a leader's reply with the lines a sampled ack from server 2 adds (the recorded leader saw
    // fewer proposals than the default sampling interval of 1000, so these are written by hand)
    const sampled = ['avg 3.0', 'min 1', 'max 5', 'cnt 2', 'sum 6', 'p50 1', 'p95 5', 'p99 5', 'p999 5']
      .map((part) => `zk_${part.split(' ')[0]}_2_ack_latency\t${part.split(' ')[1]}\n`).join('');
    const exporter = await exporterFor(MNTR.leader + sampled);

    const body = (await scrape(exporter.port)).body;

    expect(valueOf(body, 'ack_latency_count', { key: '2' })).toBe(2);
    expect(valueOf(body, 'ack_latency_sum', { key: '2' })).toBe(6);
    expect(valueOf(body, 'quorum_ack_latency_count')).toBe(mntrValue(MNTR.leader, 'zk_cnt_quorum_ack_latency'));
    expect([...names(body)].filter((name) => name.includes('2_ack_latency'))).toEqual([]);
  });

  test('answers / like /metrics and 404 for anything else', async () => {
    const exporter = await exporterFor(MNTR.follower);

    const root = await scrape(exporter.port, '/');
    const other = await scrape(exporter.port, '/admin');

    expect(root.status).toBe(200);
    expect(valueOf(root.body, 'znode_count')).toBe(mntrValue(MNTR.follower, 'zk_znode_count'));
    expect(other.status).toBe(404);
  });
});

describe('zookeeper-exporter.py when ZooKeeper is not serving', () => {
  /** Only the exporter's own series: what `up == 1 unless znode_count` needs to see. */
  function expectNoZooKeeperMetrics(result: Scrape): void {
    expect(result.status).toBe(200);
    expect([...names(result.body)].sort()).toEqual(OWN_METRICS);
    expect(valueOf(result.body, 'zookeeper_exporter_mntr_up')).toBe(0);
  }

  test('a member outside a quorum gives 200 with no ZooKeeper series and mntr_up 0', async () => {
    const exporter = await exporterFor(MNTR.notServing);

    const result = await scrape(exporter.port);

    expectNoZooKeeperMetrics(result);
  });

  test('mntr missing from the whitelist gives the same, and the exporter says why once', async () => {
    const server = await fakeZooKeeper({ mntr: notWhitelisted('mntr') });
    const exporter = await startExporter(server.port);
    let stderr = '';
    exporter.process.stderr.on('data', (chunk: string) => { stderr += chunk; });

    expectNoZooKeeperMetrics(await scrape(exporter.port));
    expectNoZooKeeperMetrics(await scrape(exporter.port));

    // (the log line and the response travel on different pipes: give the line a moment)
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(stderr.match(/not in the whitelist/g)).toHaveLength(1);
  });

  test('a refused connection gives the same at once', async () => {
    const exporter = await startExporter(await unusedPort());

    const result = await scrape(exporter.port);

    expectNoZooKeeperMetrics(result);
    expect(result.elapsedMs).toBeLessThan(MNTR_TIMEOUT_MS);
  });

  test('a server that closes without answering gives the same', async () => {
    const server = await fakeZooKeeper({ mntr: closeWithoutAnswer() });
    const exporter = await startExporter(server.port);

    expectNoZooKeeperMetrics(await scrape(exporter.port));
  });

  test('a server that never answers gives the same once the 2 s mntr timeout has passed, not later', async () => {
    const server = await fakeZooKeeper({ mntr: neverAnswer() });
    const exporter = await startExporter(server.port);

    const result = await scrape(exporter.port);

    expectNoZooKeeperMetrics(result);
    expect(result.elapsedMs).toBeGreaterThanOrEqual(MNTR_TIMEOUT_MS - 100);
    expect(result.elapsedMs).toBeLessThan(MNTR_TIMEOUT_MS + 1_000);
  });

  test('keeps working across a ZooKeeper restart on the same port', async () => {
    // GIVEN the exporter following the client port, with a leader behind it
    const clientPort = await unusedPort();
    let stopClientPort = await forward(clientPort, (await fakeZooKeeper({ mntr: reply(MNTR.leader) })).port);
    cleanups.push(stopClientPort);
    const exporter = await startExporter(clientPort);
    expect(valueOf((await scrape(exporter.port)).body, 'zookeeper_exporter_mntr_up')).toBe(1);

    // WHEN ZooKeeper goes away
    await stopClientPort();
    const down = await scrape(exporter.port);

    // THEN the scrape still succeeds, without ZooKeeper series
    expectNoZooKeeperMetrics(down);

    // AND WHEN it comes back (as a follower now) THEN its series are back
    stopClientPort = await forward(clientPort, (await fakeZooKeeper({ mntr: reply(MNTR.follower) })).port);
    cleanups.push(stopClientPort);
    const back = (await scrape(exporter.port)).body;
    expect(valueOf(back, 'zookeeper_exporter_mntr_up')).toBe(1);
    expect(valueOf(back, 'znode_count')).toBe(mntrValue(MNTR.follower, 'zk_znode_count'));
    expect(names(back).has('leader_uptime')).toBe(false);
    expect(exporter.process.exitCode).toBeNull();
  });
});

/** Listens on `port` and relays each connection to `target`: a client port that can go down and come back. */
async function forward(port: number, target: number): Promise<() => Promise<void>> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  let stopped = false;
  return () => new Promise<void>((resolve) => {
    if (stopped) return resolve();
    stopped = true;
    for (const socket of sockets) socket.destroy();
    server.close(() => resolve());
  });
}

describe('zookeeper-exporter.py reads the JVM figures from hsperfdata', () => {
  test('heap, GC and process figures of the recorded G1 JVM are served under simpleclient_hotspot\'s names', async () => {
    // GIVEN the recorded ZooKeeper JVM's perf-data file, filed under a live pid
    const exporter = await exporterFor(MNTR.leader, perfDataDirWithJvm(liveProcess.pid!));

    const body = (await scrape(exporter.port)).body;

    // THEN the heap is the -Xms/-Xmx the JVM ran with, and used fits inside it
    const heap = (family: string) => valueOf(body, `jvm_memory_bytes_${family}`, { area: 'heap' });
    expect(heap('max')).toBe(RECORDED_HEAP_BYTES);
    expect(heap('committed')).toBe(RECORDED_HEAP_BYTES);
    expect(heap('used')).toBeGreaterThan(0);
    expect(heap('used')).toBeLessThanOrEqual(heap('committed'));
    const nonHeap = (family: string) => valueOf(body, `jvm_memory_bytes_${family}`, { area: 'nonheap' });
    expect(nonHeap('used')).toBeGreaterThan(0);
    expect(nonHeap('used')).toBeLessThanOrEqual(nonHeap('committed'));
    // the JVM had made one young collection of about 8 ms and no full one, labelled as the MXBeans are
    expect(valueOf(body, 'jvm_gc_collection_seconds_count', { gc: 'G1 Young Generation' })).toBe(1);
    expect(valueOf(body, 'jvm_gc_collection_seconds_sum', { gc: 'G1 Young Generation' })).toBeCloseTo(0.008, 3);
    expect(valueOf(body, 'jvm_gc_collection_seconds_count', { gc: 'G1 Old Generation' })).toBe(0);
    // process figures come from the live process behind the pid
    expect(valueOf(body, 'process_open_fds')).toBeGreaterThan(0);
    expect(valueOf(body, 'process_max_fds')).toBeGreaterThanOrEqual(valueOf(body, 'process_open_fds'));
    expect(valueOf(body, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(valueOf(body, 'process_cpu_seconds_total')).toBeGreaterThanOrEqual(0);
    expect(valueOf(body, 'process_start_time_seconds')).toBeGreaterThan(Date.UTC(2020, 0, 1) / 1000);
    expect(valueOf(body, 'zookeeper_exporter_jvm_up')).toBe(1);
    // AND these are the simpleclient_hotspot series it can serve from hsperfdata and /proc
    const served = names(body);
    expect(JVM_METRIC_NAMES.filter((name) => served.has(name))).toEqual([
      'process_cpu_seconds_total', 'process_max_fds', 'process_open_fds', 'process_resident_memory_bytes',
      'process_start_time_seconds', 'process_virtual_memory_bytes',
      'jvm_memory_bytes_committed', 'jvm_memory_bytes_max', 'jvm_memory_bytes_used',
      'jvm_gc_collection_seconds_count', 'jvm_gc_collection_seconds_sum',
    ]);
  });

  test('a platform-assigned uid\'s perf data is found too: the runtime names that user after the number', async () => {
    // GIVEN the JVM ran as uid 1000770000, which CRI-O and podman add to /etc/passwd as "1000770000"
    const exporter = await exporterFor(MNTR.leader, perfDataDirWithJvm(liveProcess.pid!, '1000770000'));

    const body = (await scrape(exporter.port)).body;

    expect(valueOf(body, 'zookeeper_exporter_jvm_up')).toBe(1);
    expect(valueOf(body, 'jvm_memory_bytes_max', { area: 'heap' })).toBe(RECORDED_HEAP_BYTES);
  });

  test('a perf-data file left by a JVM that is gone gives no JVM figures', async () => {
    const gone = spawn('true');
    await new Promise((resolve) => gone.on('exit', resolve));
    const exporter = await exporterFor(MNTR.leader, perfDataDirWithJvm(gone.pid!));

    const body = (await scrape(exporter.port)).body;

    const served = names(body);
    expect(JVM_METRIC_NAMES.filter((name) => served.has(name))).toEqual([]);
    expect(valueOf(body, 'zookeeper_exporter_jvm_up')).toBe(0);
    expect(valueOf(body, 'zookeeper_exporter_mntr_up')).toBe(1);
  });
});

describe('zookeeper-exporter.py as a program', () => {
  test('its output passes promtool check metrics, except for the native names that spell out _ms', async () => {
    const promtool = requirePrometheusTool('promtool');
    const exporter = await exporterFor(MNTR.leader, perfDataDirWithJvm(liveProcess.pid!));
    const body = (await scrape(exporter.port)).body;

    const result = spawnSync(promtool, ['check', 'metrics'], { input: body, encoding: 'utf8', timeout: 10_000 });

    // Exit 3 means lint findings only (1 would be a format error). The provider's own names end in
    // _ms (readlatency is fine, jvm_pause_time_ms is not): they must stay as they are.
    expect(result.stderr + result.stdout).not.toContain('error while linting');
    expect([0, 3]).toContain(result.status);
    const findings = (result.stdout + result.stderr).split('\n').filter((line) => line.trim() !== '');
    const other = findings.filter((line) => {
      const match = /^(\S+) metric names should not contain abbreviated units$/.exec(line);
      return !match || !NATIVE_METRIC_NAMES.has(`${match[1]}_count`);
    });
    expect(other).toEqual([]);
  });

  test.each([
    ['no arguments', [], /--listen-port/],
    ['a port that is not a number', ['--listen-port', 'http', '--zookeeper', '127.0.0.1:2181', '--perf-data-dir', '/tmp'], /--listen-port/],
    ['a ZooKeeper address without a port', ['--listen-port', '7000', '--zookeeper', '127.0.0.1', '--perf-data-dir', '/tmp'], /--zookeeper must be HOST:PORT/],
    ['a perf-data directory that does not exist', ['--listen-port', '7000', '--zookeeper', '127.0.0.1:2181', '--perf-data-dir', '/nonexistent/dir'], /--perf-data-dir .* is not a directory/],
  ])('refuses to start with %s, saying what is wrong', async (_what, args, message) => {
    const result = await runBounded(python, [EXPORTER, ...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, timeoutMs: 5_000 });

    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(message);
  });

  test('stops promptly on SIGTERM, as supervisord stops it', async () => {
    const exporter = await exporterFor(MNTR.leader);
    const exited = new Promise<number>((resolve) => exporter.process.on('exit', () => resolve(Date.now())));

    const sent = Date.now();
    exporter.process.kill('SIGTERM');

    expect(await exited - sent).toBeLessThan(1_000);
    expect(exporter.process.exitCode).toBe(0);
  });

  test('compiles with python3 (py_compile)', async () => {
    const result = await runBounded(python, ['-m', 'py_compile', EXPORTER], {
      // keeps the byte code out of lib/scripts
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PYTHONPYCACHEPREFIX: path.join(tmp, 'pycache') },
      timeoutMs: 5_000,
    });

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});

describe('the alert rules and the dashboard read only metrics both images serve', () => {
  /**
   * Series that come from elsewhere in a cluster: `up` from Prometheus itself, volume stats from
   * the kubelet, restart counts, pod creation times and StatefulSet replicas from kube-state-metrics.
   */
  const FROM_ELSEWHERE = new Set(['up', 'kubelet_volume_stats_used_bytes', 'kubelet_volume_stats_capacity_bytes',
    'kube_pod_container_status_restarts_total', 'kube_pod_created', 'kube_statefulset_replicas']);

  /** Metric names in PromQL: an identifier followed by a selector or a range. */
  const metricsIn = (expr: string) => [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{/g)].map((m) => m[1]);

  test.each([
    ['3 members', { replicas: 3 }],
    ['a standalone member', { replicas: 1 }],
    ['5 members with a transaction-log volume', { replicas: 5, txnLogStorageGiB: 5 }],
  ])('with %s, every name is a native provider name and the exporter serves it', async (_what, props) => {
    // GIVEN the metrics the rendered rules and dashboard ask for
    const model = resolveEnsemble({ namespace: 'zk', ...props });
    const used = new Set([
      ...renderAlertRules(model).flatMap((group) => group.rules.flatMap((rule) => metricsIn(rule.expr))),
      ...dashboardMetricNames(model),
    ]);
    const ours = [...used].filter((name) => !FROM_ELSEWHERE.has(name));
    expect(ours.length).toBeGreaterThan(10);

    // WHEN the exporter serves a leader and a follower, with the recorded JVM beside them
    const perf = perfDataDirWithJvm(liveProcess.pid!);
    const served = new Set<string>();
    for (const reply of [MNTR.leader, MNTR.follower]) {
      for (const name of names((await scrape((await exporterFor(reply, perf)).port)).body)) served.add(name);
    }

    // THEN each one is in the native provider's catalog, so the upstream image serves it too, and in
    // what the exporter served, so the project's image does
    expect(ours.filter((name) => !NATIVE_METRIC_NAMES.has(name))).toEqual([]);
    expect(ours.filter((name) => !served.has(name))).toEqual([]);
  });
});
