/**
 * The dynamic-membership scripts (dynamic-config.sh, leave-ensemble.sh, membership-watch.sh and
 * their helper membership-state.py), run for real with bash and python3 against fakes: the
 * Kubernetes API (HTTPS, a CA and a token as the service account mounts them), the member's
 * AdminServer, and a `java` that plays ZooKeeperMain (it records what it was asked, and answers
 * `config` and `reconfig`). What ZooKeeper itself does with these files and commands is proven on
 * real containers (docs/membership-design.md); these tests pin the scripts' decisions.
 */
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { waitFor } from '../e2e/podman';
import { requireTool, runBounded } from './support/tools';

const SCRIPTS = path.join(__dirname, '..', 'lib', 'scripts');
const TOKEN = 'token-of-the-service-account';
jest.setTimeout(30_000);

let bash: string;
let tmp: string;
let closers: (() => Promise<unknown>)[];
let accountDir: string;
let apiCert: { key: string; cert: string };
let otherCert: string;

beforeAll(() => {
  bash = requireTool('bash');
  requireTool('python3');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-membership-ca-'));
  const selfSigned = (name: string) => {
    execFileSync(requireTool('openssl'), ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=kubernetes', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, `${name}.key`), '-out', path.join(dir, `${name}.crt`)],
    { stdio: 'ignore' });
    return { key: fs.readFileSync(path.join(dir, `${name}.key`), 'utf8'), cert: fs.readFileSync(path.join(dir, `${name}.crt`), 'utf8') };
  };
  apiCert = selfSigned('api');
  otherCert = selfSigned('other').cert;
  fs.rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-membership-'));
  closers = [];
  accountDir = path.join(tmp, 'serviceaccount');
  fs.mkdirSync(accountDir);
  fs.writeFileSync(path.join(accountDir, 'token'), `${TOKEN}\n`);
  fs.writeFileSync(path.join(accountDir, 'ca.crt'), apiCert.cert);
});
afterEach(async () => {
  await Promise.all(closers.map((close) => close()));
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => { (server as http.Server).closeAllConnections?.(); server.close(resolve); }));
  return (server.address() as net.AddressInfo).port;
}

/** The API server: the StatefulSet `zk` in namespace `ns`, whose spec.replicas is `replicas()`; records each request's Authorization. */
async function apiServer(replicas: () => number | undefined, seen: string[] = [], others: Record<string, () => number> = {}): Promise<number> {
  const statefulSets: Record<string, () => number | undefined> = { zk: replicas, ...others };
  return listen(https.createServer(apiCert, (req, res) => {
    seen.push(req.headers.authorization ?? '');
    const name = /^\/apis\/apps\/v1\/namespaces\/ns\/statefulsets\/([^/]+)$/.exec(req.url ?? '')?.[1];
    if (name === undefined || !(name in statefulSets) || req.headers.authorization !== `Bearer ${TOKEN}`) {
      res.statusCode = req.headers.authorization === `Bearer ${TOKEN}` ? 404 : 401;
      res.end();
      return;
    }
    const value = statefulSets[name]();
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ kind: 'StatefulSet', spec: value === undefined ? {} : { replicas: value } }));
  }));
}

interface LocalState { voting: boolean; zabstate: string; leads: boolean; voters: number[] }

/** The member's AdminServer, answering from `state()` at the time of each request. */
async function adminServer(state: () => LocalState): Promise<number> {
  return listen(http.createServer((req, res) => {
    const s = state();
    res.setHeader('Content-Type', 'application/json');
    if (req.url === '/commands/zabstate') {
      res.end(JSON.stringify({ voting: s.voting, zabstate: s.zabstate, is_leader: s.leads, command: 'zabstate', error: null }));
    } else if (req.url === '/commands/voting_view') {
      const config = Object.fromEntries(s.voters.map((id) => [String(id), { server_addresses: [`z${id}:2888`], learner_type: 'participant' }]));
      res.end(JSON.stringify({ current_config: config, command: 'voting_view', error: null }));
    } else {
      res.statusCode = 404;
      res.end();
    }
  }));
}

/**
 * A `java` that plays ZooKeeperMain: `config` prints <fake>/config; piped commands are appended to
 * <fake>/sessions (one session per line, commands joined by ` | `), its argv to <fake>/argv, and a
 * reconfig answers the next line of <fake>/answers (`committed` by default: prints
 * "Committed new configuration:").
 */
function fakeJava(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const java = path.join(dir, 'java');
  fs.writeFileSync(java, `#!/usr/bin/env bash
dir=${dir}
echo "$*" >>"$dir/argv"
if [[ " $* " == *" config "* ]]; then cat "$dir/config" 2>/dev/null; exit 0; fi
session=$(cat | paste -sd '|' | sed 's/|/ | /g')
echo "$session" >>"$dir/sessions"
echo "[zk: localhost(CONNECTED) 0] $(head -n 1 <<<"\${session%% | *}")"
answer=committed
if [[ -s $dir/answers ]]; then answer=$(head -n 1 "$dir/answers"); sed -i 1d "$dir/answers"; fi
case $answer in
  committed) printf 'Committed new configuration:\\nserver.1=z1:2888:3888:participant;0.0.0.0:2181\\nversion=100000010\\n'; touch "$dir/committed" ;;
  in-progress) echo 'KeeperErrorCode = ReconfigInProgress' ;;
esac
exit 0
`, { mode: 0o755 });
  return dir;
}

