/**
 * The main container's process tree, run for real: supervisord with the supervisord.conf the
 * library renders, the real start and watchdog scripts, and a bash stand-in for java. Only the
 * container paths are moved to temporary directories; every other line of the conf is as rendered.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { resolveEnsemble } from '../lib/model/resolve';
import { renderSupervisordConf } from '../lib/render/supervisord-conf';
import { loadScripts } from '../lib/render/scripts';
import { requireSupervisorTool, requireTool, runBounded } from './support/tools';

const MODEL = resolveEnsemble({ namespace: 'zk' });
const { startSecs, startRetries, stopWaitSecs } = MODEL.supervisor;

/**
 * The pod never runs as root (runAsNonRoot); neither does supervisord here, where that can be
 * arranged. As root we switch to nobody; as any other user we already are unprivileged.
 */
const RUN_AS = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined;

/** Stand-ins for java, started by the real start-zookeeper.sh through ZK_JAVA. */
const STAND_IN = {
  /** Runs until stopped, like a healthy server; its sleep child shows whether the stop reached the whole process group. */
  keepsRunning: [
    '#!/usr/bin/env bash',
    'echo "stand-in: started pid $$ with $*"',
    'trap \'echo "stand-in: got SIGTERM, exiting"; exit 0\' TERM',
    'while true; do sleep 60 & wait $!; done',
  ].join('\n'),
  /** Dies at once, like a JVM that cannot bind its port or read its config. */
  exitsAtOnce: [
    '#!/usr/bin/env bash',
    'echo "stand-in: cannot start"',
    'exit 1',
  ].join('\n'),
};

interface Tools {
  bash: string;
  supervisord: string;
  supervisorctl: string;
  /** Prefix that drops root, or empty. */
  asUser: string[];
}

interface Line {
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
  readonly atMs: number;
}

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly atMs: number;
}

let found: Tools | undefined;

/**
 * Looked up by each test rather than in beforeAll (jest may start concurrent tests before
 * beforeAll hooks), so a missing tool fails every scenario with the pointer to setup-tools.sh.
 */
function tools(): Tools {
  found ??= {
    bash: requireTool('bash'),
    supervisord: requireSupervisorTool('supervisord'),
    supervisorctl: requireSupervisorTool('supervisorctl'),
    asUser: RUN_AS
      ? [requireTool('setpriv', 'it comes with util-linux'), `--reuid=${RUN_AS.uid}`, `--regid=${RUN_AS.gid}`, '--clear-groups']
      : [],
  };
  return found;
}

/** The rendered conf with its container paths moved into the sandbox; fails if one of them is no longer there to move. */
function withSandboxPaths(conf: string, dirs: { scripts: string; run: string; tmp: string }): string {
  const { scriptsDir, supervisorRunDir, tmpDir } = MODEL.paths;
  const moves: [RegExp, string][] = [
    [new RegExp(`(?<=[ =])${escape(scriptsDir)}/`, 'g'), `${dirs.scripts}/`],
    [new RegExp(`(?<=[=/])${escape(supervisorRunDir)}/`, 'g'), `${dirs.run}/`],
    [new RegExp(`^childlogdir=${escape(tmpDir)}$`, 'gm'), `childlogdir=${dirs.tmp}`],
  ];
  for (const [from, to] of moves) {
    if (!from.test(conf)) throw new Error(`the rendered supervisord.conf no longer matches ${from}; update withSandboxPaths`);
    conf = conf.replace(from, to);
  }
  return conf;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Pids of live processes started for this sandbox: each inherits ZK_TEST_SANDBOX from supervisord. */
function processesOf(root: string): number[] {
  const marker = `ZK_TEST_SANDBOX=${root}`;
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(marker)) pids.push(Number(entry));
    } catch {
      // Exited meanwhile, or not ours to read.
    }
  }
  return pids;
}

/**
 * Lays out a container-like file system in a temporary directory: the scripts as the ConfigMap
 * ships them (mode 0644: the conf must run them through bash), the writable run and tmp volumes,
 * the rendered conf and the java stand-in.
 */
