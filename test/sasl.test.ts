/**
 * SASL authentication: what zoo.cfg and the JVM options say for each combination, that the JAAS
 * file the JVM is pointed at is what the start chain writes into memory from exactly the Secret
 * keys the settings name, that no credential reaches a rendered file, and that the script writes
 * a JAAS file Java itself parses back to the Secret's passwords (quotes and backslashes included).
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ClientTls, DeploymentMode, IssuerKind, QuorumSecurityStep, ZooKeeperChartProps } from '../lib';
import { writeSecretVolume } from '../e2e/secret-volume';
import { parseIni } from './support/ini';
import { parseZooCfg, synthChart, Synthesized } from './support/synth';

const SECRET = 'zk-sasl';
const BOTH: ZooKeeperChartProps = {
  clientSasl: true, quorumSasl: true, saslSecretName: SECRET, saslClientUsers: { kafka: 'kafka-pw', app: 'app-pw' }, saslSuperDigestKey: 'super',
};
const saslChart = (props: ZooKeeperChartProps) => synthChart({ namespace: 'zk', ...props });
const zooCfg = (out: Synthesized, file = 'zoo.cfg') => parseZooCfg(out.file('zookeeper-config', file));
const SASL_KEY = /^(authProvider|enforce\.auth|quorum\.auth|sessionRequireClientSASLAuth)/;
const env = (out: Synthesized) => Object.fromEntries(out.mainContainer.env.map((e: any) => [e.name, e.value]));
const SCRIPT = path.join(__dirname, '..', 'lib', 'scripts', 'write-sasl-config.sh');

describe('SASL off (the default)', () => {
  test('writes no SASL entry or JAAS flag, mounts no Secret and ships no SASL script', () => {
    const out = saslChart({});
    expect([...zooCfg(out).keys()].filter((k) => SASL_KEY.test(k))).toEqual([]);
    expect(out.file('zookeeper-config', 'jvm.options')).not.toMatch(/java\.security\.auth\.login\.config/);
    expect(out.podSpec.volumes.filter((v: any) => v.secret)).toEqual([]);
    expect(Object.keys(out.one('ConfigMap', 'zookeeper-scripts').data)).not.toContain('write-sasl-config.sh');
  });
});

describe('zoo.cfg for each combination', () => {
  const CASES: [string, ZooKeeperChartProps, { client: boolean; quorum: boolean }][] = [
    ['client SASL only', { clientSasl: true, saslSecretName: SECRET, saslClientUsers: { app: 'app-pw' } }, { client: true, quorum: false }],
    ['quorum SASL only', { quorumSasl: true, saslSecretName: SECRET }, { client: false, quorum: true }],
    ['both', BOTH, { client: true, quorum: true }],
  ];
  test.each(CASES)('%s: the SASL provider and enforcement for clients, required authentication both ways for members', (_name, props, want) => {
    const cfg = zooCfg(saslChart(props));
    expect(cfg.get('authProvider.sasl') === 'org.apache.zookeeper.server.auth.SASLAuthenticationProvider').toBe(want.client);
    expect(cfg.get('enforce.auth.enabled') === 'true').toBe(want.client);
    expect(cfg.get('enforce.auth.schemes') === 'sasl').toBe(want.client);
    for (const key of ['quorum.auth.enableSasl', 'quorum.auth.learnerRequireSasl', 'quorum.auth.serverRequireSasl']) {
      expect(cfg.get(key) === 'true').toBe(want.quorum);
    }
    // DIGEST-MD5 needs no Kerberos principal; the JAAS sections keep ZooKeeper's default names.
    expect([...cfg.keys()].filter((k) => /kerberos|saslLoginContext/.test(k))).toEqual([]);
  });

  test('observers get the same SASL entries as the voters', () => {
    const out = saslChart({ ...BOTH, mode: DeploymentMode.CLUSTER, observers: 2 });
    const entries = (cfg: Map<string, string>) => [...cfg].filter(([k]) => SASL_KEY.test(k));
    expect(entries(zooCfg(out, 'zoo-observer.cfg'))).toEqual(entries(zooCfg(out)));
    expect(entries(zooCfg(out))).toHaveLength(6);
  });
});

describe('quorum SASL turned on or off in steps, one rolling update each', () => {
  test.each([
    // Neighbouring steps accept each other: nobody requires what a member of the step before lacks.
    ['accept', QuorumSecurityStep.ACCEPT, 'false', 'false'],
    ['prefer', QuorumSecurityStep.PREFER, 'true', 'false'],
    ['true', true, 'true', 'true'],
  ] as const)('%s: SASL enabled, learners require it: %s, the leader requires it: %s', (_name, quorumSasl, learner, server) => {
    const out = saslChart({ quorumSasl, saslSecretName: SECRET });
    const cfg = zooCfg(out);
    expect(cfg.get('quorum.auth.enableSasl')).toBe('true');
    expect(cfg.get('quorum.auth.learnerRequireSasl')).toBe(learner);
    expect(cfg.get('quorum.auth.serverRequireSasl')).toBe(server);
    // Every step has what a member needs to authenticate: the quorum password and the JAAS file.
    expect(env(out).ZK_SASL_QUORUM_USER).toBe('quorum');
    expect(out.file('zookeeper-config', 'jvm.options')).toMatch(/java\.security\.auth\.login\.config/);
  });
});

describe('what the JVM reads is what the pod builds from the Secret', () => {
  const out = saslChart(BOTH);
  const vars = env(out);
  const jaasFlag = out.file('zookeeper-config', 'jvm.options').split('\n').find((l) => l.startsWith('-Djava.security.auth.login.config='))!;
  const jaasPath = jaasFlag?.slice(jaasFlag.indexOf('=') + 1);

  test('the JAAS file is in an in-memory volume, the directory the SASL script writes to', () => {
    const mount = out.mainContainer.volumeMounts.find((m: any) => jaasPath.startsWith(`${m.mountPath}/`));
    expect(path.dirname(jaasPath)).toBe(mount.mountPath);
    expect(vars.ZK_SASL_DIR).toBe(mount.mountPath);
    expect(out.podSpec.volumes.find((v: any) => v.name === mount.name).emptyDir).toEqual({ medium: 'Memory', sizeLimit: '1Mi' });
  });

  test('the Secret volume mounts exactly the named keys, read-only, readable by the group only, under the names the script reads', () => {
    const volume = out.podSpec.volumes.find((v: any) => v.secret?.secretName === SECRET);
    expect(volume.secret.defaultMode).toBe(0o440);
    expect(volume.secret.items).toEqual([
      { key: 'quorum-password', path: 'quorum-password' },
      { key: 'app-pw', path: 'client-app' },
      { key: 'kafka-pw', path: 'client-kafka' },
      { key: 'super', path: 'super-digest' },
    ]);
    const mount = out.mainContainer.volumeMounts.find((m: any) => m.name === volume.name);
    expect(mount).toEqual({ name: volume.name, mountPath: vars.ZK_SASL_SOURCE_DIR, readOnly: true });
    expect(vars.ZK_SASL_CLIENT_USERS).toBe('app kafka');
    expect(vars.ZK_SASL_QUORUM_USER).toBe('quorum');
    expect(vars.ZK_SASL_SUPER_DIGEST).toBe('true');
  });

  test('ZooKeeper starts through the SASL script, after the TLS sync when both are on', () => {
    const tls = saslChart({ ...BOTH, quorumTls: true, clientTls: ClientTls.ON, tlsIssuer: { name: 'ca', kind: IssuerKind.CLUSTER_ISSUER } });
    const command = (o: Synthesized) => parseIni(o.file('zookeeper-supervisord', 'supervisord.conf'))['program:zookeeper'].command.split(' ');
    expect(command(out)).toEqual(['/bin/bash', '/scripts/write-sasl-config.sh', 'exec', '/bin/bash', '/scripts/start-zookeeper.sh']);
    expect(command(tls)).toEqual(['/bin/bash', '/scripts/sync-tls-stores.sh', 'exec', '/bin/bash', '/scripts/write-sasl-config.sh', 'exec', '/bin/bash', '/scripts/start-zookeeper.sh']);
    expect(out.one('ConfigMap', 'zookeeper-scripts').data['write-sasl-config.sh']).toBe(fs.readFileSync(SCRIPT, 'utf8'));
  });

  test('no rendered file carries a credential or a place to put one', () => {
    for (const configMap of out.all('ConfigMap')) {
      for (const [file, text] of Object.entries<string>(configMap.data ?? {})) {
        if (file.endsWith('.sh')) continue;
        expect([file, text]).not.toEqual([file, expect.stringMatching(/superDigest|user_\w+=|password\s*=/)]);
      }
    }
  });
});

describe('write-sasl-config.sh against a Secret volume laid out like the kubelet\'s', () => {
  let dir: string;
  const PASSWORDS = { 'client-app': 'a"b\\c d', 'client-kafka': 'k\\\\"', 'quorum-password': 'q\'uo"rum\\' };
  const SUPER = `super:${'A'.repeat(27)}=`;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sasl-script-'));
    fs.mkdirSync(path.join(dir, 'run'));
    fs.mkdirSync(path.join(dir, 'secret'));
    fs.writeFileSync(path.join(dir, 'jvm.options'), '-XX:+UseG1GC\n');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const secret = (files: Record<string, string>) => writeSecretVolume(path.join(dir, 'secret'),
    Object.fromEntries(Object.entries(files).map(([k, v]) => [k, Buffer.from(v)])), { mode: 0o440 });
  const run = (extra: Record<string, string> = {}) => spawnSync('bash', [SCRIPT, 'exec', 'bash', '-c', 'printf %s "$ZK_JVM_OPTIONS"'], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH, ZK_SASL_SOURCE_DIR: path.join(dir, 'secret'), ZK_SASL_DIR: path.join(dir, 'run'),
      ZK_SASL_CLIENT_USERS: 'app kafka', ZK_SASL_QUORUM_USER: 'quorum', ZK_JVM_OPTIONS: path.join(dir, 'jvm.options'), ...extra,
    },
  });

  test('Java reads back every password exactly, from a file only the owner can read', () => {
    secret(PASSWORDS);
    const result = run();
    expect(result.status).toBe(0);
    const jaas = path.join(dir, 'run', 'jaas.conf');
    expect(fs.statSync(jaas).mode & 0o777).toBe(0o600);
    expect(parseJaas(jaas)).toEqual({
      Server: { user_app: PASSWORDS['client-app'], user_kafka: PASSWORDS['client-kafka'] },
      QuorumServer: { user_quorum: PASSWORDS['quorum-password'] },
      QuorumLearner: { username: 'quorum', password: PASSWORDS['quorum-password'] },
    });
    // Without a super digest java runs with the ConfigMap's options file.
    expect(result.stdout.split('\n').pop()).toBe(path.join(dir, 'jvm.options'));
  });

  test('a super digest goes into an in-memory copy of the JVM options, which java is then started with', () => {
    secret({ ...PASSWORDS, 'super-digest': SUPER });
    const result = run({ ZK_SASL_SUPER_DIGEST: 'true' });
    expect(result.status).toBe(0);
    const copy = path.join(dir, 'run', 'jvm.options');
    expect(result.stdout.split('\n').pop()).toBe(copy);
    expect(fs.statSync(copy).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(copy, 'utf8')).toBe(`-XX:+UseG1GC\n-Dzookeeper.DigestAuthenticationProvider.superDigest=${SUPER}\n`);
  });

  test('a client login for zk-cli.sh holds one client user\'s password exactly, only its owner can read it, and no other user gets one', () => {
    secret(PASSWORDS);
    const client = (user: string) => spawnSync('bash', [SCRIPT, 'client', user], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, ZK_SASL_SOURCE_DIR: path.join(dir, 'secret'), ZK_SASL_DIR: path.join(dir, 'run'), ZK_SASL_CLIENT_USERS: 'app kafka' },
    });
    const result = client('kafka');
    expect(result.status).toBe(0);
    const file = result.stdout.trim();
    expect(file).toBe(path.join(dir, 'run', 'client-kafka.jaas.conf'));
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(parseJaas(file, ['Client'])).toEqual({ Client: { username: 'kafka', password: PASSWORDS['client-kafka'] } });
    const refused = client('quorum');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/quorum is not a client user of this ensemble \(app kafka\)/);
  });

  test.each([
    ['a password with a trailing newline', { ...PASSWORDS, 'client-app': 'secret\n' }, {}, /client-app contains a line break/],
    ['an empty password', { ...PASSWORDS, 'quorum-password': '' }, {}, /quorum-password is empty/],
    ['a missing key', { 'client-app': 'x', 'quorum-password': 'y' }, {}, /client-kafka is missing or unreadable/],
    ['a super digest that is a password', { ...PASSWORDS, 'super-digest': 'super:secret' }, { ZK_SASL_SUPER_DIGEST: 'true' }, /must look like super:<27 base64 characters>=/],
  ])('%s stops the start with a message, before java runs', (_what, files, extra, message) => {
    secret(files);
    const result = run(extra);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
  });
});

/** The JAAS file as Java's own parser (the JDK's ConfigFile) reads it: section -> option -> value. */
function parseJaas(file: string, sections = ['Server', 'QuorumServer', 'QuorumLearner']): Record<string, Record<string, string>> {
  const source = path.join(path.dirname(file), 'ReadJaas.java');
  fs.writeFileSync(source, `
import javax.security.auth.login.*;
public class ReadJaas {
  public static void main(String[] args) {
    System.setProperty("java.security.auth.login.config", args[0]);
    StringBuilder out = new StringBuilder("{");
    for (int i = 1; i < args.length; i++) {
      AppConfigurationEntry[] entries = Configuration.getConfiguration().getAppConfigurationEntry(args[i]);
      out.append(i > 1 ? "," : "").append(q(args[i])).append(":{");
      int n = 0;
      for (java.util.Map.Entry<String, ?> e : entries[0].getOptions().entrySet()) {
        out.append(n++ > 0 ? "," : "").append(q(e.getKey())).append(":").append(q(String.valueOf(e.getValue())));
      }
      out.append("}");
    }
    System.out.println(out.append("}"));
  }
  static String q(String s) {
    StringBuilder b = new StringBuilder("\\"");
    for (char c : s.toCharArray()) b.append(c == '"' || c == '\\\\' ? "\\\\" + c : c < 32 ? String.format("\\\\u%04x", (int) c) : String.valueOf(c));
    return b.append("\\"").toString();
  }
}
`);
  return JSON.parse(execFileSync('java', [source, file, ...sections], { encoding: 'utf8' }));
}
