/**
 * Behaviour of the pod's shell scripts, run for real with bash: these are the bytes the scripts
 * ConfigMap ships, so a test here fails exactly when a member would misbehave in a cluster.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { resolveEnsemble } from '../lib/model/resolve';
import {
  Answer, closeWithoutAnswer, FakeFourLetterServer, neverAnswer, notWhitelisted, reply, startFakeFourLetterServer, unusedPort,
} from './support/fake-four-letter-server';
import { requireTool, runBounded, RunResult } from './support/tools';

const SCRIPTS_DIR = path.join(__dirname, '..', 'lib', 'scripts');
/** Far above anything a script should take; only there so a hang fails instead of stalling jest. */
const SCRIPT_LIMIT_MS = 10_000;
const MODEL = resolveEnsemble({ namespace: 'zk' });

// Some probes wait out their 4 s read timeout, close to jest's default of 5 s per test.
jest.setTimeout(SCRIPT_LIMIT_MS + 5_000);

let bash: string;
let tmp: string;

beforeAll(() => {
  bash = requireTool('bash');
});

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-scripts-'));
});

afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Runs a script with only the environment the pod spec gives it (plus PATH), so nothing leaks in from the developer's shell. */
function runScript(script: string, args: readonly string[], env: Record<string, string>): Promise<RunResult> {
  return runBounded(bash, [path.join(SCRIPTS_DIR, script), ...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    timeoutMs: SCRIPT_LIMIT_MS,
  });
}

describe('init-data.sh (init container)', () => {
  const volumes = () => ({ data: path.join(tmp, 'data-volume', 'data'), txnLog: path.join(tmp, 'txnlog-volume', 'log') });
  const initData = (podName: string, firstMyid = 1, dirs = volumes()) => runScript('init-data.sh', [], {
    POD_NAME: podName,
    ZK_FIRST_MYID: String(firstMyid),
    ZK_DATA_DIR: dirs.data,
    ZK_TXNLOG_DIR: dirs.txnLog,
  });
  const myidOf = (dirs = volumes()) => fs.readFileSync(path.join(dirs.data, 'myid'), 'utf8');

  test.each([
    ['zk-0', 1, 1],
    ['zk-2', 1, 3],
    ['my-ens-10', 1, 11],
    ['zk-4', 10, 14],
  ])('pod %s with first myid %d becomes member %d', async (podName, firstMyid, expected) => {
    // GIVEN fresh volumes WHEN the init container runs
    const result = await initData(podName, firstMyid);

    // THEN myid is the ordinal at the end of the pod name, offset by the first myid; ZooKeeper reads it as a line
    expect(result.code).toBe(0);
    expect(myidOf()).toBe(`${expected}\n`);
    expect(result.stdout).toContain(`member ${expected} ready`);
  });

  test('prepares a separate transaction-log volume, keeping myid on the data volume only', async () => {
    const dirs = volumes();

    const result = await initData('zk-1');

    // ZooKeeper does not create missing parent directories of dataDir/dataLogDir itself
    expect(result.code).toBe(0);
    expect(fs.statSync(dirs.data).isDirectory()).toBe(true);
    expect(fs.statSync(dirs.txnLog).isDirectory()).toBe(true);
    expect(fs.readdirSync(dirs.txnLog)).toEqual([]);
    expect(fs.readdirSync(dirs.data)).toEqual(['myid']);
  });

  test('works when data and transaction log share one directory (no separate txnlog volume)', async () => {
    const shared = path.join(tmp, 'data-volume', 'data');

    const result = await initData('zk-1', 1, { data: shared, txnLog: shared });

    expect(result.code).toBe(0);
    expect(fs.readFileSync(path.join(shared, 'myid'), 'utf8')).toBe('2\n');
  });

  test('a restarted init container accepts the volume it prepared and leaves its data alone', async () => {
    // GIVEN a member that already ran and wrote a snapshot
    const dirs = volumes();
    expect((await initData('zk-2')).code).toBe(0);
    const snapshot = path.join(dirs.data, 'version-2', 'snapshot.100000000');
    fs.mkdirSync(path.dirname(snapshot));
    fs.writeFileSync(snapshot, 'snapshot bytes');

    // WHEN the pod restarts and the init container runs again
    const again = await initData('zk-2');

    // THEN it succeeds without rewriting myid or touching the history
    expect(again.code).toBe(0);
    expect(myidOf()).toBe('3\n');
    expect(fs.readFileSync(snapshot, 'utf8')).toBe('snapshot bytes');
  });

  test('refuses a data volume that belongs to another member, naming both ids', async () => {
    // GIVEN member 2's volume, now mounted by pod zk-0 (member 1)
    const dirs = volumes();
    fs.mkdirSync(dirs.data, { recursive: true });
    fs.writeFileSync(path.join(dirs.data, 'myid'), '2\n');

    const result = await initData('zk-0');

    // THEN the pod does not start, so it cannot replay member 2's history as member 1
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/myid says 2 but this pod is member 1\b/);
    expect(myidOf()).toBe('2\n');
  });

  test.each(['zookeeper', 'zk-', 'zk-a'])('refuses pod name %p, which has no ordinal, before touching the volumes', async (podName) => {
    const dirs = volumes();

    const result = await initData(podName);

    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`cannot read an ordinal from pod name '${podName}'`);
    expect(fs.existsSync(dirs.data)).toBe(false);
  });

  test('refuses an ordinal whose myid would exceed 255, the largest server id a member can have', async () => {
    const tooHigh = await initData('zk-255');
    expect(tooHigh.code).not.toBe(0);
    expect(tooHigh.stderr).toContain('myid 256 is outside 1..255 (ordinal 255)');
    expect(fs.existsSync(volumes().data)).toBe(false);

    // The last ordinal that still fits is accepted: the limit is not off by one.
    const highest = await initData('zk-254');
    expect(highest.code).toBe(0);
    expect(myidOf()).toBe('255\n');
  });
});

