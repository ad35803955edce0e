/**
 * No key, certificate or password material anywhere in dist/ or in any ConfigMap the library
 * renders. The scanner is first shown to find planted material of every kind (generated at test
 * time, so the repository itself holds none) and to let through the project's own harmless text.
 */
import { createHash, generateKeyPairSync } from 'crypto';
import {
  findSecretMaterial, findSecretMaterialInBytes, findSecretMaterialInConfigMap, secretMaterialRules,
} from './support/secret-material';
import { distFiles, distObjects, synthChartVariants } from './support/outputs';

const ecKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
const rsaKey = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
const rsaDer = rsaKey.export({ type: 'pkcs8', format: 'der' });
const ecDerBase64 = ecKey.export({ type: 'pkcs8', format: 'der' }).toString('base64');
const jks = Buffer.concat([Buffer.from([0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2]), rsaDer]);
const jceks = Buffer.concat([Buffer.from([0xce, 0xce, 0xce, 0xce, 0, 0, 0, 2]), rsaDer]);
/** ZooKeeper's digest of super:<password>, as `DigestAuthenticationProvider` prints it. */
const superDigest = `super:${createHash('sha1').update('super:planted-password').digest('base64')}`;
const token = (prefix: string, length: number) => `${prefix}${'Q7'.repeat(length).slice(0, length)}`;

/** Planted samples: [rule, what it is, where such material would turn up]. */
const PLANTED_TEXT: [rule: string, what: string, text: string][] = [
  ['PEM block', 'a PKCS#8 private key pasted into a file', `logback.xml: |\n  ${ecKey.export({ type: 'pkcs8', format: 'pem' })}`],
  ['PEM block', 'a certificate', ['-----BEGIN CERTIFICATE-----', ecDerBase64, '-----END CERTIFICATE-----'].join('\n')],
  ['base64 DER key or certificate', 'an RSA key without PEM armour', `tls.key: ${rsaDer.toString('base64')}`],
  ['base64 DER key or certificate', 'a short EC key without PEM armour', `ec.key=${ecDerBase64}`],
  ['base64 Java keystore (JKS/JCEKS)', 'a JKS keystore as base64', `keystore.jks: ${jks.toString('base64')}`],
  ['base64 Java keystore (JKS/JCEKS)', 'a JCEKS keystore as base64', `keystore.jceks: ${jceks.toString('base64')}`],
  ['password or secret assignment', 'zoo.cfg', 'ssl.keyStore.password=changeit'],
  ['password or secret assignment', 'jvm.options', '-Dzookeeper.ssl.quorum.trustStore.password=changeit'],
  ['password or secret assignment', 'YAML', 'auth:\n  password: hunter2\n'],
  ['password or secret assignment', 'JSON', '{"adminPassword": "hunter2"}'],
  ['password or secret assignment', 'a shell variable', "ZK_PASSWD='hunter2'"],
  ['password or secret assignment', 'a client secret', 'client_secret=abc123'],
  ['password or secret assignment', 'a JAAS client section', 'Client {\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n  username="bob"\n  password="bob-password";\n};'],
  ['JAAS user credential', 'a JAAS server section', 'Server {\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n  user_super="admin-password";\n};'],
  ['ZooKeeper digest credential', 'a digest ACL', `setAcl /app digest:${superDigest}:cdrwa`],
  ['ZooKeeper superDigest', 'jvm.options', `-Dzookeeper.DigestAuthenticationProvider.superDigest=${superDigest}`],
  ['credentials in a URL', 'a registry URL', 'url: https://admin:hunter2@registry.example.com/v2/'],
  ['AWS access key id', 'an AWS credentials file', `aws_access_key_id = ${token('AKIA', 16)}`],
  ['GitHub token', 'an environment file', `GH=${token('ghp_', 36)}`],
  ['Slack token', 'an alerting config', `hook: ${token('xoxb-', 24)}`],
];
const PLANTED_FILES: [rule: string, bytes: Buffer][] = [
  ['Java keystore (JKS)', jks],
  ['Java keystore (JCEKS)', jceks],
  ['DER key, certificate or PKCS#12 store', rsaDer],
];

/** Text from the project, or like it, that must not count as secret material, and why. */
const BENIGN: [why: string, text: string][] = [
  ['a password read from a mounted file (ZooKeeper 3.8 passwordPath)', 'ssl.keyStore.passwordPath=/etc/zookeeper/tls/keystore.pass'],
  ['the same as a JVM option', '-Dzookeeper.ssl.trustStore.passwordPath=/run/secrets/truststore-password'],
  ['a Secret volume, referenced by name', 'volumes:\n- name: tls\n  secret:\n    secretName: zookeeper-tls\n'],
  ['an env var taken from a Secret', 'valueFrom:\n  secretKeyRef:\n    name: zookeeper\n    key: password\n'],
  ['pull secrets, by name', 'imagePullSecrets:\n- name: registry\n'],
  ['a key with no value', 'ssl.keyStore.password=\n'],
  ['the metric counting digest mismatches', 'expr: increase(digest_mismatches_count{namespace="zk"}[15m]) > 0'],
  ['the configuration checksum on the pod template', 'cdk8s-zookeeper/config-checksum: 3f2a9c0e5b7d41a8e6f0c2d4b6a8e0f1'],
  ['an image pinned by digest', `image: registry.example.com/zookeeper@sha256:${'ab12'.repeat(16)}`],
  ['a script filling a JAAS password in at run time (printf)', "printf '  username=\"%s\"\\n  password=%s;\\n};\\n' \"$USER_NAME\" \"$QUOTED\""],
  ['a script appending the super digest read from a mounted Secret', '{ cat "$OPTIONS"; printf \'%s\\n\' "-Dzookeeper.DigestAuthenticationProvider.superDigest=$digest"; } >"$tmp"'],
];