function prepareSandbox(standIn: string) {
  tools();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-supervisord-'));
  fs.chmodSync(root, 0o755);
  const dirs = { scripts: path.join(root, 'scripts'), run: path.join(root, 'run'), tmp: path.join(root, 'tmp') };
  fs.mkdirSync(dirs.scripts);
  for (const [file, text] of Object.entries(loadScripts({ exporter: false }))) fs.writeFileSync(path.join(dirs.scripts, file), text, { mode: 0o644 });
  for (const writable of [dirs.run, dirs.tmp]) {
    fs.mkdirSync(writable);
    if (RUN_AS) fs.chownSync(writable, RUN_AS.uid, RUN_AS.gid);
  }
  // The kubelet's termination-message file, writable by the container user.
  const terminationLog = path.join(root, 'termination-log');
  fs.writeFileSync(terminationLog, '');
  if (RUN_AS) fs.chownSync(terminationLog, RUN_AS.uid, RUN_AS.gid);
  // The member's volume as the init container leaves it (with myid), and a zoo.cfg naming it:
  // recover-data.sh reads both before every start.
  const dataDir = path.join(root, 'data');
  fs.mkdirSync(path.join(dataDir, 'version-2'), { recursive: true });
  fs.writeFileSync(path.join(dataDir, 'myid'), '1\n');
  if (RUN_AS) for (const owned of [dataDir, path.join(dataDir, 'version-2')]) fs.chownSync(owned, RUN_AS.uid, RUN_AS.gid);
  const zooCfg = path.join(root, 'zoo.cfg');
  fs.writeFileSync(zooCfg, `dataDir=${dataDir}\nserver.1=127.0.0.1:2888:3888\n`, { mode: 0o644 });
  const conf = path.join(root, 'supervisord.conf');
  fs.writeFileSync(conf, withSandboxPaths(renderSupervisordConf(MODEL), dirs), { mode: 0o644 });
  const java = path.join(root, 'java');
  fs.writeFileSync(java, `${standIn}\n`, { mode: 0o755 });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    ZK_JAVA: java,
    ZK_CLASSPATH: '/opt/zookeeper/lib/*',
    ZK_HEAP_MIB: String(MODEL.jvm.heapMiB),
    ZK_NON_HEAP_RESERVE_MIB: String(MODEL.jvm.nonHeapReserveMiB),
    ZK_MEMORY_LIMIT_MIB: String(MODEL.resources.memoryLimitMiB),
    TERMINATION_LOG: terminationLog,
    ZK_JVM_OPTIONS: MODEL.paths.jvmOptions,
    ZK_ZOO_CFG: zooCfg,
    ZK_CLIENT_PORT: String(MODEL.ports.client.port),
    ZK_TEST_SANDBOX: root,
  };
  const children: ChildProcess[] = [];
  /** Removes whatever the test left behind: supervisord, its children, orphans of a killed stand-in. */
  const dispose = () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const pid of processesOf(root)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    fs.rmSync(root, { recursive: true, force: true });
  };
  /** supervisord's output so far, set once it is started: shown when a scenario fails. */
  const transcript: { read?: () => string } = {};
  return { root, conf, env, terminationLog, socket: path.join(dirs.run, 'supervisor.sock'), children, transcript, dispose };
}

type Sandbox = ReturnType<typeof prepareSandbox>;

/** Each scenario gets its own sandbox, so they can run side by side; it is cleaned up however the test ends. */
async function inSandbox(standIn: string, scenario: (box: Sandbox) => Promise<void>): Promise<void> {
  const box = prepareSandbox(standIn);
  try {
    await scenario(box);
  } catch (error) {
    if (box.transcript.read) console.log(`supervisord output of the failed scenario:\n${box.transcript.read()}`);
    throw error;
  } finally {
    box.dispose();
  }
}

/**
 * Starts supervisord in the foreground as the container's command would. Its stdout and stderr
 * are pipes created by the unprivileged user itself, as a container runtime provides: the conf
 * logs to /dev/stdout and /dev/stderr, which cannot be reopened when they are node's sockets
 * (ENXIO) or pipes owned by root (EACCES). `exec` keeps supervisord at the spawned pid.
 */