interface Member {
  readonly ordinal: number;
  readonly env: NodeJS.ProcessEnv;
  readonly dataDir: string;
  readonly fake: string;
}

/** Where member `ordinal`'s fake java keeps what it was asked. */
const fakeDir = (ordinal: number) => path.join(tmp, `zk-${ordinal}`, 'fake');
const committed = (ordinal: number) => fs.existsSync(path.join(fakeDir(ordinal), 'committed'));

/** Member `ordinal` (myid ordinal + 1) of StatefulSet zk, with its ConfigMap files and data volume. */
function member(ordinal: number, opts: { apiPort?: number; adminPort?: number; clientPort?: number; bootstrapVoters?: number; env?: NodeJS.ProcessEnv } = {}): Member {
  const dir = path.join(tmp, `zk-${ordinal}`);
  const dataDir = path.join(dir, 'data');
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(path.join(dataDir, 'myid'), `${ordinal + 1}\n`);
  const zooCfg = path.join(dir, 'zoo.cfg');
  fs.writeFileSync(zooCfg, [`dataDir=${dataDir}`, `clientPort=${opts.clientPort ?? 1}`, `admin.serverPort=${opts.adminPort ?? 1}`,
    'reconfigEnabled=true', 'standaloneEnabled=false', ''].join('\n'));
  const bootstrap = path.join(dir, 'zoo.cfg.dynamic.bootstrap');
  fs.writeFileSync(bootstrap, [0, 1, 2].slice(0, opts.bootstrapVoters ?? 3).map((o) => `server.${o + 1}=zk-${o}.hl:2888:3888:participant;2181`).join('\n') + '\n');
  const fake = fakeJava(path.join(dir, 'fake'));
  return {
    ordinal, dataDir, fake,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin', ZK_JAVA: path.join(fake, 'java'), ZK_CLASSPATH: 'unused', ZK_ZOO_CFG: zooCfg,
      ZK_CLIENT_PORT: String(opts.clientPort ?? 1), ZK_TOOL_LOGGING_OPTION: '-Dlogback.configurationFile=none', ZK_MEMBERSHIP: 'dynamic',
      ZK_STATEFULSET: 'zk', ZK_NAMESPACE: 'ns', ZK_POD_NAME: `zk-${ordinal}`, ZK_PEER_DOMAIN: 'hl', ZK_CLIENT_SERVICE: '127.0.0.1',
      ZK_QUORUM_PORT: '2888', ZK_ELECTION_PORT: '3888', ZK_FIRST_MYID: '1', ZK_BOOTSTRAP_CFG: bootstrap,
      ZK_BOOTSTRAP_VOTERS: String(opts.bootstrapVoters ?? 3), KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(opts.apiPort ?? 1),
      ZK_SERVICE_ACCOUNT_DIR: accountDir, ZK_SUPER_PASSWORD_FILE: path.join(dir, 'super-password'), ZK_JOIN_POLL_SECONDS: '0.2',
      ZK_MEMBERSHIP_POLL_SECONDS: '0.2', ZK_RECONFIG_SECONDS: '5', ZK_LEAVE_LOG: path.join(dir, 'hook.log'), ...opts.env,
    },
  };
}

/** A client port that accepts connections (what dynamic-config.sh checks before starting a JVM). */
async function clientPort(): Promise<number> {
  return listen(net.createServer((socket) => socket.destroy()));
}

/** Runs a script to its end (within 20 s). */
async function run(m: Member, script: string) {
  return runBounded(bash, [path.join(SCRIPTS, script)], { env: m.env, timeoutMs: 20_000 });
}

/** Runs a script for `ms`, then stops it; returns what it logged. */
/**
 * Runs `script` as the member for `ms`, or, given `done`, until `done(stderr so far)` holds (then one more
 * second, for anything it would do besides) with `ms` as the bound: a loaded machine only slows
 * the script, it does not fail the test.
 */
