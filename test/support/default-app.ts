// The two apps the tests synthesize. The user's app (main.ts and environments/) belongs to the
// user: tests check only properties that hold for any valid set of environments. The fixture app
// (test/fixtures/app/) belongs to the tests: its output may be pinned by snapshots and counts.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { Environment, GitOpsSettings, readEnvironmentFiles, synthesizeEnvironments } from '../../lib';
import { environments, gitops } from '../../main';

export const ROOT = path.join(__dirname, '..', '..');
export const DIST = path.join(ROOT, 'dist');

/** Every file below `dir` by relative path ('/' separators), with its text. */
export function readTree(dir: string): Record<string, string> {
  const walk = (prefix: string): [string, string][] => fs.readdirSync(path.join(dir, prefix), { withFileTypes: true })
    .flatMap((entry) => {
      const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
      return entry.isDirectory() ? walk(relative) : [[relative, fs.readFileSync(path.join(dir, relative), 'utf8')] as [string, string]];
    });
  return Object.fromEntries(walk('').sort(([a], [b]) => a.localeCompare(b)));
}

/** An app as main.ts defines one: its environments and, optionally, its Argo CD delivery. */
export interface AppDefinition {
  readonly environments: Environment[];
  readonly gitops?: GitOpsSettings;
}

/** The user's app, read as `npm run synth` reads it. */
export function userApp(): AppDefinition {
  return { environments: environments(), gitops };
}

/** Where the fixture app's environment files live. */
export const FIXTURE_ENVIRONMENTS_DIR = path.join(ROOT, 'test', 'fixtures', 'app', 'environments');

/** The tests' own app: environments that change only with the tests, delivered by Argo CD. */
export function fixtureApp(): AppDefinition {
  return {
    environments: readEnvironmentFiles(FIXTURE_ENVIRONMENTS_DIR),
    gitops: { repoURL: 'https://git.example.com/platform/zookeeper.git', targetRevision: 'main', automatedSync: ['dev'] },
  };
}

/** Synthesizes an app into `<outdir>/dist` and returns the path; the caller removes outdir. */
export function synthAppInto(app: AppDefinition, outdir: string): string {
  const dist = path.join(outdir, 'dist');
  synthesizeEnvironments(app.environments, app.gitops, dist);
  return dist;
}

/** Synthesizes an app as `npm run synth` does, into a scratch folder; returns its tree. */
export function synthApp(app: AppDefinition): Record<string, string> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-app-'));
  try {
    return readTree(synthAppInto(app, outdir));
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** The user's app synthesized into a scratch folder: what dist/ must hold. */
export function synthUserApp(): Record<string, string> {
  return synthApp(userApp());
}

/** The objects of the manifest files of a tree (kustomization.yaml excluded), parsed as kubectl reads YAML. */
export function objectsOfTree(tree: Record<string, string>): any[] {
  return Object.entries(tree).filter(([file]) => file.endsWith('.k8s.yaml'))
    .flatMap(([, text]) => parseAllDocuments(text, { version: '1.1' }).map((d) => d.toJS()))
    .filter((o) => o !== null);
}

/** The files of one folder of a tree (`<folder>/...`), keyed as in the tree. */
export function folderOf(tree: Record<string, string>, folder: string): Record<string, string> {
  return Object.fromEntries(Object.entries(tree).filter(([file]) => file.startsWith(`${folder}/`)));
}
