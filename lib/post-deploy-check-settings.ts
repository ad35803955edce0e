/**
 * The post-deploy check: a Job that proves a running ensemble does what its users need, with
 * ZooKeeper's own Java client (docs/post-deploy-check.md). It is an Argo CD PostSync hook in its own
 * manifest, `<ensemble>.post-deploy-check.k8s.yaml`, which `kubectl replace --force -f` runs by hand.
 */
export interface PostDeployCheckSettings {
  /**
   * Ship the check: its Job (an Argo CD PostSync hook: a failed check fails the sync), the
   * ConfigMap with its source, and a NetworkPolicy rule that lets its pod reach the members.
   * @default true
   */
  readonly postDeployCheck?: boolean;
  /**
   * With clientSasl, the client user (one of saslClientUsers) the check logs in as; only that
   * user's password is mounted into the check's pod.
   * @default - the first of saslClientUsers in name order
   */
  readonly postDeployCheckSaslUser?: string;
}

/** The setting names, checked against the interface like SETTING_NAMES. */
export const POST_DEPLOY_CHECK_SETTING_NAMES = ['postDeployCheck', 'postDeployCheckSaslUser'] as const satisfies readonly (keyof PostDeployCheckSettings)[];
type MissingCheckSetting = Exclude<keyof PostDeployCheckSettings, (typeof POST_DEPLOY_CHECK_SETTING_NAMES)[number]>;
const checkNamesComplete: [MissingCheckSetting] extends [never] ? true : MissingCheckSetting = true;
void checkNamesComplete;
