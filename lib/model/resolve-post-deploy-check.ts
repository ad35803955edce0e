import { INSTANCE_LABEL_KEY } from './resolve-labels';
import { PostDeployCheckModel } from './ensemble-model';
import { SaslModel } from './security-model';
import { SettingsReader } from './settings-reader';

/**
 * The check's pod labels. Its `app.kubernetes.io/name` differs from the members' on purpose: the
 * Services, the budget and the members' NetworkPolicy select by name and instance, and must never
 * take the check's pod for a member.
 */
const CHECK_NAME_LABEL = { 'app.kubernetes.io/name': 'zookeeper-post-deploy-check' };
/** Where every run of the check creates its own znodes (one child per run, removed at its end). */
const ZNODE_ROOT = '/cdk8s-zookeeper-check';

/**
 * Reads the post-deploy check settings, or undefined when the check is off. With client SASL the
 * check logs in as one client user, by default the first in name order.
 */
export function readPostDeployCheck(s: SettingsReader, name: string, common: Readonly<Record<string, string>>, sasl: SaslModel | undefined): PostDeployCheckModel | undefined {
  const enabled = s.bool('postDeployCheck', true);
  const saslUser = s.string('postDeployCheckSaslUser', undefined);
  if (!enabled) {
    if (saslUser !== undefined) s.fail('postDeployCheckSaslUser', 'has no effect with postDeployCheck: false; remove it, or turn the check on');
    return undefined;
  }
  const users = sasl?.client ? sasl.clientUsers : [];
  if (saslUser !== undefined && !s.failed('clientSasl', 'saslClientUsers')) {
    if (users.length === 0) s.fail('postDeployCheckSaslUser', 'has no effect while clientSasl is false: the check authenticates only where clients must');
    else if (!users.includes(saslUser)) s.fail('postDeployCheckSaslUser', `must be one of saslClientUsers (${users.join(', ')}), got '${saslUser}'`);
  }
  const selector = { ...CHECK_NAME_LABEL, [INSTANCE_LABEL_KEY]: name };
  return {
    job: `${name}-post-deploy-check`,
    configMap: `${name}-post-deploy-check`,
    container: 'check',
    selector,
    labels: { ...common, ...selector, 'app.kubernetes.io/component': 'post-deploy-check' },
    // Every step may take its whole time only when something is wrong; a healthy run takes
    // seconds. The deadline covers the JVM compiling the source and each step at its limit.
    stepSeconds: 30,
    membershipSeconds: 120,
    deadlineSeconds: 300,
    znodeRoot: ZNODE_ROOT,
    heapMiB: 64,
    sourceDir: '/post-deploy-check',
    saslUser: users.length === 0 ? undefined : saslUser !== undefined && users.includes(saslUser) ? saslUser : users[0],
  };
}
