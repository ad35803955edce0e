import { CREDENTIAL_ADVICE, CREDENTIAL_KEY } from './credential-keys';
import { SettingsReader } from './settings-reader';
import { ZOO_CFG_KEY_OWNERS } from './zoo-cfg-entries';

/**
 * The user's extra zoo.cfg entries, sorted by key. Keys the construct derives, or whose value
 * would be a credential in a ConfigMap, are refused with the setting that owns them.
 */
export function readAdditionalConfig(s: SettingsReader): [string, string][] {
  const extra = s.stringMap('additionalConfig', (key) => {
    // Managed keys first: ZooKeeper's own keys include `4lw.commands.whitelist`, which starts with a digit.
    const owner = ZOO_CFG_KEY_OWNERS[key];
    if (owner) return `is managed by the construct; use ${owner}`;
    if (/^(server|group|weight)\./.test(key)) return 'is derived from replicas and observers: the server list is generated';
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(key)) return 'is not a zoo.cfg key: letters, digits, \'.\', \'_\' and \'-\', starting with a letter or digit';
    return CREDENTIAL_KEY.test(key) ? `would put a secret into the zoo.cfg ConfigMap (${CREDENTIAL_ADVICE})` : undefined;
  }, (value) => /[\r\n]/.test(value) || value.trim() === '' ? 'must be a non-empty single line' : undefined);
  return Object.entries(extra).sort(([a], [b]) => a.localeCompare(b));
}
