// String grammars the API server enforces in Go code (k8s.io/apimachinery/pkg/util/validation and
// pkg/api/resource) but the OpenAPI document does not express. Each check returns an error message,
// or undefined when the value is acceptable.

const LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_LABEL = new RegExp(`^${LABEL}$`);
const DNS1123_SUBDOMAIN = new RegExp(`^${LABEL}(\\.${LABEL})*$`);
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

export type Check = (value: string) => string | undefined;

const tooLong = (max: number, v: string): string | undefined =>
  v.length > max ? `must be no more than ${max} characters (has ${v.length})` : undefined;

export const dns1123Label: Check = (v) =>
  tooLong(63, v) ??
  (DNS1123_LABEL.test(v) ? undefined : `"${v}" is not a DNS-1123 label (lowercase alphanumerics and '-', starting and ending alphanumeric)`);

export const dns1123Subdomain: Check = (v) =>
  tooLong(253, v) ??
  (DNS1123_SUBDOMAIN.test(v) ? undefined : `"${v}" is not a DNS-1123 subdomain (lowercase alphanumerics, '-' and '.', each part starting and ending alphanumeric)`);

// Service names become DNS labels that must not start with a digit (apimachinery NameIsDNS1035Label).
export const dns1035Label: Check = (v) =>
  tooLong(63, v) ??
  (DNS1035_LABEL.test(v) ? undefined : `"${v}" is not a DNS-1035 label (lowercase alphanumerics and '-', starting with a letter, ending alphanumeric)`);

// RBAC objects only need to be usable as a URL path segment.
export const pathSegmentName: Check = (v) =>
  v === '.' || v === '..' || /[/%]/.test(v) ? `"${v}" may not be '.' or '..' nor contain '/' or '%'` : undefined;

export const qualifiedName: Check = (v) => {
  const parts = v.split('/');
  if (parts.length > 2) return `"${v}" is not a qualified name (at most one '/')`;
  const name = parts[parts.length - 1];
  if (parts.length === 2) {
    const prefix = parts[0];
    if (prefix === '') return `"${v}" has an empty prefix before '/'`;
    const bad = dns1123Subdomain(prefix);
    if (bad) return `prefix of "${v}": ${bad}`;
  }
  if (name === '') return `"${v}" has an empty name part`;
  if (name.length > 63) return `name part of "${v}" must be no more than 63 characters`;
  return QUALIFIED_NAME.test(name) ? undefined : `"${v}" is not a qualified name (alphanumerics, '-', '_', '.', starting and ending alphanumeric, optional DNS prefix and '/')`;
};

export const labelValue: Check = (v) =>
  tooLong(63, v) ??
  (LABEL_VALUE.test(v) ? undefined : `"${v}" is not a valid label value (empty, or alphanumerics, '-', '_', '.', starting and ending alphanumeric)`);

// Named ports are resolved through /etc/services-style names, hence RFC 6335 rather than DNS rules.
export const ianaSvcName: Check = (v) => {
  if (v.length > 15) return `port name "${v}" must be no more than 15 characters`;
  if (!IANA_SVC_NAME.test(v)) return `port name "${v}" must be lowercase alphanumerics and '-', starting and ending alphanumeric`;
  if (v.includes('--')) return `port name "${v}" must not contain consecutive '-'`;
  if (!/[a-z]/.test(v)) return `port name "${v}" must contain at least one letter`;
  return undefined;
};

export const portNumber = (v: number, what = 'port'): string | undefined =>
  Number.isInteger(v) && v >= 1 && v <= 65535 ? undefined : `${what} ${v} must be between 1 and 65535`;

// Mirrors resource.ParseQuantity: the decimal suffixes it registers include n and u even though the
// documented grammar only lists m; exponents are integers.
const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;
const MULTIPLIER: Record<string, number> = {
  '': 1, n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** The quantity's value as a float (good enough to compare requests with limits), or undefined if unparsable. */
export function parseQuantity(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const m = QUANTITY.exec(v);
  if (!m) return undefined;
  const suffix = m[2] ?? '';
  const scale = /^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : MULTIPLIER[suffix];
  return Number(m[1]) * scale;
}

export const quantity = (v: string): string | undefined =>
  parseQuantity(v) === undefined ? `"${v}" is not a Kubernetes quantity (e.g. 500m, 1.5, 2Gi, 10M, 1e3)` : undefined;

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** OpenAPI `format` values that appear on string schemas in the Kubernetes document. */
export const STRING_FORMATS: Record<string, Check> = {
  quantity,
  'date-time': (v) => (RFC3339.test(v) ? undefined : `"${v}" is not an RFC 3339 date-time`),
  byte: (v) => (BASE64.test(v) ? undefined : 'is not valid base64'),
};

export const INTEGER_RANGES: Record<string, [number, number]> = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};
