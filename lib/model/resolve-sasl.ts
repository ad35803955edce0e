import { QuorumSecurityStep } from '../quorum-security-step';
import { readQuorumSecurity } from './quorum-security';
import { SaslModel } from './security-model';
import { NameFormat, SettingsReader } from './settings-reader';

const PATHS = {
  secretDir: '/config/sasl',
  runtimeDir: '/run/sasl',
};
/**
 * User names become JAAS option names (`user_<name>`) and file names in the Secret volume, and
 * appear in ACLs as `sasl:<name>`: a letter, then letters, digits, '-' and '_'.
 */
const USER_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const USER_NAME_MESSAGE = 'must be a user name: a letter, then up to 63 letters, digits, \'-\' and \'_\'';
/** The file a client user's password is mounted as, in the members' pods and in a tool's. */
export function clientPasswordFile(user: string): string {
  return `client-${user}`;
}

const SASL_ONLY = ['saslSecretName', 'saslQuorumUser', 'saslQuorumPasswordKey', 'saslClientUsers', 'saslSuperDigestKey'];

/**
 * Reads clientSasl, quorumSasl and the Secret settings. Settings that only matter with SASL are
 * rejected while it is off, like the TLS settings, so that a forgotten switch is reported instead
 * of leaving the ensemble unauthenticated.
 */
export function resolveSasl(s: SettingsReader, singleServer: boolean): SaslModel | undefined {
  const client = s.bool('clientSasl', false);
  const quorumStage = readQuorumSecurity(s, 'quorumSasl', {
    [QuorumSecurityStep.ACCEPT]: 'members can authenticate, nobody asks for it',
    [QuorumSecurityStep.PREFER]: 'members joining the leader authenticate, the leader requires it of nobody',
  });
  // From the first step on, members have the quorum password and can authenticate.
  const quorum = quorumStage !== 'off';
  if (quorum && singleServer) {
    s.fail('quorumSasl', 'needs more than one member: a single server has no quorum to authenticate (use clientSasl for its clients)');
  }
  const secretName = s.string('saslSecretName', undefined, NameFormat.dnsSubdomain);
  const quorumUser = s.string('saslQuorumUser', 'quorum', (v) => (USER_NAME.test(v) ? undefined : USER_NAME_MESSAGE));
  const quorumPasswordKey = s.string('saslQuorumPasswordKey', 'quorum-password', NameFormat.secretKey);
  const clientUsers = s.stringMap('saslClientUsers', (user) => (USER_NAME.test(user) ? undefined : `${USER_NAME_MESSAGE}; '${user}' is not`), NameFormat.secretKey);
  const superDigestKey = s.string('saslSuperDigestKey', undefined, NameFormat.secretKey);

  if (!client && !quorum) {
    for (const key of SASL_ONLY.filter((k) => s.has(k) && !s.failed('clientSasl', 'quorumSasl'))) {
      s.fail(key, 'has no effect while clientSasl and quorumSasl are false: turn SASL on, or remove it');
    }
    return undefined;
  }
  if (!s.has('saslSecretName')) {
    s.fail('saslSecretName', 'is required when clientSasl or quorumSasl is on: name the existing Secret with the passwords');
  }
  if (!quorum) {
    for (const key of ['saslQuorumUser', 'saslQuorumPasswordKey'].filter((k) => s.has(k) && !s.failed('quorumSasl'))) {
      s.fail(key, 'has no effect while quorumSasl is false: turn quorumSasl on, or remove it');
    }
  }
  if (!client) {
    for (const key of ['saslClientUsers', 'saslSuperDigestKey'].filter((k) => s.has(k) && !s.failed('clientSasl'))) {
      s.fail(key, 'has no effect while clientSasl is false: the super user and client users authenticate client sessions');
    }
  } else if (!s.has('saslClientUsers') || isEmptyMap(s.value('saslClientUsers'))) {
    s.fail('saslClientUsers', 'needs at least one user when clientSasl is on (e.g. { app: \'app-password\' }): otherwise no client could open a session');
  }

  const users = client ? Object.keys(clientUsers).sort() : [];
  // Each key gets a fixed file name in the volume: the script reads files, not key names.
  const items = [
    ...(quorum ? [{ key: quorumPasswordKey, path: 'quorum-password' }] : []),
    ...users.map((user) => ({ key: clientUsers[user], path: clientPasswordFile(user) })),
    ...(client && superDigestKey !== undefined ? [{ key: superDigestKey, path: 'super-digest' }] : []),
  ];
  return {
    client,
    quorum,
    secretName: secretName ?? '',
    items,
    quorumUser: quorum ? quorumUser : undefined,
    quorumLearnerRequiresSasl: quorumStage === QuorumSecurityStep.PREFER || quorumStage === 'on',
    quorumServerRequiresSasl: quorumStage === 'on',
    clientUsers: users,
    superDigest: client && superDigestKey !== undefined,
    paths: {
      ...PATHS,
      jaasFile: `${PATHS.runtimeDir}/jaas.conf`,
      jvmOptions: `${PATHS.runtimeDir}/jvm.options`,
    },
  };
}

function isEmptyMap(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
}
