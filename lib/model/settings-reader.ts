import { SettingIssue, ZooKeeperSettingsError } from './errors';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]{1,253}$/;

/** Kubernetes name formats, with the wording used in error messages. */
export const NameFormat = {
  dnsLabel(value: string): string | undefined {
    return value.length <= 63 && DNS_LABEL.test(value) ? undefined
      : 'must be a DNS label: at most 63 lowercase letters, digits and \'-\', starting and ending with a letter or digit';
  },
  dnsSubdomain(value: string): string | undefined {
    return value.length <= 253 && DNS_SUBDOMAIN.test(value) ? undefined
      : 'must be a DNS subdomain: lowercase letters, digits, \'-\' and \'.\', at most 253 characters, each part starting and ending with a letter or digit';
  },
  /** Label and annotation keys: an optional DNS-subdomain prefix and '/', then a name of at most 63 characters. */
  qualifiedKey(key: string): string | undefined {
    const slash = key.lastIndexOf('/');
    const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
    const name = key.slice(slash + 1);
    const ok = name.length <= 63 && LABEL_NAME.test(name) && (prefix === undefined || (prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix)));
    return ok ? undefined
      : 'is not a valid key: an optional DNS-subdomain prefix and \'/\', then at most 63 letters, digits, \'-\', \'_\' or \'.\', starting and ending with a letter or digit';
  },
  /** A key of a Secret's data: also a file name in the Secret volume. */
  secretKey(value: string): string | undefined {
    return SECRET_KEY.test(value) ? undefined : 'must be a Secret key: 1 to 253 letters, digits, \'-\', \'_\' and \'.\'';
  },
  labelValue(value: string): string | undefined {
    return value.length <= 63 && LABEL_VALUE.test(value) ? undefined
      : 'is not a valid label value: at most 63 letters, digits, \'-\', \'_\' or \'.\', starting and ending with a letter or digit';
  },
};

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/**
 * The settings object a construct was given, or a ZooKeeperSettingsError when it is not one (null
 * from plain JavaScript, a list): `subject` names the construct in the error.
 */
export function settingsObject(props: unknown, subject: string): Record<string, unknown> {
  if (props === undefined) return {};
  if (typeof props !== 'object' || props === null || Array.isArray(props)) {
    throw new ZooKeeperSettingsError(subject, [{ setting: 'props', message: `must be an object of settings, such as { namespace: 'zk' }, or left out for the defaults (got ${describe(props)})` }]);
  }
  return props as Record<string, unknown>;
}

interface NumberRange { readonly min: number; readonly max: number }

/**
 * Reads raw settings, applies defaults and records every problem instead of stopping at the first.
 * Each getter returns a usable value (the default when the input is invalid) so resolution can go
 * on and report all issues together. Inputs may come from plain JavaScript or settings files, so
 * types are checked at run time too.
 */
export class SettingsReader {
  /**
   * @param prefix  prepended to every setting name in issues (`alertThresholds.` for a group)
   * @param issues  where issues are recorded; a group shares its parent's list
   * @param secretBearing settings (full names, with the prefix) whose values are never printed in
   *   an issue, nor those of anything inside them: they hold credentials, or name where credentials
   *   are, and a user may have pasted the credential itself
   */
  constructor(
    private readonly raw: Record<string, unknown>,
    private readonly prefix = '',
    public readonly issues: SettingIssue[] = [],
    private readonly secretBearing: readonly string[] = [],
  ) {}

  public fail(setting: string, message: string): void {
    this.issues.push({ setting: `${this.prefix}${setting}`, message });
  }

  /**
   * A nested group of settings (such as alertThresholds), read like the top level: its issues are
   * named `<key>.<setting>` and keys outside `known` are rejected.
   */
  public group(key: string, known: readonly string[]): SettingsReader {
    return this.nested(key, this.raw[key] ?? {}, known) ?? new SettingsReader({}, `${this.prefix}${key}.`, this.issues, this.secretBearing);
  }

