import { QuorumSecurityStep } from '../quorum-security-step';
import { SettingsReader } from './settings-reader';

/** Where a quorum security setting stands: off, one of the two steps, or on. */
export type QuorumSecurityStage = 'off' | QuorumSecurityStep | 'on';

/**
 * `quorumTls` or `quorumSasl`: false, true, or a step between them. `steps` says what each step
 * means for this setting, for the message when the value is none of them.
 */
export function readQuorumSecurity(s: SettingsReader, key: string, steps: Record<QuorumSecurityStep, string>): QuorumSecurityStage {
  const value = s.value(key);
  if (value === undefined || value === false) return 'off';
  if (value === true) return 'on';
  if (Object.values(QuorumSecurityStep).includes(value as QuorumSecurityStep)) return value as QuorumSecurityStep;
  s.fail(key, `must be true or false, or a step of turning it on or off in a running ensemble: '${QuorumSecurityStep.ACCEPT}' `
    + `(${steps[QuorumSecurityStep.ACCEPT]}) or '${QuorumSecurityStep.PREFER}' (${steps[QuorumSecurityStep.PREFER]})${s.got(key, value)}`);
  return 'off';
}
