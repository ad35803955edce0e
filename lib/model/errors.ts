/** One invalid setting: which one, and what is allowed. */
export interface SettingIssue {
  /** Dotted path of the setting, e.g. `replicas` or `labels.app.kubernetes.io/name`. */
  readonly setting: string;
  readonly message: string;
}

/**
 * Thrown at synth time when settings are invalid. It lists every problem at once, so a user fixes
 * them in one round; nothing has been written when it is thrown.
 */
export class ZooKeeperSettingsError extends Error {
  /**
   * @param ensemble the ensemble (or other subject) the settings are for
   * @param subject how the heading names it, when it is not an ensemble (e.g. `the environments`)
   */
  constructor(public readonly ensemble: string, public readonly issues: readonly SettingIssue[], subject = `ZooKeeper ensemble '${ensemble}'`) {
    super([
      `Invalid settings for ${subject}:`,
      ...issues.map((issue) => `  - ${issue.setting}: ${issue.message}`),
    ].join('\n'));
    this.name = 'ZooKeeperSettingsError';
  }
}