function startSupervisord(box: Sandbox, envOverrides: NodeJS.ProcessEnv = {}) {
  const startedAt = Date.now();
  const elapsed = () => Date.now() - startedAt;
  const { asUser, bash, supervisord, supervisorctl } = tools();
  const argv = [...asUser, bash, '-c', 'exec "$0" -c "$1" > >(exec cat) 2> >(exec cat >&2)', supervisord, box.conf];
  const child = spawn(argv[0], argv.slice(1), { env: { ...box.env, ...envOverrides }, stdio: ['ignore', 'pipe', 'pipe'] });
  box.children.push(child);

  const lines: Line[] = [];
  for (const stream of ['stdout', 'stderr'] as const) {
    let partial = '';
    child[stream]!.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop()!;
      for (const text of parts) lines.push({ stream, text, atMs: elapsed() });
    });
  }
  const exited = new Promise<Exit>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal, atMs: elapsed() }));
  });
  let exit: Exit | undefined;
  void exited.then((e) => { exit = e; });

  const transcript = () => lines.map((l) => `${String(l.atMs).padStart(6)} ${l.stream} ${l.text}`).join('\n');
  box.transcript.read = transcript;
  const matching = (pattern: RegExp, stream?: Line['stream']) => lines.filter((l) => (!stream || l.stream === stream) && pattern.test(l.text));

  return {
    pid: child.pid!,
    elapsed,
    transcript,
    matching,
    get exit() { return exit; },
    /** Resolves with the first line matching `pattern`, or rejects with everything seen so far. */
    waitForLine: (pattern: RegExp, timeoutMs: number) => eventually(`a line matching ${pattern}`, timeoutMs, async () => matching(pattern)[0], transcript),
    waitForExit: async (timeoutMs: number): Promise<Exit> => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`supervisord did not exit within ${timeoutMs} ms\n${transcript()}`)), timeoutMs);
      });
      try {
        return await Promise.race([exited, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    /** `supervisorctl status` over the unix socket, as the same user as supervisord: name -> state and pid. */
    status: async () => {
      const ctl = [...asUser, supervisorctl, '-c', box.conf, 'status'];
      const result = await runBounded(ctl[0], ctl.slice(1), { env: box.env, timeoutMs: 10_000 });
      const programs = new Map<string, { state: string; pid?: number }>();
      for (const line of result.stdout.split('\n')) {
        const m = /^(\S+)\s+([A-Z]+)\b(?:\s+pid (\d+))?/.exec(line);
        if (m) programs.set(m[1], { state: m[2], pid: m[3] ? Number(m[3]) : undefined });
      }
      return programs;
    },
  };
}

/** Polls `probe` until it returns a value, or fails after `timeoutMs` with `context()`. */
async function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, context: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms\n${context()}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

/** Waits until supervisorctl reports `program` in `state` (and, if given, with a pid other than `notPid`). */
function waitForState(sv: ReturnType<typeof startSupervisord>, program: string, state: string, timeoutMs: number, notPid?: number) {
  return eventually(`${program} ${state}`, timeoutMs, async () => {
    const current = (await sv.status()).get(program);
    return current?.state === state && current.pid !== undefined && current.pid !== notPid ? current.pid : undefined;
  }, sv.transcript);
}

/** Every process started for the sandbox is gone shortly after supervisord (the output pipes' cat ends last). */
function expectNoProcessLeft(box: Sandbox, sv: ReturnType<typeof startSupervisord>): Promise<true> {
  return eventually('exit of every sandbox process', 3_000, async () => (processesOf(box.root).length === 0 ? true : undefined),
    () => `still running: ${processesOf(box.root).map((pid) => `${pid} ${commandOf(pid)}`).join(', ')}\n${sv.transcript()}`);
}

function commandOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim();
  } catch {
    return '(gone)';
  }
}

// The scenarios mostly wait on supervisord's clocks (startsecs, retry back-off), so they run side by side.
test.concurrent('supervisord runs ZooKeeper, is controlled only through its private socket, and stops it on SIGTERM', () => inSandbox(STAND_IN.keepsRunning, async (box) => {
  // GIVEN supervisord started with the rendered conf and a server that keeps running
  const sv = startSupervisord(box);
  // exec all the way down: a signal to the container's PID 1 is a signal to supervisord
  const started = await sv.waitForLine(/supervisord started with pid (\d+)/, 10_000);
  expect(Number(/pid (\d+)/.exec(started.text)![1])).toBe(sv.pid);

  // WHEN the server has stayed up for startsecs
  const pid = await waitForState(sv, 'zookeeper', 'RUNNING', (startSecs + 10) * 1000);

  // THEN supervisorctl sees it RUNNING, and the process it tracks is java itself (start-zookeeper.sh exec'd it)
  expect((await sv.status()).get('watchdog')?.state).toBe('RUNNING');
  const standInLine = sv.matching(/^stand-in: started pid \d+ with /, 'stdout');
  expect(standInLine).toHaveLength(1);
  expect(standInLine[0].text).toBe(
    `stand-in: started pid ${pid} with -Xms${MODEL.jvm.heapMiB}m -Xmx${MODEL.jvm.heapMiB}m @${MODEL.paths.jvmOptions} `
    + `-cp /opt/zookeeper/lib/* org.apache.zookeeper.server.quorum.QuorumPeerMain ${box.env.ZK_ZOO_CFG}`,
  );
  // AND only supervisord's own user may use the control socket
  const socket = fs.statSync(box.socket);
  expect(socket.isSocket()).toBe(true);
  expect((socket.mode & 0o777).toString(8)).toBe('700');
  if (RUN_AS) expect(socket.uid).toBe(RUN_AS.uid);

  // WHEN the kubelet stops the container
  const termAt = sv.elapsed();
  process.kill(sv.pid, 'SIGTERM');
  const exit = await sv.waitForExit((stopWaitSecs + 10) * 1000);

  // THEN the server gets the stop signal and supervisord exits within stopwaitsecs
  const stopMs = exit.atMs - termAt;
  console.log(`supervisord (uid ${RUN_AS?.uid ?? process.getuid?.()}) stopped ${stopMs} ms after SIGTERM (stopwaitsecs ${stopWaitSecs}); exit code ${exit.code}, signal ${exit.signal}`);
  expect(sv.matching(/^stand-in: got SIGTERM/, 'stdout')).toHaveLength(1);
  expect(sv.matching(/stopped: zookeeper \(exit status 0\)/)).toHaveLength(1);
  expect(stopMs).toBeLessThan(stopWaitSecs * 1000);
  // AND nothing of the server survives: the stop reached its whole process group
  await expectNoProcessLeft(box, sv);
}), 60_000);