describe('probe.sh (startup, liveness and readiness probes)', () => {
  let server: FakeFourLetterServer | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function serve(answers: Record<string, Answer>): Promise<number> {
    server = await startFakeFourLetterServer(answers);
    return server.port;
  }
  const probe = (mode: string, port: number) => runScript('probe.sh', [mode], { ZK_CLIENT_PORT: String(port) });

  /** `srvr` as ZooKeeper 3.8.4 prints it; a leader adds its proposal sizes. */
  const srvr = (mode: string) => [
    'Zookeeper version: 3.8.4-9316c2a7a97e1666d8f4593f34dd6fc36ecc436c, built on 2024-02-12 22:16 UTC',
    'Latency min/avg/max: 0/0.6667/12',
    'Received: 1342',
    'Sent: 1341',
    'Connections: 3',
    'Outstanding: 0',
    'Zxid: 0x100000042',
    `Mode: ${mode}`,
    'Node count: 5',
    ...(mode === 'leader' ? ['Proposal sizes last/min/max: 48/32/412'] : []),
    '',
  ].join('\n');
  const NOT_SERVING = 'This ZooKeeper instance is not currently serving requests\n';

  describe('live', () => {
    test('liveness passes when the server answers ruok with imok', async () => {
      const port = await serve({ ruok: reply('imok') });

      const result = await probe('live', port);

      expect(result.code).toBe(0);
      expect(server!.received).toEqual(['ruok']);
    });

    test('liveness holds for a member outside any quorum, so a minority partition is not restarted in a loop', async () => {
      // A member without quorum still answers ruok; only srvr says it is not serving.
      const port = await serve({ ruok: reply('imok'), srvr: reply(NOT_SERVING) });

      expect((await probe('live', port)).code).toBe(0);
    });

    test.each([
      ['ruok left out of the 4lw whitelist', notWhitelisted('ruok')],
      ['an unexpected answer', reply('imok, sort of')],
      ['no answer before the server closes', closeWithoutAnswer()],
    ])('liveness fails on %s', async (_, answer) => {
      const port = await serve({ ruok: answer });

      const result = await probe('live', port);

      expect(result.code).not.toBe(0);
      expect(server!.received).toEqual(['ruok']);
    });

    test('liveness fails when nothing listens on the client port', async () => {
      const result = await probe('live', await unusedPort());

      expect(result.code).not.toBe(0);
    });
  });

  describe('ready', () => {
    test.each(['leader', 'follower', 'observer', 'standalone'])('readiness passes while the member serves as %s', async (mode) => {
      const port = await serve({ srvr: reply(srvr(mode)) });

      const result = await probe('ready', port);

      expect(result.code).toBe(0);
      expect(result.stdout.trim()).toBe(`serving as ${mode}`);
      expect(server!.received).toEqual(['srvr']);
    });

    test('readiness waits for an answer that arrives late but within its read timeout', async () => {
      // A busy server may take a moment; the answer is only complete when the server closes.
      const port = await serve({ srvr: reply(srvr('follower'), 1500) });

      const result = await probe('ready', port);

      expect(result.code).toBe(0);
      expect(result.stdout.trim()).toBe('serving as follower');
    });

    test('readiness fails while the member is not in a quorum', async () => {
      const port = await serve({ srvr: reply(NOT_SERVING) });

      const result = await probe('ready', port);

      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(`not serving: ${NOT_SERVING.trim()}`);
    });

    test('readiness fails for a read-only member, which cannot take writes', async () => {
      const port = await serve({ srvr: reply(srvr('read-only')) });

      expect((await probe('ready', port)).code).not.toBe(0);
    });

    test('readiness fails on an empty answer', async () => {
      const port = await serve({ srvr: closeWithoutAnswer() });

      const result = await probe('ready', port);

      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('not serving: no answer');
    });

    test('readiness fails when nothing listens on the client port', async () => {
      const result = await probe('ready', await unusedPort());

      expect(result.code).not.toBe(0);
    });
  });

  test.each(['live', 'ready'])('probe %s gives up on a server that never answers before the kubelet times the probe out', async (mode) => {
    // GIVEN a server that accepts the connection but is stuck (a long GC pause)
    const port = await serve({ ruok: neverAnswer(), srvr: neverAnswer() });
    const kubeletTimeoutMs = 1000 * Math.min(MODEL.probes.liveness.timeoutSeconds, MODEL.probes.readiness.timeoutSeconds);

    // WHEN the probe runs
    const result = await probe(mode, port);

    // THEN it fails by itself, inside the kubelet's timeout, so the failure is the probe's verdict and not a kubelet kill
    console.log(`probe.sh ${mode} against a silent server gave up after ${result.elapsedMs} ms (kubelet timeout ${kubeletTimeoutMs} ms)`);
    expect(result.code).not.toBe(0);
    expect(result.elapsedMs).toBeLessThan(kubeletTimeoutMs);
  });

  test('probe.sh rejects an unknown mode instead of passing', async () => {
    const port = await serve({ ruok: reply('imok'), srvr: reply(srvr('leader')) });

    const result = await probe('alive', port);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('usage: probe.sh live|ready');
    expect(server!.received).toEqual([]);
  });
});