  /**
   * A list of groups (such as tolerations), each read like group(): issues are named
   * `<key>[<index>].<setting>`. Returns the readers of the items that are objects.
   */
  public groupList(key: string, known: readonly string[]): SettingsReader[] {
    const value = this.raw[key];
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
      this.fail(key, `must be a list of objects with any of ${known.join(', ')}${this.got(key, value)}`);
      return [];
    }
    return value.flatMap((item, index) => this.nested(`${key}[${index}]`, item, known) ?? []);
  }

  /** A reader over `value` named `<path>.`, or undefined (and an issue) when it is not an object. */
  private nested(path: string, value: unknown, known: readonly string[]): SettingsReader | undefined {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.fail(path, `must be an object with any of ${known.join(', ')}${this.got(path, value)}`);
      return undefined;
    }
    const group = new SettingsReader(value as Record<string, unknown>, `${this.prefix}${path}.`, this.issues, this.secretBearing);
    group.rejectUnknown(known);
    return group;
  }

  /** ` (got <value>)` for an issue of `setting`, or nothing for a secret-bearing setting. */
  public got(setting: string, value: unknown): string {
    const name = `${this.prefix}${setting}`;
    const secret = this.secretBearing.some((s) => name === s || name.startsWith(`${s}.`) || name.startsWith(`${s}[`));
    return secret ? '' : ` (got ${describe(value)})`;
  }

  public has(key: string): boolean {
    return this.raw[key] !== undefined;
  }

  /**
   * Whether any of `keys` was reported invalid. A check that depends on a setting's value skips
   * when the setting was refused: its getter returned the default, and a message about the
   * default (`namespace is required`, `has no effect while clientTls is 'off'`) would be wrong.
   */
  public failed(...keys: string[]): boolean {
    return keys.some((key) => this.issues.some((issue) => issue.setting === `${this.prefix}${key}`));
  }

  /** The raw input, for values checked elsewhere (e.g. an ImageProfile instance). */
  public value(key: string): unknown {
    return this.raw[key];
  }

  public int(key: string, fallback: number, range: NumberRange): number;
  public int(key: string, fallback: number | undefined, range: NumberRange): number | undefined;
  public int(key: string, fallback: number | undefined, range: NumberRange): number | undefined {
    const value = this.raw[key];
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < range.min || value > range.max) {
      this.fail(key, `must be a whole number from ${range.min} to ${range.max}${this.got(key, value)}`);
      return fallback;
    }
    return value;
  }

  public bool(key: string, fallback: boolean): boolean {
    const value = this.raw[key];
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') {
      this.fail(key, `must be true or false${this.got(key, value)}`);
      return fallback;
    }
    return value;
  }

  /** A string checked by `format`, which returns why it is wrong or undefined. */
  public string(key: string, fallback: string, format?: (v: string) => string | undefined): string;
  public string(key: string, fallback: string | undefined, format?: (v: string) => string | undefined): string | undefined;
  public string(key: string, fallback: string | undefined, format?: (v: string) => string | undefined): string | undefined {
    const value = this.raw[key];
    if (value === undefined) return fallback;
    if (typeof value !== 'string') {
      this.fail(key, `must be a string${this.got(key, value)}`);
      return fallback;
    }
    const problem = format?.(value);
    if (problem) {
      this.fail(key, `${problem}${this.got(key, value)}`);
      return fallback;
    }
    return value;
  }

  public oneOf<T extends string>(key: string, fallback: T, allowed: Record<string, T>): T {
    const value = this.raw[key];
    if (value === undefined) return fallback;
    const values = Object.values(allowed);
    if (!values.includes(value as T)) {
      this.fail(key, `must be one of ${values.map((v) => `'${v}'`).join(', ')}${this.got(key, value)}`);
      return fallback;
    }
    return value as T;
  }

  public stringList(key: string, format: (v: string) => string | undefined): string[] {
    const value = this.raw[key];
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
      this.fail(key, `must be a list of strings${this.got(key, value)}`);
      return [];
    }
    // A repeated entry is a mistake in every list of names, flags and blocks, and some (pull
    // secrets) are merge keys that a repeated entry breaks in `kubectl apply`.
    return value.filter((item, index) => {
      const problem = typeof item === 'string' ? format(item) : 'must be a string';
      const first = value.indexOf(item);
      if (problem) this.fail(`${key}[${index}]`, `${problem}${this.got(`${key}[${index}]`, item)}`);
      else if (first !== index) this.fail(`${key}[${index}]`, `repeats ${key}[${first}]; list each entry once`);
      return !problem && first === index;
    });
  }

  /** A map of strings; `checkKey` and `checkValue` return why an entry is wrong. */
  public stringMap(
    key: string,
    checkKey: (k: string) => string | undefined,
    checkValue: (v: string) => string | undefined,
  ): Record<string, string> {
    const value = this.raw[key];
    if (value === undefined) return {};
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.fail(key, `must be a map of strings to strings${this.got(key, value)}`);
      return {};
    }
    const result: Record<string, string> = {};
    for (const [k, v] of Object.entries(value)) {
      // A wrong key says nothing about the value, which is not printed then.
      const keyProblem = checkKey(k);
      const problem = keyProblem ?? (typeof v === 'string' ? checkValue(v) : 'must be a string');
      if (keyProblem) this.fail(`${key}.${k}`, keyProblem);
      else if (problem) this.fail(`${key}.${k}`, `${problem}${this.got(`${key}.${k}`, v)}`);
      else result[k] = v as string;
    }
    return result;
  }

  /**
   * A map of labels, in Kubernetes' key and value formats. With `emptyWould`, `{}` is refused: the
   * map replaces a non-empty default, and an empty one would not mean "none" but what it says.
   */
  public labelMap(key: string, emptyWould?: string): Record<string, string> {
    const labels = this.stringMap(key, NameFormat.qualifiedKey, NameFormat.labelValue);
    const raw = this.raw[key];
    if (emptyWould && typeof raw === 'object' && raw !== null && !Array.isArray(raw) && Object.keys(raw).length === 0) {
      this.fail(key, `must name at least one label: ${emptyWould}`);
    }
    return labels;
  }

  /** Keys present in the input that no setting has, with the closest known name as a hint. */
  public rejectUnknown(known: readonly string[]): void {
    for (const key of Object.keys(this.raw)) {
      if (known.includes(key)) continue;
      const hint = closest(key, known);
      this.fail(key, `is not a setting${hint ? ` (did you mean '${hint}'?)` : ''}`);
    }
  }
}

function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