test.concurrent.each([
  {
    cause: 'java exits at once on every attempt',
    env: {},
    attempt: /^stand-in: cannot start$/,
  },
  {
    cause: 'the heap no longer fits the memory limit',
    // The limit was lowered after synth: start-zookeeper.sh refuses every attempt.
    env: { ZK_MEMORY_LIMIT_MIB: String(MODEL.jvm.heapMiB) },
    attempt: /^start-zookeeper: heap \d+ MiB plus \d+ MiB for the rest of the JVM does not fit the container memory limit \d+ MiB/,
  },
])('when $cause, supervisord gives up after startretries and the watchdog ends the container', ({ env, attempt }) => inSandbox(STAND_IN.exitsAtOnce, async (box) => {
  // GIVEN a server that never stays up
  const sv = startSupervisord(box, env);

  // WHEN supervisord runs out of retries
  const exit = await sv.waitForExit(30_000);

  // THEN it tried 1 + startretries times, marked the program FATAL and the watchdog stopped supervisord
  const fatal = sv.matching(/gave up: zookeeper entered FATAL state/);
  const watchdog = sv.matching(/^watchdog: PROCESS_STATE_FATAL processname:zookeeper .*: stopping supervisord so the container exits$/, 'stderr');
  console.log(`supervisord exited by itself ${exit.atMs} ms after start, ${fatal[0] ? exit.atMs - fatal[0].atMs : '?'} ms after FATAL; `
    + `exit code ${exit.code}, signal ${exit.signal}`);
  expect(sv.matching(attempt, 'stdout')).toHaveLength(1 + startRetries);
  expect(fatal).toHaveLength(1);
  expect(watchdog).toHaveLength(1);
  expect(watchdog[0].atMs).toBeGreaterThanOrEqual(fatal[0].atMs);
  // supervisord exits 0 after any signal, so the reason must reach the kubelet's termination message.
  expect(fs.readFileSync(box.terminationLog, 'utf8')).toBe(`${watchdog[0].text}\n`);
  // It shut down on the watchdog's SIGTERM rather than crashing.
  expect(sv.matching(/received SIGTERM indicating exit request/)).toHaveLength(1);
  expect(exit.signal).toBeNull();
  await expectNoProcessLeft(box, sv);
}), 45_000);

test.concurrent('a server that dies after it was up is restarted, and the watchdog leaves supervisord running', () => inSandbox(STAND_IN.keepsRunning, async (box) => {
  // GIVEN a server that reached RUNNING
  const sv = startSupervisord(box);
  const firstPid = await waitForState(sv, 'zookeeper', 'RUNNING', (startSecs + 10) * 1000);

  // WHEN it is killed outright (the kernel's OOM killer)
  process.kill(firstPid, 'SIGKILL');

  // THEN supervisord starts a new one, which gets back to RUNNING, and supervisord itself stays up
  await sv.waitForLine(/exited: zookeeper \(terminated by SIGKILL; not expected\)/, 10_000);
  const secondPid = await waitForState(sv, 'zookeeper', 'RUNNING', (startSecs + 10) * 1000, firstPid);
  console.log(`zookeeper restarted: pid ${firstPid} -> ${secondPid}, RUNNING again at ${sv.elapsed()} ms`);
  expect(secondPid).not.toBe(firstPid);
  expect(sv.matching(/^stand-in: started pid \d+ with /, 'stdout')).toHaveLength(2);
  expect(sv.exit).toBeUndefined();
  expect(sv.matching(/FATAL/)).toEqual([]);
  expect(sv.matching(/^watchdog:/, 'stderr')).toEqual([]);
}), 60_000);
