// A deliberately strict walker over the OpenAPI subset Kubernetes (and CRD structural schemas) use.
// Hand-written rather than ajv so that every object with declared properties rejects undeclared ones
// (the API server would silently prune them, which hides typos), errors carry a readable JSON path,
// and semantic checks can hook in wherever a given definition is reached, at any depth.
import { INTEGER_RANGES, STRING_FORMATS } from './formats';
import type { JsonSchema } from './schemas';

export type Path = ReadonlyArray<string | number>;
export interface Problem { at: Path; message: string }

export interface WalkContext {
  defs: Map<string, JsonSchema>;
  /** Semantic checks keyed by definition id, run when a non-null value reaches that definition. */
  hooks: Readonly<Record<string, (value: unknown, at: Path, cx: WalkContext) => void>>;
  /** The top-level object being validated, for checks that need to look sideways. */
  root: Record<string, unknown>;
  report: (at: Path, message: string) => void;
}

export function formatPath(at: Path): string {
  let out = '';
  for (const seg of at) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out || '(root)';
}

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function matchesType(v: unknown, type: string): boolean {
  const actual = jsonType(v);
  return actual === type || (type === 'number' && actual === 'integer' && Number.isFinite(v));
}

const describe = (v: unknown): string => `${jsonType(v)} ${JSON.stringify(v)?.slice(0, 40) ?? ''}`.trim();

function refId(ref: string): string {
  return ref.replace(/#$/, '').replace(/^#\/(definitions|components\/schemas)\//, '');
}

function resolve(schema: JsonSchema, defs: Map<string, JsonSchema>): JsonSchema {
  let s = schema;
  for (let i = 0; typeof s.$ref === 'string' && i < 20; i++) s = defs.get(refId(s.$ref)) ?? {};
  return s;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

function suggestion(key: string, known: string[]): string {
  const lower = key.toLowerCase();
  const hit = known.find((k) => k.toLowerCase() === lower) ??
    known.find((k) => editDistance(k, key) <= 2) ??
    known.find((k) => lower.length >= 4 && k.toLowerCase().startsWith(lower));
  return hit ? ` (did you mean "${hit}"?)` : '';
}

export function walk(value: unknown, schema: JsonSchema, at: Path, cx: WalkContext): void {
  if (value === undefined) return;
  if (typeof schema.$ref === 'string') {
    const id = refId(schema.$ref);
    const target = cx.defs.get(id);
    if (!target) return cx.report(at, `schema error: unresolved $ref "${schema.$ref}"`);
    if (value !== null) cx.hooks[id]?.(value, at, cx);
    return walk(value, target, at, cx);
  }
  if (value === null && schema.nullable === true) return;
  const alternatives = (schema.oneOf ?? schema.anyOf) as JsonSchema[] | undefined;
  if (alternatives) walkAlternatives(value, alternatives, at, cx);
  for (const sub of (schema.allOf ?? []) as JsonSchema[]) walk(value, sub, at, cx);
  if (schema['x-kubernetes-int-or-string'] === true && !['integer', 'string'].includes(jsonType(value))) {
    return cx.report(at, `expected integer or string, got ${describe(value)}`);
  }
  const type = schema.type;
  if (typeof type === 'string' && !matchesType(value, type)) return cx.report(at, `expected ${type}, got ${describe(value)}`);
  const allowed = schema.enum as unknown[] | undefined;
  if (allowed && !allowed.includes(value)) {
    return cx.report(at, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')} (got ${JSON.stringify(value)})`);
  }
  if (typeof value === 'string') walkString(value, schema, at, cx);
  else if (typeof value === 'number') walkNumber(value, schema, at, cx);
  else if (Array.isArray(value)) walkArray(value, schema, at, cx);
  else if (isRecord(value)) walkObject(value, schema, at, cx);
}

function walkAlternatives(value: unknown, alternatives: JsonSchema[], at: Path, cx: WalkContext): void {
  const branches = alternatives.filter((a) => a.type !== 'null');
  if (value === null && branches.length < alternatives.length) return;
  // The generator wraps every optional $ref as oneOf [$ref, null]: walk straight through so errors
  // keep their precise nested path instead of collapsing into "matches no alternative".
  if (branches.length === 1) return walk(value, branches[0], at, cx);
  const fitting = branches.filter((b) => {
    const t = resolve(b, cx.defs).type;
    return typeof t !== 'string' || matchesType(value, t);
  });
  if (fitting.length === 0) {
    const names = branches.map((b) => resolve(b, cx.defs).type ?? 'object');
    return cx.report(at, `expected ${names.join(' or ')}, got ${describe(value)}`);
  }
  let firstFailure: Problem[] | undefined;
  for (const branch of fitting) {
    const trial: Problem[] = [];
    walk(value, branch, at, { ...cx, report: (p, message) => trial.push({ at: p, message }) });
    if (trial.length === 0) return;
    firstFailure ??= trial;
  }
  for (const p of firstFailure ?? []) cx.report(p.at, p.message);
}

function walkString(value: string, schema: JsonSchema, at: Path, cx: WalkContext): void {
  const format = typeof schema.format === 'string' ? STRING_FORMATS[schema.format] : undefined;
  const bad = format?.(value);
  if (bad) cx.report(at, bad);
  if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) {
    cx.report(at, `"${value}" does not match pattern ${schema.pattern}`);
  }
  if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) cx.report(at, `longer than ${schema.maxLength} characters`);
  if (typeof schema.minLength === 'number' && value.length < schema.minLength) cx.report(at, `shorter than ${schema.minLength} characters`);
}

function walkNumber(value: number, schema: JsonSchema, at: Path, cx: WalkContext): void {
  const range = typeof schema.format === 'string' ? INTEGER_RANGES[schema.format] : undefined;
  if (range && (value < range[0] || value > range[1])) cx.report(at, `${value} does not fit in ${schema.format}`);
  if (typeof schema.minimum === 'number' && value < schema.minimum) cx.report(at, `${value} is below the minimum ${schema.minimum}`);
  if (typeof schema.maximum === 'number' && value > schema.maximum) cx.report(at, `${value} is above the maximum ${schema.maximum}`);
}

function walkArray(value: unknown[], schema: JsonSchema, at: Path, cx: WalkContext): void {
  if (isRecord(schema.items)) value.forEach((item, i) => walk(item, schema.items as JsonSchema, [...at, i], cx));
  if (typeof schema.minItems === 'number' && value.length < schema.minItems) cx.report(at, `needs at least ${schema.minItems} item(s)`);
  if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) cx.report(at, `allows at most ${schema.maxItems} item(s)`);
}

function walkObject(value: Record<string, unknown>, schema: JsonSchema, at: Path, cx: WalkContext): void {
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  for (const name of (schema.required ?? []) as string[]) {
    if (value[name] === undefined) cx.report([...at, name], 'required field is missing');
  }
  const extra = schema.additionalProperties;
  // An object schema that declares neither properties nor additionalProperties (RawExtension,
  // FieldsV1, free-form CRD blobs) accepts anything.
  const closed = (schema.properties !== undefined || extra === false) && schema['x-kubernetes-preserve-unknown-fields'] !== true;
  for (const [key, v] of Object.entries(value)) {
    if (key in props) walk(v, props[key], [...at, key], cx);
    else if (isRecord(extra)) walk(v, extra, [...at, key], cx);
    else if (closed && extra !== true) cx.report([...at, key], `unknown field "${key}"${suggestion(key, Object.keys(props))}`);
  }
}
