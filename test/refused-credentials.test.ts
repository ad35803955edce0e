/**
 * A credential put where it does not belong is refused without being printed: error messages end
 * up in CI logs and terminals that more people read than the Secret. Every setting that holds or
 * names credentials is tried with a value carrying a marker, through TypeScript and through an
 * environment file, and no message may contain the marker.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { resolveEnsemble, ZooKeeperEnsembleProps, ZooKeeperSettingsError } from '../lib';
import { EnvironmentFileError, readEnvironmentFile } from '../lib/environments/environment-file';
import { resolveApplications } from '../lib/gitops/resolve-delivery';

const MARKER = 'hunter2Secret';
const SASL = { saslSecretName: 'zk-sasl' };

// [where the credential was put, settings carrying MARKER, the setting the refusal must name]
const MISPLACED: [string, Record<string, unknown>, string][] = [
  ['a keystore password in additionalConfig', { additionalConfig: { 'ssl.keyStore.password': MARKER } }, 'additionalConfig.ssl.keyStore.password'],
  ['a password under a key of its own in additionalConfig', { additionalConfig: { 'my.app.password': MARKER } }, 'additionalConfig.my.app.password'],
  ['a multi-line value in additionalConfig', { additionalConfig: { 'jute.extra': `${MARKER}\nx` } }, 'additionalConfig.jute.extra'],
  ['a super digest in jvmOptions', { jvmOptions: [`-Dzookeeper.DigestAuthenticationProvider.superDigest=super:${MARKER}=`] }, 'jvmOptions[0]'],
  ['a trust store password in jvmOptions', { jvmOptions: [`-Djavax.net.ssl.trustStorePassword=${MARKER}`] }, 'jvmOptions[0]'],
  ['a JVM option with a space in its password', { jvmOptions: [`-Dx.token=${MARKER} more`] }, 'jvmOptions[0]'],
  ['a password instead of the key of the TLS password', { clientTls: 'on', tlsSecretName: 'zk-tls', tlsPasswordSecret: { name: 'zk-tls-pw', key: `${MARKER}!` } }, 'tlsPasswordSecret.key'],
  ['a password instead of the TLS password Secret', { clientTls: 'on', tlsSecretName: 'zk-tls', tlsPasswordSecret: MARKER }, 'tlsPasswordSecret'],
  ['a password instead of a client user\'s key', { clientSasl: true, ...SASL, saslClientUsers: { app: `${MARKER}!` } }, 'saslClientUsers.app'],
  ['a password instead of the quorum password key', { quorumSasl: true, ...SASL, saslQuorumPasswordKey: `${MARKER}!` }, 'saslQuorumPasswordKey'],
  ['a digest instead of the super digest key', { clientSasl: true, ...SASL, saslClientUsers: { app: 'app' }, saslSuperDigestKey: `super:${MARKER}=` }, 'saslSuperDigestKey'],
];

function refusal(props: Record<string, unknown>): ZooKeeperSettingsError {
  try {
    resolveEnsemble(props as ZooKeeperEnsembleProps, 'zk');
  } catch (error) {
    if (error instanceof ZooKeeperSettingsError) return error;
    throw error;
  }
  throw new Error('the settings were accepted');
}

describe.each(MISPLACED)('%s', (_what, props, setting) => {
  test('is refused, naming the setting, without printing the value', () => {
    const error = refusal(props);
    expect(error.issues.map((i) => i.setting)).toContain(setting);
    expect(error.message).not.toContain(MARKER);
  });
});

test('in an environment file, the refusal names file, line and setting, and prints no value', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-credentials-'));
  try {
    const file = path.join(dir, 'prod.yaml');
    fs.writeFileSync(file, ['namespace: zk', 'additionalConfig:', `  ssl.keyStore.password: ${MARKER}`, 'jvmOptions:',
      `  - -Dzookeeper.DigestAuthenticationProvider.superDigest=super:${MARKER}=`, ''].join('\n'));
    let error: EnvironmentFileError | undefined;
    try {
      readEnvironmentFile(file);
    } catch (e) {
      if (!(e instanceof EnvironmentFileError)) throw e;
      error = e;
    }
    expect(error!.issues.map((i) => [i.line, i.setting])).toEqual([[5, 'jvmOptions[0]'], [3, 'additionalConfig.ssl.keyStore.password']]);
    expect(error!.message).not.toContain(MARKER);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

describe('a token in a GitOps URL', () => {
  const target = { environment: 'prod', ensemble: 'zookeeper', namespace: 'zk', objects: [] };
  test.each([
    ['a token as the user of an https URL', { repoURL: `https://${MARKER}@git.example.com/platform/zk.git` }, 'gitops.repoURL'],
    ['a user and password in an https URL', { repoURL: `https://ci:${MARKER}@git.example.com/platform/zk.git` }, 'gitops.repoURL'],
    ['a password in an ssh URL', { repoURL: `ssh://git:${MARKER}@git.example.com/platform/zk.git` }, 'gitops.repoURL'],
    ['credentials in a cluster URL', { repoURL: 'git@git.example.com:platform/zk.git', clusters: { prod: `https://admin:${MARKER}@k8s.example.com` } }, 'gitops.clusters.prod'],
  ])('%s is refused without printing it: the Application would commit it to Git', (_what, gitops, setting) => {
    let message = '';
    try {
      resolveApplications([target], gitops);
    } catch (error) {
      if (!(error instanceof ZooKeeperSettingsError)) throw error;
      expect(error.issues.map((i) => i.setting)).toEqual([setting]);
      message = error.message;
    }
    expect(message).toMatch(/must not carry/);
    expect(message).not.toContain(MARKER);
  });

  test('a user without a password, as SSH URLs have, is accepted', () => {
    expect(resolveApplications([target], { repoURL: 'ssh://git@git.example.com/platform/zk.git' })[0].repoURL).toBe('ssh://git@git.example.com/platform/zk.git');
  });
});
