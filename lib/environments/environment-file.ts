import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdk8s';
import { Document, isMap, isScalar, isSeq, LineCounter, Node, Pair, parseDocument } from './yaml';
import { ZooKeeperChart, ZooKeeperChartProps } from '../chart';
import { ImageProfile, releaseVersionProblem } from '../image-profile';
import { ZooKeeperSettingsError } from '../model/errors';
import { NameFormat } from '../model/settings-reader';

/** An environment: a name (its folder under dist/) and the settings of its ensemble. */
export interface Environment {
  readonly name: string;
  readonly settings: ZooKeeperChartProps;
  /** The file it was read from, when it came from one. */
  readonly file?: string;
}

/** One problem in an environment file, located where the user has to fix it. */
export interface EnvironmentFileIssue {
  readonly file: string;
  readonly line: number;
  readonly setting?: string;
  readonly message: string;
}

/** Thrown for environment files with problems; lists every problem, `file:line: setting: message` each. */
export class EnvironmentFileError extends Error {
  constructor(public readonly issues: readonly EnvironmentFileIssue[]) {
    super(['Invalid environment file settings:',
      ...issues.map((i) => `  ${i.file}:${i.line}: ${i.setting ? `${i.setting}: ` : ''}${i.message}`)].join('\n'));
    this.name = 'EnvironmentFileError';
  }
}

/**
 * Image profiles a file can name: `image: debian`, `image: { profile: debian, reference: ... }`, or
 * an Apache release of your own build, `image: { profile: apache, version: 3.9.4, reference: ... }`.
 */
const PROFILES: Record<string, (reference?: string) => ImageProfile> = {
  upmio: (reference) => ImageProfile.upmio(reference),
  debian: (reference) => ImageProfile.debian(reference),
};
const APACHE_PROFILE = 'apache';

/**
 * Reads `environments/<name>.yaml`: the same settings as ZooKeeperChartProps, under the same
 * names, checked by the same validation. The settings are tried on a throwaway chart here, so an
 * error names the file and line, not just the setting. Throws EnvironmentFileError.
 */
export function readEnvironmentFile(file: string): Environment {
  const text = fs.readFileSync(file, 'utf8');
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  // An error found at the end of the text (an unclosed bracket) belongs to its last line, not to
  // the empty line after the final newline.
  const end = text.trimEnd().length;
  const at = (offset: number | undefined) => (offset === undefined ? 1 : lines.linePos(Math.min(offset, Math.max(end - 1, 0))).line);
  if (doc.errors.length > 0) {
    throw new EnvironmentFileError(doc.errors.map((e) => ({ file, line: at(e.pos[0]), message: `not valid YAML: ${e.message.split('\n')[0]}` })));
  }

  const name = path.basename(file).replace(/\.ya?ml$/, '');
  const issues: EnvironmentFileIssue[] = [];
  if (NameFormat.dnsLabel(name)) issues.push({ file, line: 1, message: `the file name gives the environment name '${name}', which ${NameFormat.dnsLabel(name)}` });
  const contents = doc.toJS() ?? {};
  if (typeof contents !== 'object' || Array.isArray(contents)) {
    throw new EnvironmentFileError([...issues, { file, line: at(doc.contents?.range?.[0]), message: 'must be a map of settings (setting: value)' }]);
  }
  const settings = { ...contents } as Record<string, unknown>;
  if (settings.image !== undefined) {
    const image = readImage(settings.image);
    if (typeof image === 'string') issues.push({ file, line: locate(doc, 'image', at), setting: 'image', message: image });
    else settings.image = image;
  }
  if (issues.length === 0) {
    try {
      new ZooKeeperChart(new App(), name, settings as ZooKeeperChartProps);
    } catch (error) {
      if (!(error instanceof ZooKeeperSettingsError)) throw error;
      for (const issue of error.issues) issues.push({ file, line: locate(doc, issue.setting, at), setting: issue.setting, message: issue.message });
    }
  }
  if (issues.length > 0) throw new EnvironmentFileError(issues);
  return { name, settings: settings as ZooKeeperChartProps, file };
}