async function runFor(m: Member, script: string, ms: number, done?: (stderr: string) => boolean): Promise<{ stdout: string; stderr: string }> {
  const child = spawn(bash, [path.join(SCRIPTS, script)], { env: m.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
  const until = Date.now() + ms;
  while (Date.now() < until && child.exitCode === null && !done?.(stderr)) await new Promise((resolve) => setTimeout(resolve, 100));
  if (done?.(stderr)) await new Promise((resolve) => setTimeout(resolve, 1_000));
  if (child.exitCode === null) {
    process.kill(-child.pid!, 'SIGTERM');
    await new Promise((resolve) => child.on('close', resolve));
  }
  return { stdout, stderr };
}

const read = (file: string) => fs.readFileSync(file, 'utf8');
const lines = (file: string) => (fs.existsSync(file) ? read(file).split('\n').filter(Boolean) : []);
const dynamicFileOf = (m: Member) => read(path.join(m.dataDir, 'zoo.cfg')).match(/^dynamicConfigFile=(.*)$/m)?.[1];

describe('membership-state.py', () => {
  test('replicas: GET of the StatefulSet with the account\'s token, verified against the account\'s CA', async () => {
    const seen: string[] = [];
    const m = member(0, { apiPort: await apiServer(() => 5, seen) });
    const result = await runBounded('python3', [path.join(SCRIPTS, 'membership-state.py'), 'replicas'], { env: m.env, timeoutMs: 10_000 });
    expect(result).toMatchObject({ code: 0, stdout: '5\n' });
    expect(seen).toEqual([`Bearer ${TOKEN}`]);
  });

  test('replicas: an omitted spec.replicas is 1 (the API server\'s default)', async () => {
    const m = member(0, { apiPort: await apiServer(() => undefined) });
    const result = await runBounded('python3', [path.join(SCRIPTS, 'membership-state.py'), 'replicas'], { env: m.env, timeoutMs: 10_000 });
    expect(result.stdout).toBe('1\n');
  });

  test('replicas: a server the CA does not vouch for gets no token and no answer is printed', async () => {
    const seen: string[] = [];
    const m = member(0, { apiPort: await apiServer(() => 3, seen) });
    fs.writeFileSync(path.join(accountDir, 'ca.crt'), otherCert);
    const result = await runBounded('python3', [path.join(SCRIPTS, 'membership-state.py'), 'replicas'], { env: m.env, timeoutMs: 10_000 });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(seen).toEqual([]);
    expect(result.stderr).not.toContain(TOKEN);
  });

  test('local: the server\'s voting, zab state, leadership and voters', async () => {
    const port = await adminServer(() => ({ voting: false, zabstate: 'broadcast', leads: false, voters: [3, 1] }));
    const result = await runBounded('python3', [path.join(SCRIPTS, 'membership-state.py'), 'local', String(port)], { env: { PATH: process.env.PATH }, timeoutMs: 10_000 });
    expect(result.stdout).toBe('false broadcast false 1,3\n');
  });
});

describe('dynamic-config.sh (every start, with ZK_MEMBERSHIP=dynamic)', () => {
  test('a member listed in the newest membership on its volume starts from that file; the ConfigMap\'s entries are copied fresh', async () => {
    const m = member(1);
    fs.appendFileSync(m.env.ZK_ZOO_CFG!, 'server.9=stale:1:2\ndynamicConfigFile=/elsewhere\n');
    fs.writeFileSync(path.join(m.dataDir, 'zoo.cfg.dynamic.100000000'), 'server.1=zk-0.hl:2888:3888:participant;0.0.0.0:2181');
    fs.writeFileSync(path.join(m.dataDir, 'zoo.cfg.dynamic.10000000a'), 'server.1=zk-0.hl:2888:3888:participant;0.0.0.0:2181\nserver.2=zk-1.hl:2888:3888:participant;0.0.0.0:2181');
    fs.writeFileSync(path.join(m.dataDir, 'zoo.cfg.dynamic.10000000a.tmp'), 'server.7=left-over:1:2');

    const result = await run(m, 'dynamic-config.sh');

    expect(result).toMatchObject({ code: 0, stdout: `${m.dataDir}/zoo.cfg\n` });
    const written = read(path.join(m.dataDir, 'zoo.cfg'));
    expect(written).toBe(`dataDir=${m.dataDir}\nclientPort=1\nadmin.serverPort=1\nreconfigEnabled=true\nstandaloneEnabled=false\ndynamicConfigFile=${m.dataDir}/zoo.cfg.dynamic.10000000a\n`);
    expect(lines(path.join(m.fake, 'argv'))).toEqual([]);
  });

  test('of the membership files ZooKeeper left on the volume, only the newest 5 are kept, by version, the chosen one among them', async () => {
    const m = member(0);
    // Versions compare as numbers: 10000000a is newer than 100000009, and 200000000 newest of all.
    const versions = ['100000000', '100000003', '100000009', '10000000a', '10000000b', '100000010', '1000000ff', '200000000'];
    for (const v of versions) fs.writeFileSync(path.join(m.dataDir, `zoo.cfg.dynamic.${v}`), `server.1=zk-0.hl:2888:3888:participant;0.0.0.0:2181\nversion=${v}`);
    fs.writeFileSync(path.join(m.dataDir, 'zoo.cfg.dynamic.next'), 'server.1=zk-0.hl:2888:3888:participant;0.0.0.0:2181');

    const result = await run(m, 'dynamic-config.sh');

    expect(result.code).toBe(0);
    expect(dynamicFileOf(m)).toBe(`${m.dataDir}/zoo.cfg.dynamic.200000000`);
    expect(fs.readdirSync(m.dataDir).filter((f) => f.startsWith('zoo.cfg.dynamic')).sort()).toEqual(
      ['zoo.cfg.dynamic.10000000a', 'zoo.cfg.dynamic.10000000b', 'zoo.cfg.dynamic.100000010', 'zoo.cfg.dynamic.1000000ff', 'zoo.cfg.dynamic.200000000', 'zoo.cfg.dynamic.next']);
    expect(result.stderr).toMatch(/removed 3 old membership file\(s\), keeping the newest 5/);
    // At the next start there is nothing more to remove, and nothing is said.
    expect((await run(m, 'dynamic-config.sh')).stderr).not.toMatch(/removed/);
  });

  test('a member its newest membership no longer lists (removed) joins: the ensemble\'s membership plus its own line, unversioned', async () => {
    const m = member(2, { clientPort: await clientPort() });
    fs.writeFileSync(path.join(m.dataDir, 'zoo.cfg.dynamic.100000000'), 'server.3=zk-2.hl:2888:3888:participant;0.0.0.0:2181');
    fs.writeFileSync(path.join(m.dataDir, 'zoo.cfg.dynamic.200000004'), 'server.1=zk-0.hl:2888:3888:participant;0.0.0.0:2181');
    fs.writeFileSync(path.join(m.fake, 'config'), 'server.1=zk-0.hl:2888:3888:participant;0.0.0.0:2181\nserver.2=zk-1.hl:2888:3888:participant;0.0.0.0:2181\nversion=200000004\n');

    const result = await run(m, 'dynamic-config.sh');

    expect(result.code).toBe(0);
    expect(dynamicFileOf(m)).toBe(`${m.dataDir}/zoo.cfg.dynamic`);
    expect(read(path.join(m.dataDir, 'zoo.cfg.dynamic'))).toBe([
      'server.1=zk-0.hl:2888:3888:participant;0.0.0.0:2181', 'server.2=zk-1.hl:2888:3888:participant;0.0.0.0:2181',
      `server.3=zk-2.hl:2888:3888:participant;${m.env.ZK_CLIENT_PORT}`, ''].join('\n'));
    // Asked through the client Service, whose certificate names it: no loopback exemption from hostname verification.
    expect(lines(path.join(m.fake, 'argv'))).toEqual([expect.stringMatching(new RegExp(`-server 127\\.0\\.0\\.1:${m.env.ZK_CLIENT_PORT} config$`))]);
    expect(result.stderr).toMatch(/does not list it \(it was removed\); joining anew/);
  });

  test('a member the ensemble still lists (its volume was lost) starts from exactly the ensemble\'s membership', async () => {
    const m = member(0, { clientPort: await clientPort() });
    fs.writeFileSync(path.join(m.fake, 'config'), 'server.1=zk-0.hl:2888:3888:participant;0.0.0.0:2181\nserver.2=zk-1.hl:2888:3888:participant;0.0.0.0:2181\nversion=100000000\n');
    await run(m, 'dynamic-config.sh');
    expect(read(path.join(m.dataDir, 'zoo.cfg.dynamic'))).toBe('server.1=zk-0.hl:2888:3888:participant;0.0.0.0:2181\nserver.2=zk-1.hl:2888:3888:participant;0.0.0.0:2181\n');
  });

  test('TLS-only clients: the joiner\'s own line names the loopback client address', async () => {
    const port = await clientPort();
    const m = member(1, { clientPort: 2181 });
    fs.appendFileSync(m.env.ZK_ZOO_CFG!, `clientPortAddress=127.0.0.1\nsecureClientPort=${port}\n`);
    fs.writeFileSync(path.join(m.fake, 'config'), 'server.1=zk-0.hl:2888:3888:participant;127.0.0.1:2181\nversion=100000000\n');
    await run(m, 'dynamic-config.sh');
    expect(read(path.join(m.dataDir, 'zoo.cfg.dynamic'))).toContain('server.2=zk-1.hl:2888:3888:participant;127.0.0.1:2181\n');
    expect(lines(path.join(m.fake, 'argv'))[0]).toMatch(new RegExp(`-Dzookeeper.client.secure=true .*-server 127\\.0\\.0\\.1:${port} config$`));
    expect(lines(path.join(m.fake, 'argv'))[0]).not.toContain('hostnameVerification');
  });

  test('nobody answers: an unused member of the bootstrap list (B > 1) starts from it', async () => {
    const m = member(2, { bootstrapVoters: 3 });
    const result = await run(m, 'dynamic-config.sh');
    expect(result.code).toBe(0);
    expect(read(path.join(m.dataDir, 'zoo.cfg.dynamic'))).toBe(read(m.env.ZK_BOOTSTRAP_CFG!));
    // Nothing listens at the client Service: no JVM was started to ask.
    expect(lines(path.join(m.fake, 'argv'))).toEqual([]);
  });

  test('nobody answers: a member beyond the bootstrap list, or one whose volume held data, waits and never starts alone', async () => {
    const beyond = member(3, { bootstrapVoters: 3 });
    const used = member(0, { bootstrapVoters: 3 });
    fs.mkdirSync(path.join(used.dataDir, 'version-2'));
    fs.writeFileSync(path.join(used.dataDir, 'version-2', 'log.100000001'), 'x');
    for (const m of [beyond, used]) {
      const { stdout, stderr } = await runFor(m, 'dynamic-config.sh', 1_500);
      expect(stdout).toBe('');
      expect(stderr).toMatch(/no member answers at 127\.0\.0\.1 \(\d+ s\) and it may not start the ensemble on its own; waiting/);
      expect(fs.existsSync(path.join(m.dataDir, 'zoo.cfg'))).toBe(false);
    }
  });

  test('a client Service that accepts connections but gives no membership: an unused member of a bootstrap list of several starts from it (its peers of the list wait for it)', async () => {
    const m = member(1, { clientPort: await clientPort(), bootstrapVoters: 3 });
    fs.writeFileSync(path.join(m.fake, 'config'), 'KeeperErrorCode = ConnectionLoss for /zookeeper/config\n');
    const result = await run(m, 'dynamic-config.sh');
    expect(result.code).toBe(0);
    expect(read(path.join(m.dataDir, 'zoo.cfg.dynamic'))).toBe(read(m.env.ZK_BOOTSTRAP_CFG!));
    expect(result.stderr).toMatch(/gave no membership[\s\S]*starting from the bootstrap list \(ordinal 1 of 3\)/);
  });

  test('a client Service that accepts connections but gives no membership is not "nobody" for a member beyond the list: it waits, saying why', async () => {
    const m = member(3, { clientPort: await clientPort(), bootstrapVoters: 3 });
    fs.writeFileSync(path.join(m.fake, 'config'), 'KeeperErrorCode = ConnectionLoss for /zookeeper/config\n');
    const { stdout, stderr } = await runFor(m, 'dynamic-config.sh', 1_500);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/127\.0\.0\.1 accepts connections but gave no membership within 10 s: KeeperErrorCode = ConnectionLoss for \/zookeeper\/config/);
    expect(fs.existsSync(path.join(m.dataDir, 'zoo.cfg.dynamic'))).toBe(false);
  });

  test('nobody answers, one bootstrap voter: ordinal 0 starts alone only when the StatefulSet asks for one server', async () => {
    let replicas = 3;
    const apiPort = await apiServer(() => replicas);
    const m = member(0, { bootstrapVoters: 1, apiPort });
    expect((await runFor(m, 'dynamic-config.sh', 1_500)).stdout).toBe('');

    replicas = 1;
    const result = await run(m, 'dynamic-config.sh');
    expect(result.code).toBe(0);
    expect(read(path.join(m.dataDir, 'zoo.cfg.dynamic'))).toBe('server.1=zk-0.hl:2888:3888:participant;2181\n');
  });
});

describe('leave-ensemble.sh (preStop)', () => {
  test('a pod restarted or rolled (ordinal below replicas) stays a voter', async () => {
    const m = member(1, { apiPort: await apiServer(() => 3), adminPort: await adminServer(() => ({ voting: true, zabstate: 'broadcast', leads: false, voters: [1, 2, 3] })) });
    const result = await run(m, 'leave-ensemble.sh');
    expect(result.code).toBe(0);
    expect(lines(path.join(m.fake, 'sessions'))).toEqual([]);
    expect(result.stderr).toMatch(/ordinal 1 < 3 desired voters: a restart, not a scale-down; staying a voter/);
  });

  test('a pod scaled away removes itself as its own server\'s super user, retrying while another reconfig is in progress', async () => {
    const m = member(2, {
      apiPort: await apiServer(() => 1),
      adminPort: await adminServer(() => ({ voting: !committed(2), zabstate: 'broadcast', leads: false, voters: committed(2) ? [1, 2] : [1, 2, 3] })),
    });
    fs.writeFileSync(m.env.ZK_SUPER_PASSWORD_FILE!, 's3cret-of-this-start\n');
    fs.writeFileSync(path.join(m.fake, 'answers'), 'in-progress\ncommitted\n');

    const result = await run(m, 'leave-ensemble.sh');

    expect(result.code).toBe(0);
    const sessions = lines(path.join(m.fake, 'sessions'));
    expect(sessions).toEqual(Array(2).fill('addauth digest super:s3cret-of-this-start | reconfig -remove 3 | quit'));
    // The password went through stdin only: never an argument, never in the hook's log.
    expect(read(path.join(m.fake, 'argv'))).not.toContain('s3cret');
    expect(result.stderr + read(m.env.ZK_LEAVE_LOG!)).not.toContain('s3cret');
    expect(read(m.env.ZK_LEAVE_LOG!)).toMatch(/the removal did not commit \(KeeperErrorCode = ReconfigInProgress\); trying again[\s\S]*removed from the voters \(now: 1,2\)/);
  });

  /** Voters 1..5 scaled to 3: the voters every member's AdminServer reports, less those whose removal committed. */
  const scaledFiveToThree = () => [1, 2, 3, 4, 5].filter((id) => id <= 3 || !committed(id - 1));
  /** Member `ordinal` of five scaled to 3, leading or not, its AdminServer answering from the shared voters. */
  async function leavingMember(ordinal: number, leads: boolean, env: NodeJS.ProcessEnv = {}) {
    const apiPort = await apiServer(() => 3);
    const adminPort = await adminServer(() => ({ voting: !committed(ordinal), zabstate: 'broadcast', leads, voters: scaledFiveToThree() }));
    const m = member(ordinal, { apiPort, adminPort, env });
    fs.writeFileSync(m.env.ZK_SUPER_PASSWORD_FILE!, 'password\n');
    return m;
  }
  const removals = (m: Member) => lines(path.join(m.fake, 'sessions')).map((session) => /reconfig -remove (\d+)/.exec(session)?.[1]);

  test('the leader, scaled away with another voter, waits until that voter is removed, then removes itself', async () => {
    const leader = await leavingMember(4, true);
    const other = await leavingMember(3, false);

    const leaving = run(leader, 'leave-ensemble.sh');
    await waitFor('the leader to log that it waits', 15_000, 100,
      async () => /it leads: waiting until the other leaving voters \(4\) are removed/.test(lines(leader.env.ZK_LEAVE_LOG!).join('\n')) || undefined);
    expect(removals(leader)).toEqual([]);
    const otherResult = await run(other, 'leave-ensemble.sh');
    const leaderResult = await leaving;

    expect([otherResult.code, leaderResult.code]).toEqual([0, 0]);
    expect(removals(other)).toEqual(['4']);
    expect(removals(leader)).toEqual(['5']);
    // The voters it saw as it removed itself: the other leaving voter was gone already.
    expect(read(leader.env.ZK_LEAVE_LOG!)).toMatch(/removing itself from the voters \(1,2,3,5\)[\s\S]*removed from the voters \(now: 1,2,3\)/);
  });

  test('a leaving member that does not lead removes itself at once, while the leaving leader is still a voter', async () => {
    const m = await leavingMember(3, false);
    const result = await run(m, 'leave-ensemble.sh');
    expect(result.code).toBe(0);
    expect(removals(m)).toEqual(['4']);
    expect(read(m.env.ZK_LEAVE_LOG!)).toMatch(/removing itself from the voters \(1,2,3,4,5\)/);
    expect(read(m.env.ZK_LEAVE_LOG!)).not.toMatch(/waiting/);
  });

  test('the leader waits for the other leaving voters for half of its time at most, then removes itself anyway', async () => {
    const leader = await leavingMember(4, true, { ZK_LEAVE_SECONDS: '4' });
    const result = await run(leader, 'leave-ensemble.sh');
    expect(result.code).toBe(0);
    expect(removals(leader)).toEqual(['5']);
    expect(read(leader.env.ZK_LEAVE_LOG!)).toMatch(
      /waiting until the other leaving voters \(4\) are removed[\s\S]*the other leaving voters \(4\) are still voters after 2 s: removing itself anyway[\s\S]*removed from the voters \(now: 1,2,3,4\)/);
  });

  test('without an answer from the API it gives up within its deadline and exits 0, changing nothing', async () => {
    const m = member(2, { env: { ZK_LEAVE_SECONDS: '2' } });
    const result = await run(m, 'leave-ensemble.sh');
    expect(result.code).toBe(0);
    expect(lines(path.join(m.fake, 'sessions'))).toEqual([]);
    expect(result.stderr).toMatch(/could not read the StatefulSet's replicas .*; not leaving the voters/);
  });
});

describe('membership-watch.sh (supervisord program `membership`)', () => {
  test('a synced non-voter whose ordinal is wanted adds itself, once', async () => {
    const m = member(2, {
      apiPort: await apiServer(() => 3),
      adminPort: await adminServer(() => ({ voting: committed(2), zabstate: 'broadcast', leads: false, voters: committed(2) ? [1, 2, 3] : [1, 2] })),
    });
    fs.writeFileSync(m.env.ZK_SUPER_PASSWORD_FILE!, 'pw\n');
    const { stderr } = await runFor(m, 'membership-watch.sh', 30_000, (stderr) => /it votes now/.test(stderr));
    expect(lines(path.join(m.fake, 'sessions'))).toEqual([`addauth digest super:pw | reconfig -add server.3=zk-2.hl:2888:3888:participant;${m.env.ZK_CLIENT_PORT} | quit`]);
    expect(stderr).toMatch(/member 3: added: it votes now/);
  });

  test('joiners are added in ordinal order: a synced non-voter waits while a lower ordinal does not vote, then adds itself', async () => {
    const m = member(2, {
      apiPort: await apiServer(() => 3),
      // Member 2 (ordinal 1) votes only once this member has looked a few times.
      adminPort: await adminServer(() => {
        looks++;
        const lower = looks > 3 ? [2] : [];
        return { voting: committed(2), zabstate: 'broadcast', leads: false, voters: [1, ...lower, ...(committed(2) ? [3] : [])] };
      }),
    });
    let looks = 0;
    fs.writeFileSync(m.env.ZK_SUPER_PASSWORD_FILE!, 'pw\n');
    const { stderr } = await runFor(m, 'membership-watch.sh', 3_000);
    expect(stderr).toMatch(/member 3: in sync as a non-voter; waiting for member 2 to vote first/);
    expect(lines(path.join(m.fake, 'sessions'))).toEqual([`addauth digest super:pw | reconfig -add server.3=zk-2.hl:2888:3888:participant;${m.env.ZK_CLIENT_PORT} | quit`]);
  });

  test('a non-voter still syncing, or one whose ordinal is not wanted, is not added', async () => {
    for (const [state, replicas] of [['synchronization', 3], ['broadcast', 2]] as const) {
      const m = member(2, { apiPort: await apiServer(() => replicas), adminPort: await adminServer(() => ({ voting: false, zabstate: state, leads: false, voters: [1, 2] })) });
      await runFor(m, 'membership-watch.sh', 1_500);
      expect(lines(path.join(m.fake, 'sessions'))).toEqual([]);
    }
  });

  test('the leader removes the voters at or above the desired number (pods gone without their preStop), one at a time; followers do not', async () => {
    let voters = [1, 2, 3, 4];
    const m = member(0, {
      apiPort: await apiServer(() => 2),
      adminPort: await adminServer(() => {
        // The last committed removal takes effect.
        if (committed(0)) {
          fs.rmSync(path.join(fakeDir(0), 'committed'));
          const removed = Number(lines(path.join(fakeDir(0), 'sessions')).at(-1)?.match(/reconfig -remove (\d+)/)?.[1]);
          voters = voters.filter((id) => id !== removed);
        }
        return { voting: true, zabstate: 'broadcast', leads: true, voters };
      }),
    });
    fs.writeFileSync(m.env.ZK_SUPER_PASSWORD_FILE!, 'pw\n');
    await runFor(m, 'membership-watch.sh', 30_000, () => voters.length === 2);
    expect(lines(path.join(m.fake, 'sessions'))).toEqual([
      'addauth digest super:pw | reconfig -remove 3 | quit',
      'addauth digest super:pw | reconfig -remove 4 | quit',
    ]);

    const follower = member(1, { apiPort: await apiServer(() => 1), adminPort: await adminServer(() => ({ voting: true, zabstate: 'broadcast', leads: false, voters: [1, 2, 3] })) });
    await runFor(follower, 'membership-watch.sh', 1_500);
    expect(lines(path.join(follower.fake, 'sessions'))).toEqual([]);
  });
});

/**
 * Observer `ordinal` of StatefulSet zk-observer (myid 224 + ordinal): its zoo.cfg says
 * peerType=observer, and `listed` is the membership its server holds, in the dynamic file its zoo.cfg
 * on the data volume names (as ZooKeeper rewrites them). The fake API's `zk` is its StatefulSet.
 */
function observer(ordinal: number, opts: Parameters<typeof member>[1] & { listed?: string[] } = {}): Member {
  const m = member(ordinal, { ...opts, env: { ZK_FIRST_MYID: '224', ZK_POD_NAME: `zk-observer-${ordinal}`, ...opts.env } });
  fs.writeFileSync(path.join(m.dataDir, 'myid'), `${224 + ordinal}\n`);
  fs.appendFileSync(m.env.ZK_ZOO_CFG!, 'peerType=observer\n');
  if (opts.listed) writeHeldMembership(m, opts.listed);
  return m;
}

/** The membership a member's server holds: <dataDir>/zoo.cfg naming a versioned dynamic file. */
function writeHeldMembership(m: Member, servers: string[]): void {
  const file = path.join(m.dataDir, 'zoo.cfg.dynamic.100000010');
  fs.writeFileSync(file, servers.join('\n') + '\n');
  fs.writeFileSync(path.join(m.dataDir, 'zoo.cfg'), `dataDir=${m.dataDir}\ndynamicConfigFile=${file}\n`);
}

const VOTER_LINES = ['server.1=zk-0.hl:2888:3888:participant;0.0.0.0:2181', 'server.2=zk-1.hl:2888:3888:participant;0.0.0.0:2181'];
const observerLine = (ordinal: number) => `server.${224 + ordinal}=zk-observer-${ordinal}.hl:2888:3888:observer;0.0.0.0:2181`;

describe('observers (peerType=observer in their zoo.cfg)', () => {
  test('dynamic-config.sh: an observer is always a joiner: the ensemble\'s membership plus its own observer line; never the bootstrap list', async () => {
    const waiting = observer(0, { bootstrapVoters: 3 });
    const { stdout, stderr } = await runFor(waiting, 'dynamic-config.sh', 1_500);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/no member answers .* waiting/);

    const joining = observer(1, { clientPort: await clientPort() });
    fs.writeFileSync(path.join(joining.fake, 'config'), [...VOTER_LINES, 'version=100000010', ''].join('\n'));
    await run(joining, 'dynamic-config.sh');
    expect(read(path.join(joining.dataDir, 'zoo.cfg.dynamic'))).toBe([...VOTER_LINES, `server.225=zk-observer-1.hl:2888:3888:observer;${joining.env.ZK_CLIENT_PORT}`, ''].join('\n'));
  });

  test('membership-watch.sh: a synced observer its membership does not list adds itself as an observer; one its StatefulSet does not want is not added', async () => {
    const apiPort = await apiServer(() => 2);
    const adminPort = await adminServer(() => ({ voting: false, zabstate: 'broadcast', leads: false, voters: [1, 2] }));
    const joiner = observer(1, { apiPort, adminPort, listed: VOTER_LINES });
    fs.writeFileSync(joiner.env.ZK_SUPER_PASSWORD_FILE!, 'pw\n');
    // The add commits: the server's membership then lists it.
    fs.writeFileSync(path.join(joiner.fake, 'answers'), 'committed\n');
    const watching = runFor(joiner, 'membership-watch.sh', 30_000, (stderr) => /it observes now/.test(stderr));
    // Once it has sent its add, the membership it holds lists it (however slowly the machine runs).
    for (const until = Date.now() + 30_000; Date.now() < until && lines(path.join(joiner.fake, 'sessions')).length === 0;) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    writeHeldMembership(joiner, [...VOTER_LINES, observerLine(1)]);
    const { stderr } = await watching;
    expect(lines(path.join(joiner.fake, 'sessions'))).toEqual([`addauth digest super:pw | reconfig -add server.225=zk-observer-1.hl:2888:3888:observer;${joiner.env.ZK_CLIENT_PORT} | quit`]);
    expect(stderr).toMatch(/member 225: added: it observes now/);

    const scaledAway = observer(2, { apiPort: await apiServer(() => 2), adminPort, listed: VOTER_LINES });
    await runFor(scaledAway, 'membership-watch.sh', 1_500);
    expect(lines(path.join(scaledAway.fake, 'sessions'))).toEqual([]);
  });

  test('membership-watch.sh: the leader removes the observers at or above their StatefulSet\'s replicas, one at a time', async () => {
    const held = [...VOTER_LINES, observerLine(0), observerLine(1), observerLine(2)];
    const m = member(0, {
      apiPort: await apiServer(() => 2, [], { 'zk-observer': () => 1 }),
      adminPort: await adminServer(() => {
        if (committed(0)) {
          fs.rmSync(path.join(fakeDir(0), 'committed'));
          const removed = Number(lines(path.join(fakeDir(0), 'sessions')).at(-1)?.match(/reconfig -remove (\d+)/)?.[1]);
          held.splice(held.findIndex((l) => l.startsWith(`server.${removed}=`)), 1);
          writeHeldMembership(m, held);
        }
        return { voting: true, zabstate: 'broadcast', leads: true, voters: [1, 2] };
      }),
      env: { ZK_OBSERVER_STATEFULSET: 'zk-observer', ZK_OBSERVER_FIRST_MYID: '224' },
    });
    writeHeldMembership(m, held);
    fs.writeFileSync(m.env.ZK_SUPER_PASSWORD_FILE!, 'pw\n');
    await runFor(m, 'membership-watch.sh', 30_000, () => held.length === VOTER_LINES.length + 1);
    expect(lines(path.join(m.fake, 'sessions'))).toEqual([
      'addauth digest super:pw | reconfig -remove 225 | quit',
      'addauth digest super:pw | reconfig -remove 226 | quit',
    ]);
  });

  test('leave-ensemble.sh: an observer scaled away removes itself; one restarted stays', async () => {
    const adminPort = await adminServer(() => ({ voting: false, zabstate: 'broadcast', leads: false, voters: [1, 2] }));
    const leaving = observer(1, { apiPort: await apiServer(() => 1), adminPort, listed: [...VOTER_LINES, observerLine(0), observerLine(1)] });
    fs.writeFileSync(leaving.env.ZK_SUPER_PASSWORD_FILE!, 'pw\n');
    fs.writeFileSync(path.join(leaving.fake, 'answers'), 'in-progress\ncommitted\n');
    const result = await run(leaving, 'leave-ensemble.sh');
    expect(result.code).toBe(0);
    expect(lines(path.join(leaving.fake, 'sessions'))).toEqual(Array(2).fill('addauth digest super:pw | reconfig -remove 225 | quit'));
    expect(read(leaving.env.ZK_LEAVE_LOG!)).toMatch(/ReconfigInProgress\); trying again[\s\S]*ordinal 1 >= 1 desired observers: removed from the membership/);

    const restarted = observer(0, { apiPort: await apiServer(() => 2), adminPort, listed: [...VOTER_LINES, observerLine(0)] });
    expect((await run(restarted, 'leave-ensemble.sh')).code).toBe(0);
    expect(lines(path.join(restarted.fake, 'sessions'))).toEqual([]);
  });
});
