import { k8s } from '../k8s';
import { NameFormat, SettingsReader } from './settings-reader';

/** The fields of a toleration; anything else is a typo that the API would drop. */
const FIELDS = ['key', 'operator', 'value', 'effect', 'tolerationSeconds'];
const OPERATORS = { EQUAL: 'Equal', EXISTS: 'Exists' } as const;
const EFFECTS = { NO_SCHEDULE: 'NoSchedule', PREFER_NO_SCHEDULE: 'PreferNoSchedule', NO_EXECUTE: 'NoExecute' } as const;

/**
 * The `tolerations` setting, checked as the API server checks a pod's tolerations, so that a
 * toleration is never wider than written: a misspelt `key` would otherwise be dropped and leave
 * one that matches every taint. Each toleration keeps only the fields it was given.
 */
export function readTolerations(s: SettingsReader): k8s.Toleration[] {
  return s.groupList('tolerations', FIELDS).map((t) => {
    const key = t.string('key', undefined, NameFormat.qualifiedKey);
    const operator = t.oneOf('operator', OPERATORS.EQUAL, OPERATORS);
    const value = t.string('value', undefined, NameFormat.labelValue);
    const effect = t.has('effect') ? t.oneOf('effect', EFFECTS.NO_SCHEDULE, EFFECTS) : undefined;
    const tolerationSeconds = t.int('tolerationSeconds', undefined, { min: 0, max: Number.MAX_SAFE_INTEGER });

    if (operator === OPERATORS.EXISTS && t.has('value')) {
      t.fail('value', `must be left out with operator '${OPERATORS.EXISTS}', which matches every value of the key`);
    }
    if (operator === OPERATORS.EQUAL && !t.has('key') && !t.failed('operator')) {
      t.fail('key', `is required with operator '${OPERATORS.EQUAL}' (the default); to tolerate every taint, set operator '${OPERATORS.EXISTS}' without a key`);
    }
    if (t.has('tolerationSeconds') && effect !== EFFECTS.NO_EXECUTE && !t.failed('effect')) {
      t.fail('tolerationSeconds', `needs effect '${EFFECTS.NO_EXECUTE}': it is how long the pod stays on a node after such a taint appears`);
    }
    const toleration: k8s.Toleration = {
      key,
      operator: t.has('operator') ? operator : undefined,
      value,
      effect,
      tolerationSeconds,
    };
    return Object.fromEntries(Object.entries(toleration).filter(([, v]) => v !== undefined)) as k8s.Toleration;
  });
}