describe('start-zookeeper.sh (the zookeeper program under supervisord)', () => {
  /** A stand-in for java that records its pid and argv (NUL-separated) and exits with FAKE_JAVA_EXIT. */
  function fakeJava(): { java: string; record: string } {
    // A space in the path: the script must quote "$ZK_JAVA".
    const java = path.join(tmp, 'jdk 11', 'bin', 'java');
    const record = path.join(tmp, 'java-argv');
    fs.mkdirSync(path.dirname(java), { recursive: true });
    fs.writeFileSync(java, [
      '#!/usr/bin/env bash',
      'printf \'%s\\n\' "$$" >"$FAKE_JAVA_RECORD.pid"',
      'printf \'%s\\0\' "$@" >"$FAKE_JAVA_RECORD"',
      'exit "${FAKE_JAVA_EXIT:-0}"',
      '',
    ].join('\n'), { mode: 0o755 });
    return { java, record };
  }

  function startZooKeeper(heapMiB: number, memoryLimitMiB: number, extraEnv: Record<string, string> = {}) {
    const { java, record } = fakeJava();
    // The images' classpath is a directory wildcard for the JVM to expand. With a jar beside it,
    // an unquoted $ZK_CLASSPATH would be glob-expanded by bash into a different argument list.
    const libDir = path.join(tmp, 'zookeeper', 'lib');
    fs.mkdirSync(libDir, { recursive: true });
    fs.writeFileSync(path.join(libDir, 'zookeeper-3.8.4.jar'), '');
    fs.writeFileSync(path.join(libDir, 'logback-classic-1.2.13.jar'), '');
    // The member's volume as the init container leaves it, and the zoo.cfg naming it.
    const dataDir = path.join(tmp, 'data');
    fs.mkdirSync(path.join(dataDir, 'version-2'), { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'myid'), '1\n');
    fs.mkdirSync(path.join(tmp, 'config'), { recursive: true });
    fs.writeFileSync(path.join(tmp, 'config', 'zoo.cfg'), `dataDir=${dataDir}\nserver.1=127.0.0.1:2888:3888\n`);
    const env = {
      ZK_JAVA: java,
      ZK_CLASSPATH: `${libDir}/*`,
      ZK_HEAP_MIB: String(heapMiB),
      ZK_NON_HEAP_RESERVE_MIB: '256',
      ZK_MEMORY_LIMIT_MIB: String(memoryLimitMiB),
      ZK_JVM_OPTIONS: path.join(tmp, 'config', 'jvm.options'),
      ZK_ZOO_CFG: path.join(tmp, 'config', 'zoo.cfg'),
      FAKE_JAVA_RECORD: record,
      ...extraEnv,
    };
    const argv = () => fs.readFileSync(record, 'utf8').split('\0').slice(0, -1);
    const javaPid = () => Number(fs.readFileSync(`${record}.pid`, 'utf8').trim());
    return { env, record, argv, javaPid, dataDir, run: () => runScript('start-zookeeper.sh', [], env) };
  }

  test.each([
    [2048, 2048],
    [3072, 2048],
    [1793, 2048],
  ])('refuses to start when a heap of %d MiB plus the 256 MiB reserve does not fit the %d MiB memory limit', async (heap, limit) => {
    // GIVEN a memory limit lowered after synth (a kustomize patch, a LimitRange)
    const zk = startZooKeeper(heap, limit);

    const result = await zk.run();

    // THEN the failure names both numbers and java never runs (it would be OOM-killed under load)
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`heap ${heap} MiB plus 256 MiB for the rest of the JVM does not fit the container memory limit ${limit} MiB`);
    expect(fs.existsSync(zk.record)).toBe(false);
  });

  test('runs java in its own place with the heap, the JVM options file, the classpath and zoo.cfg', async () => {
    const zk = startZooKeeper(1024, 2048);

    const result = await zk.run();

    expect(result.code).toBe(0);
    expect(zk.argv()).toEqual([
      '-Xms1024m',
      '-Xmx1024m',
      `@${zk.env.ZK_JVM_OPTIONS}`,
      '-cp',
      zk.env.ZK_CLASSPATH,
      'org.apache.zookeeper.server.quorum.QuorumPeerMain',
      zk.env.ZK_ZOO_CFG,
    ]);
    // exec: java keeps the script's pid, so supervisord's stop signal reaches the JVM itself
    expect(zk.javaPid()).toBe(result.pid);
  });

  test('starts when heap and reserve exactly fill the memory limit (the largest heap synthesis allows)', async () => {
    const zk = startZooKeeper(1792, 2048);

    const result = await zk.run();

    expect(result.code).toBe(0);
    expect(zk.argv().slice(0, 2)).toEqual(['-Xms1792m', '-Xmx1792m']);
  });

  test('a truncated snapshot is set aside before the JVM starts, so the server never reads it', async () => {
    const zk = startZooKeeper(1024, 2048);
    const version2 = path.join(zk.dataDir, 'version-2');
    fs.writeFileSync(path.join(version2, 'snapshot.0'), Buffer.concat([Buffer.alloc(32), Buffer.from([0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0x2f])]));
    fs.writeFileSync(path.join(version2, 'snapshot.2'), Buffer.alloc(32));
    fs.writeFileSync(path.join(version2, 'log.1'), Buffer.alloc(32));

    const result = await zk.run();

    expect(result.code).toBe(0);
    expect(fs.readdirSync(version2).sort()).toEqual(['log.1', 'snapshot.0']);
    expect(result.stderr).toContain('snapshot snapshot.2 is truncated');
    expect(zk.argv()).toContain('org.apache.zookeeper.server.quorum.QuorumPeerMain');
  });

  describe('a pod of the static template whose ConfigMaps are already the dynamic membership\'s (a switch, before its roll)', () => {
    const bootstrap = 'server.1=zk-0.zk-headless.ns.svc.cluster.local:2888:3888:participant;2181\n'
      + 'server.2=zk-1.zk-headless.ns.svc.cluster.local:2888:3888:participant;2181\n';

    test('runs with the bootstrap list (the static voters), from a copy on the data volume', async () => {
      const zk = startZooKeeper(1024, 2048);
      const configDir = path.dirname(zk.env.ZK_ZOO_CFG);
      fs.writeFileSync(zk.env.ZK_ZOO_CFG, `dataDir=${zk.dataDir}\nreconfigEnabled=true\nstandaloneEnabled=false\n`);
      fs.writeFileSync(path.join(configDir, 'zoo.cfg.dynamic.bootstrap'), bootstrap);

      const result = await zk.run();

      expect(result.code).toBe(0);
      const zooCfg = path.join(zk.dataDir, 'zoo.cfg');
      expect(zk.argv().at(-1)).toBe(zooCfg);
      expect(fs.readFileSync(zooCfg, 'utf8')).toBe(`dataDir=${zk.dataDir}\nreconfigEnabled=true\nstandaloneEnabled=false\ndynamicConfigFile=${zk.dataDir}/zoo.cfg.dynamic\n`);
      expect(fs.readFileSync(path.join(zk.dataDir, 'zoo.cfg.dynamic'), 'utf8')).toBe(bootstrap);
      expect(result.stderr).toContain('running with the bootstrap list (the static voters)');
    });

    test('a static zoo.cfg without a server list and without a bootstrap list (one member, standalone) runs as it is', async () => {
      const zk = startZooKeeper(1024, 2048);
      fs.writeFileSync(zk.env.ZK_ZOO_CFG, `dataDir=${zk.dataDir}\nstandaloneEnabled=true\n`);

      const result = await zk.run();

      expect(result.code).toBe(0);
      expect(zk.argv().at(-1)).toBe(zk.env.ZK_ZOO_CFG);
      expect(fs.existsSync(path.join(zk.dataDir, 'zoo.cfg'))).toBe(false);
    });

    test('a static zoo.cfg that lists its servers runs as it is, whatever else the ConfigMap holds', async () => {
      const zk = startZooKeeper(1024, 2048);
      fs.writeFileSync(path.join(path.dirname(zk.env.ZK_ZOO_CFG), 'zoo.cfg.dynamic.bootstrap'), bootstrap);

      const result = await zk.run();

      expect(result.code).toBe(0);
      expect(zk.argv().at(-1)).toBe(zk.env.ZK_ZOO_CFG);
    });
  });

  test("java's exit status reaches supervisord unchanged", async () => {
    const zk = startZooKeeper(1024, 2048, { FAKE_JAVA_EXIT: '3' });

    expect((await zk.run()).code).toBe(3);
  });
});

