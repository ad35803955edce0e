/**
 * A recreated pod keeps its name and gets a new address. ZooKeeper re-resolves a leader right
 * before following it and, when that lookup fails, dials the address it had: for initLimit x
 * tickTime. These tests run a real JVM with the rendered jvm.options and java.security, over a
 * hosts file the test rewrites as the cluster DNS would change, and check how soon the JVM sees
 * a peer that did not resolve a moment ago, and a peer's new address.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { synthChart } from './support/synth';

const CONFIG_DIR = '/config/zookeeper';
const PEER = 'zk-1.zk-headless.zk.svc.cluster.local';

/** Resolves PEER through the JVM's cache as the hosts file changes: gone, back, moved. */
const PROGRAM = `
import java.net.*;
import java.nio.file.*;
public class Lookups {
  static String lookup(String name) {
    try { return InetAddress.getByName(name).getHostAddress(); } catch (UnknownHostException e) { return "unresolved"; }
  }
  static void hosts(Path file, String line) throws Exception { Files.writeString(file, "127.0.0.1 localhost\\n" + line); }
  public static void main(String[] args) throws Exception {
    Path file = Paths.get(args[0]);
    String name = args[1];
    hosts(file, "");
    System.out.println("gone " + lookup(name));
    hosts(file, "10.0.0.1 " + name + "\\n");
    Thread.sleep(2500);
    System.out.println("back after 2.5 s " + lookup(name));
    hosts(file, "10.0.0.2 " + name + "\\n");
    Thread.sleep(6000);
    System.out.println("moved after 6 s " + lookup(name));
  }
}
`;

async function lookups(jvmOptions: string[], dir: string): Promise<Record<string, string>> {
  const work = fs.mkdtempSync(path.join(dir, 'run-'));
  fs.writeFileSync(path.join(work, 'Lookups.java'), PROGRAM);
  const argfile = path.join(work, 'jvm.options');
  fs.writeFileSync(argfile, `${jvmOptions.join('\n')}\n`);
  const { stdout } = await promisify(execFile)('java', [`@${argfile}`, `-Djdk.net.hosts.file=${path.join(work, 'hosts')}`,
    path.join(work, 'Lookups.java'), path.join(work, 'hosts'), PEER], { timeout: 60_000 });
  return Object.fromEntries(stdout.trim().split('\n').map((line) => [line.slice(0, line.lastIndexOf(' ')), line.slice(line.lastIndexOf(' ') + 1)]));
}

describe('the JVM forgets DNS answers quickly, as recreated pods need', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-dns-cache-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  // GIVEN the rendered jvm.options and java.security, with the ConfigMap's mount point moved here
  const out = synthChart({ namespace: 'zk' });
  const configDir = path.join(dir, 'config');
  fs.mkdirSync(configDir);
  fs.writeFileSync(path.join(configDir, 'java.security'), out.file('zookeeper-config', 'java.security'));
  const rendered = out.file('zookeeper-config', 'jvm.options').trim().split('\n').map((option) => option.split(CONFIG_DIR).join(configDir));

  test('a peer whose name did not resolve is found within seconds of coming back, and a moved peer at its new address', async () => {
    // WHEN a real JVM looks the peer up while it is gone, back and moved
    const seen = await lookups(rendered, dir);
    // THEN it sees each change within the cache times the configuration sets (1 s and 5 s)
    expect(seen).toEqual({ 'gone': 'unresolved', 'back after 2.5 s': '10.0.0.1', 'moved after 6 s': '10.0.0.2' });
  }, 60_000);

  test('the JDK\'s java.security would keep a failed lookup for 10 s, whatever the sun.net.inetaddr flags say', async () => {
    // GIVEN the system properties the project once used instead of the security file
    const legacy = [...rendered.filter((o) => !o.startsWith('-Djava.security.properties=')), '-Dsun.net.inetaddr.ttl=5', '-Dsun.net.inetaddr.negative.ttl=1'];
    // WHEN the same lookups run
    const seen = await lookups(legacy, dir);
    // THEN the returning peer is still unresolved 2.5 s later: the failure this configuration prevents
    expect(seen['back after 2.5 s']).toBe('unresolved');
  }, 60_000);

  test('the roll Job\'s JVM forgets them as quickly: it sees a replaced member at its new address within seconds', async () => {
    // GIVEN the roller's JVM options as its Job runs them, with its ConfigMap's java.security here
    const roll = synthChart({ namespace: 'zk' });
    const job = roll.all('Job').find((j) => j.metadata.labels['app.kubernetes.io/component'] === 'roll')!;
    const command: string[] = job.spec.template.spec.containers[0].command;
    const configMap = job.spec.template.spec.volumes.find((v: any) => v.name === 'source').configMap.name;
    const sourceDir = job.spec.template.spec.containers[0].volumeMounts.find((m: any) => m.name === 'source').mountPath;
    const rollDir = path.join(dir, 'roll');
    fs.mkdirSync(rollDir);
    fs.writeFileSync(path.join(rollDir, 'java.security'), roll.file(configMap, 'java.security'));
    const options = command.slice(1, command.indexOf('-cp')).filter((o) => !o.startsWith('-Dlogback')).map((o) => o.split(sourceDir).join(rollDir));
    // WHEN a real JVM with them looks a member up while it is gone, back and moved
    const seen = await lookups(options, dir);
    // THEN it sees each change within seconds, not the JDK's 30 s (the roller waited for that after every replacement)
    expect(seen).toEqual({ 'gone': 'unresolved', 'back after 2.5 s': '10.0.0.1', 'moved after 6 s': '10.0.0.2' });
  }, 60_000);
});