/** Every `*.yaml` file of a folder, in name order; all files' problems are reported together. */
export function readEnvironmentFiles(dir: string): Environment[] {
  if (!fs.existsSync(dir)) return [];
  const issues: EnvironmentFileIssue[] = [];
  const environments: Environment[] = [];
  for (const file of fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    try {
      environments.push(readEnvironmentFile(path.join(dir, file)));
    } catch (error) {
      if (!(error instanceof EnvironmentFileError)) throw error;
      issues.push(...error.issues);
    }
  }
  if (issues.length > 0) throw new EnvironmentFileError(issues);
  return environments;
}

/** An ImageProfile from `upmio`, `debian` or `{ profile, reference }`, or what is wrong. */
function readImage(value: unknown): ImageProfile | string {
  const allowed = `must be ${Object.keys(PROFILES).map((p) => `'${p}'`).join(' or ')}, or { profile: ..., reference: <image reference> }, `
    + `or { profile: ${APACHE_PROFILE}, version: <3.8.x or 3.9.x>, reference: <image reference> }`;
  if (typeof value === 'string') return PROFILES[value]?.() ?? `${allowed} (got ${JSON.stringify(value)})`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return allowed;
  const { profile, reference, version, ...rest } = value as Record<string, unknown>;
  if (Object.keys(rest).length > 0) return `${allowed}; ${Object.keys(rest).join(', ')} is not a field`;
  if (reference !== undefined && typeof reference !== 'string') return `${allowed} (reference must be a string)`;
  if (profile === APACHE_PROFILE) return readApacheRelease(version, reference as string | undefined);
  if (typeof profile !== 'string' || !PROFILES[profile]) return `${allowed} (got profile ${JSON.stringify(profile)})`;
  if (version !== undefined) return `version is a field of profile ${APACHE_PROFILE} only: profile ${profile} is one version`;
  return PROFILES[profile](reference as string | undefined);
}

/** The project publishes no Apache release image, so the reference of your build is required. */
function readApacheRelease(version: unknown, reference: string | undefined): ImageProfile | string {
  if (reference === undefined) return `profile ${APACHE_PROFILE} needs reference: the image you built from image/apache and pushed`;
  // YAML reads 3.9.4 as a string but an unquoted 3.9 as a number: both reach the version check.
  const problem = releaseVersionProblem(version);
  if (problem) return `version ${problem}`;
  return ImageProfile.apacheRelease({ version: version as string, image: reference });
}

/**
 * The line of a setting given by its path as issues name it (`replicas`, `labels.team`,
 * `alertThresholds.elections`, `jvmOptions[0]`, `tolerations[1].effect`): the deepest node of the
 * path that the file has. Keys may contain dots (label keys, zoo.cfg keys), so at each map the
 * longest key the rest of the path starts with is taken.
 */
function locate(doc: Document, setting: string, at: (offset: number | undefined) => number): number {
  let node: unknown = doc.contents;
  let line = at(doc.contents?.range?.[0]);
  let rest = setting;
  while (rest !== '') {
    if (isSeq(node)) {
      const index = /^\[(\d+)\]\.?/.exec(rest);
      const item = index ? (node.items[Number(index[1])] as Node | undefined) : undefined;
      if (!index || !item) break;
      [node, line, rest] = [item, at(item.range?.[0]), rest.slice(index[0].length)];
    } else if (isMap(node)) {
      const path = rest;
      const leads = (key: string) => path === key || path.startsWith(`${key}.`) || path.startsWith(`${key}[`);
      const pair = node.items.filter((p) => leads(keyOf(p))).sort((a, b) => keyOf(b).length - keyOf(a).length)[0];
      if (!pair) break;
      [node, line, rest] = [pair.value, at((pair.key as Node).range?.[0]), rest.slice(keyOf(pair).length).replace(/^\./, '')];
    } else {
      break;
    }
  }
  return line;
}

function keyOf(pair: Pair): string {
  return isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
}