describe('the secret-material scanner', () => {
  test('has a planted sample for every rule it applies', () => {
    const planted = new Set([...PLANTED_TEXT, ...PLANTED_FILES].map(([rule]) => rule));
    expect(secretMaterialRules().filter((rule) => !planted.has(rule))).toEqual([]);
  });

  test.each(PLANTED_TEXT)('finds %s: %s', (rule, _what, text) => {
    expect(findSecretMaterial(text).map((f) => f.rule)).toContain(rule);
  });

  test.each(PLANTED_FILES)('finds a %s file by its first bytes, also as ConfigMap binaryData', (rule, bytes) => {
    expect(findSecretMaterialInBytes(bytes).map((f) => f.rule)).toContain(rule);
    const found = findSecretMaterialInConfigMap({ kind: 'ConfigMap', binaryData: { 'store.bin': bytes.toString('base64') } });
    expect(found.map(({ file, finding }) => `${file}: ${finding.rule}`)).toContain(`store.bin: ${rule}`);
  });

  test('reports the line of a finding and never the whole secret', () => {
    const [finding] = findSecretMaterial(`tickTime=2000\nclientPort=2181\nssl.keyStore.password=${'s3cr3t'.repeat(10)}\n`);
    expect(finding).toMatchObject({ rule: 'password or secret assignment', line: 3 });
    expect(finding.excerpt.length).toBeLessThanOrEqual(24);
  });

  test.each(BENIGN)('lets through %s', (_why, text) => {
    expect(findSecretMaterial(text)).toEqual([]);
  });

  test('finds a password in a rendered ConfigMap, so the scan below reads real output', () => {
    // The settings refuse such a value (next test); here one is planted into real output instead.
    const [chart] = synthChartVariants({ default: {} });
    const configMap = structuredClone(chart.objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'zookeeper-config'))!;
    configMap.data['zoo.cfg'] += 'ssl.keyStore.password=changeit\n';
    expect(findSecretMaterialInConfigMap(configMap).map(({ file, finding }) => `${file}: ${finding.rule}`)).toContain('zoo.cfg: password or secret assignment');
  });

  test('the settings refuse a password before it can reach a ConfigMap', () => {
    expect(() => synthChartVariants({ leak: { additionalConfig: { 'ssl.keyStore.password': 'changeit' } } })).toThrow(/ssl\.keyStore\.password: is managed by the construct; use tlsPasswordSecret/);
    expect(() => synthChartVariants({ leak: { additionalConfig: { 'DigestAuthenticationProvider.superDigest': 'super:abc=' } } })).toThrow(/DigestAuthenticationProvider\.superDigest: is managed by the construct; use saslSuperDigestKey/);
    expect(() => synthChartVariants({ leak: { additionalConfig: { 'app.secret': 'hunter2' } } })).toThrow(/would put a secret into the zoo.cfg ConfigMap/);
  });

  test('allows a password location only when it is an absolute path', () => {
    expect(findSecretMaterial('ssl.keyStore.passwordPath=hunter2').map((f) => f.rule)).toEqual(['password or secret assignment']);
    expect(findSecretMaterial('passwordFile: "not a path"').map((f) => f.rule)).toEqual(['password or secret assignment']);
  });
});

describe('no secret material', () => {
  test('in any file under dist/', () => {
    const files = distFiles();
    expect(files.length).toBeGreaterThan(0);
    expect(files.flatMap(({ file, bytes }) => findSecretMaterialInBytes(bytes).map((f) => `${file}:${f.line}: ${f.rule}`))).toEqual([]);
  });

  test('in any ConfigMap of any chart variant or of dist/', () => {
    const configMaps = [...synthChartVariants(), ...distObjects()]
      .flatMap((output) => output.objects.filter((o) => o.kind === 'ConfigMap').map((cm) => ({ output: output.name, cm })));
    expect(configMaps.length).toBeGreaterThan(0);
    const findings = configMaps.flatMap(({ output, cm }) => findSecretMaterialInConfigMap(cm)
      .map(({ file, finding }) => `${output}: ConfigMap/${cm.metadata.name} ${file}:${finding.line}: ${finding.rule}`));
    expect(findings).toEqual([]);
  });

  test('and no Secret objects: the library has nothing secret to ship', () => {
    const secrets = [...synthChartVariants(), ...distObjects()]
      .flatMap((output) => output.objects.filter((o) => o.kind === 'Secret').map((o) => `${output.name}: ${o.metadata.name}`));
    expect(secrets).toEqual([]);
  });
});
