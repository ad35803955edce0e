/**
 * sync-tls-stores.sh, run for real under bash against a Secret volume written the way the kubelet
 * writes one. It exists because a kubelet update names no store file in the directory ZooKeeper
 * watches; these tests show that, and that the script's copies do produce such events.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeSecretVolume } from '../e2e/secret-volume';

const SCRIPT = path.join(__dirname, '..', 'lib', 'scripts', 'sync-tls-stores.sh');
const STORES = ['keystore.p12', 'truststore.p12'];

interface Setup { secret: string; stores: string; env: Record<string, string> }

function setup(): Setup {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-tls-sync-'));
  const secret = path.join(root, 'secret');
  const stores = path.join(root, 'stores');
  fs.mkdirSync(secret);
  fs.mkdirSync(stores);
  return { secret, stores, env: { ZK_TLS_SOURCE_DIR: secret, ZK_TLS_DIR: stores, ZK_TLS_SYNC_SECONDS: '1' } };
}

const content = (tag: string) => Object.fromEntries(STORES.map((s) => [s, Buffer.from(`${tag}:${s}`)]));

function runSync(mode: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', [SCRIPT, mode], { env: { PATH: process.env.PATH!, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The names inotify reports in `dir` while `action` runs (what ZooKeeper's directory watch sees). */
async function namesReported(dir: string, action: () => Promise<unknown> | void): Promise<string[]> {
  const names: string[] = [];
  const watcher = fs.watch(dir, (_event, name) => { if (name) names.push(name.toString()); });
  try {
    await action();
    await new Promise((resolve) => setTimeout(resolve, 200));
  } finally {
    watcher.close();
  }
  return names;
}

describe('sync-tls-stores.sh (TLS store copies ZooKeeper reloads)', () => {
  let s: Setup;
  beforeEach(() => { s = setup(); });
  afterEach(() => fs.rmSync(path.dirname(s.secret), { recursive: true, force: true }));

  test('a kubelet update of the Secret volume reports no event named like a store, though the content changed', async () => {
    // GIVEN a Secret volume as the kubelet mounts it
    writeSecretVolume(s.secret, content('v1'), { mode: 0o440 });
    // WHEN the kubelet updates it
    const names = await namesReported(s.secret, () => writeSecretVolume(s.secret, content('v2'), { mode: 0o440 }));
    // THEN the stores read differently, yet no reported name is a store's: ZooKeeper 3.8 would not reload
    expect(fs.readFileSync(path.join(s.secret, 'keystore.p12'), 'utf8')).toBe('v2:keystore.p12');
    expect(names).toContain('..data');
    expect(names.filter((n) => STORES.includes(n))).toEqual([]);
  });

  test('copies the stores, each renamed into place under its own name, readable by the owner only', async () => {
    writeSecretVolume(s.secret, content('v1'), { mode: 0o440 });
    const names = await namesReported(s.stores, async () => expect((await runSync('once', s.env)).code).toBe(0));
    for (const store of STORES) {
      expect(fs.readFileSync(path.join(s.stores, store), 'utf8')).toBe(`v1:${store}`);
      expect(fs.statSync(path.join(s.stores, store)).mode & 0o077).toBe(0);
    }
    expect(names).toEqual(expect.arrayContaining(STORES));
    expect(fs.readdirSync(s.stores).sort()).toEqual(STORES);
  });

  test('after a kubelet update, replaces exactly the stores that changed; unchanged ones are left alone', async () => {
    writeSecretVolume(s.secret, content('v1'), { mode: 0o440 });
    await runSync('once', s.env);
    const trustInode = fs.statSync(path.join(s.stores, 'truststore.p12')).ino;
    writeSecretVolume(s.secret, { ...content('v1'), 'keystore.p12': Buffer.from('renewed') }, { mode: 0o440 });
    const names = await namesReported(s.stores, () => runSync('once', s.env));
    expect(fs.readFileSync(path.join(s.stores, 'keystore.p12'), 'utf8')).toBe('renewed');
    expect(names.filter((n) => STORES.includes(n))).toEqual(['keystore.p12']);
    expect(fs.statSync(path.join(s.stores, 'truststore.p12')).ino).toBe(trustInode);
  });

  test('in watch mode, picks up a kubelet update within its interval', async () => {
    writeSecretVolume(s.secret, content('v1'), { mode: 0o440 });
    const child = spawn('bash', [SCRIPT, 'watch'], { env: { PATH: process.env.PATH!, ...s.env } });
    try {
      const read = () => fs.existsSync(path.join(s.stores, 'keystore.p12')) && fs.readFileSync(path.join(s.stores, 'keystore.p12'), 'utf8');
      const until = async (want: string) => {
        const deadline = Date.now() + 5000;
        while (read() !== want && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        return read();
      };
      expect(await until('v1:keystore.p12')).toBe('v1:keystore.p12');
      const updated = Date.now();
      writeSecretVolume(s.secret, content('v2'), { mode: 0o440 });
      expect(await until('v2:keystore.p12')).toBe('v2:keystore.p12');
      expect(Date.now() - updated).toBeLessThan(2500);
    } finally {
      child.kill('SIGTERM');
    }
  });

  test('as the zookeeper program, copies the current stores and then becomes the start command (same process)', async () => {
    writeSecretVolume(s.secret, content('v1'), { mode: 0o440 });
    const child = spawn('bash', [SCRIPT, 'exec', 'bash', '-c', 'echo "pid=$$ $(cat "$ZK_TLS_DIR/keystore.p12")"'], { env: { PATH: process.env.PATH!, ...s.env } });
    let stdout = '';
    child.stdout.on('data', (d) => { stdout += d; });
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(stdout).toContain(`pid=${child.pid} v1:keystore.p12`);
  });

  test('refuses a Secret without one of the stores, naming the key', async () => {
    writeSecretVolume(s.secret, { 'keystore.p12': Buffer.from('x') }, { mode: 0o440 });
    const result = await runSync('once', s.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/the TLS Secret must have the key truststore\.p12/);
  });
});