describe('supervisor-watchdog.sh (the event listener that ends the container)', () => {
  /**
   * Runs the watchdog as supervisord would, under a parent shell standing in for supervisord: it
   * reports the SIGTERM the watchdog sends it. One event is written to the watchdog's stdin, then
   * stdin closes, which ends the listener's loop.
   */
  async function deliver(processName: string) {
    const payload = `processname:${processName} groupname:${processName} from_state:BACKOFF`;
    const header = `ver:3.0 server:supervisor serial:1 pool:watchdog poolserial:1 eventname:PROCESS_STATE_FATAL len:${payload.length}`;
    const events = path.join(tmp, 'events');
    fs.writeFileSync(events, `${header}\n${payload}`);
    const terminationLog = path.join(tmp, 'termination-log');
    const supervisor = `trap 'echo "supervisord: got SIGTERM" >&2' TERM; "$0" "$1" <"$2"; wait`;
    const result = await runBounded(bash, ['-c', supervisor, bash, path.join(SCRIPTS_DIR, 'supervisor-watchdog.sh'), events], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', WATCHED_PROGRAM: 'zookeeper', TERMINATION_LOG: terminationLog },
      timeoutMs: SCRIPT_LIMIT_MS,
    });
    return { ...result, terminationLog: fs.existsSync(terminationLog) ? fs.readFileSync(terminationLog, 'utf8') : '' };
  }

  test('ZooKeeper going FATAL stops supervisord and leaves the reason for the kubelet', async () => {
    const result = await deliver('zookeeper');
    expect(result.stdout.startsWith('READY\nRESULT 2\nOK')).toBe(true);
    expect(result.stderr).toContain('supervisord: got SIGTERM');
    expect(result.terminationLog).toMatch(/^watchdog: PROCESS_STATE_FATAL processname:zookeeper .*stopping supervisord/);
  });

  test('another program going FATAL (the metrics exporter) is acknowledged and ignored', async () => {
    const result = await deliver('exporter');
    expect(result.stdout.startsWith('READY\nRESULT 2\nOKREADY\n')).toBe(true);
    expect(result.stderr).toContain('processname:exporter groupname:exporter from_state:BACKOFF: not zookeeper, ignored');
    expect(result.stderr).not.toContain('got SIGTERM');
    expect(result.terminationLog).toBe('');
  });
});
