import * as fs from 'fs';
import * as path from 'path';
import { App, YamlOutputType } from 'cdk8s';
import { EnvironmentFileError } from './environments/environment-file';
import { ZooKeeperSettingsError } from './model/errors';

/** The extension of every manifest this project writes: `<chart id>.k8s.yaml`. */
export const MANIFEST_EXTENSION = '.k8s.yaml';

/** How every app of this project writes its files: one `<chart id>.k8s.yaml` per chart. */
export function newApp(outdir: string): App {
  return new App({ outdir, outputFileExtension: MANIFEST_EXTENSION, yamlOutputType: YamlOutputType.FILE_PER_CHART });
}

/**
 * Tells whether an entry found at the top of an output folder is one this kind of run writes, so
 * that a run may remove it when it no longer produces it (a removed chart or environment).
 */
export type OwnedEntry = (entry: OutputEntry, fullPath: string) => boolean;

/** An entry of an output folder, as fs.readdirSync(dir, { withFileTypes: true }) gives it. */
export interface OutputEntry {
  readonly name: string;
  isFile(): boolean;
  isDirectory(): boolean;
}

/** What `runSynthesis` and `synthesizeAtomically` own in their folder: the top-level manifests. */
export const ownsManifestFiles: OwnedEntry = (entry) => entry.isFile() && entry.name.endsWith(MANIFEST_EXTENSION);

/**
 * Writes into `outdir` all-or-nothing, and touches only what the run owns. `write` fills a scratch
 * folder beside `outdir`; only when it returned do the top-level entries it produced replace their
 * namesakes in `outdir`, and entries that `owned` claims but the run no longer produces are removed.
 * Everything else in `outdir` (another app's files, a README) stays. A failure (invalid settings
 * included) leaves `outdir` untouched, byte for byte.
 *
 * Under `cdk8s synth`, whose CLI lists (or with --stdout prints) the manifests it finds in
 * $CDK8S_OUTDIR, the files are copied there too when that is another folder: see cdk8s.yaml.
 *
 * @returns every file written, relative to outdir's parent, in name order
 */
export function writeAtomically(outdir: string, write: (scratch: string) => void, owned: OwnedEntry): string[] {
  if (typeof outdir !== 'string' || outdir === '') throw new TypeError('the output folder must be given: a path such as \'dist\' (nothing is written by default)');
  const target = path.resolve(outdir);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const scratch = fs.mkdtempSync(path.join(path.dirname(target), '.synth-'));
  try {
    write(scratch);
    const produced = fs.readdirSync(scratch).sort();
    const files = listFiles(scratch);
    replaceOwnedEntries(target, scratch, produced, owned);
    copyForCdk8sCli(target, files);
    return files.map((file) => path.join(outdir, file));
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * Moves `produced` from scratch into target, after moving their namesakes and the owned entries
 * the run no longer produces out of the way; undoes every move if one fails.
 */
function replaceOwnedEntries(target: string, scratch: string, produced: readonly string[], owned: OwnedEntry): void {
  fs.mkdirSync(target, { recursive: true });
  const previous = `${scratch}.previous`;
  fs.mkdirSync(previous);
  const outgoing = fs.readdirSync(target, { withFileTypes: true })
    .filter((entry) => produced.includes(entry.name) || owned(entry, path.join(target, entry.name)))
    .map((entry) => entry.name);
  const moves: [string, string][] = [
    ...outgoing.map((name): [string, string] => [path.join(target, name), path.join(previous, name)]),
    ...produced.map((name): [string, string] => [path.join(scratch, name), path.join(target, name)]),
  ];
  const done: [string, string][] = [];
  try {
    for (const [from, to] of moves) {
      fs.renameSync(from, to);
      done.push([from, to]);
    }
  } catch (error) {
    for (const [from, to] of done.reverse()) fs.renameSync(to, from);
    throw error;
  } finally {
    fs.rmSync(previous, { recursive: true, force: true });
  }
}

/**
 * cdk8s-cli empties $CDK8S_OUTDIR, runs the app, then fails unless that folder exists and lists
 * the manifests in it. This project's cdk8s.yaml points it at a scratch folder, so that a failed
 * `cdk8s synth` cannot empty dist/; the CLI still gets its copy of every file the run wrote.
 */
function copyForCdk8sCli(target: string, files: readonly string[]): void {
  const cliOutdir = process.env.CDK8S_OUTDIR;
  if (!cliOutdir || path.resolve(cliOutdir) === target) return;
  for (const file of files) {
    fs.mkdirSync(path.dirname(path.join(cliOutdir, file)), { recursive: true });
    fs.copyFileSync(path.join(target, file), path.join(cliOutdir, file));
  }
}

/**
 * Builds an app and synthesizes it all-or-nothing into `outdir`, one `<chart id>.k8s.yaml` per
 * chart. It owns the manifest files at the top of `outdir`: they are replaced, and a manifest of a
 * chart the app no longer has is removed; subfolders and other files are left alone. Give each
 * app its own folder, or at least charts of their own names.
 *
 * @param outdir where the manifests go, e.g. 'dist' (no default: the folder is the caller's choice)
 */
export function synthesizeAtomically(build: (app: App) => void, outdir: string): string[] {
  return writeAtomically(outdir, (scratch) => {
    const app = newApp(scratch);
    build(app);
    app.synth();
  }, ownsManifestFiles);
}

/**
 * An entry point's error handling: runs a synthesis and reports its files, or reports invalid
 * settings as plain messages (no stack trace) with exit code 1. Other errors propagate.
 *
 * @param outdir the folder the synthesis writes, so a failure can say truthfully what became of it
 */
export function reportSynthesis(synthesize: () => string[], outdir?: string): void {
  try {
    for (const file of synthesize()) console.log(`synthesized ${file}`);
  } catch (error) {
    if (!(error instanceof ZooKeeperSettingsError || error instanceof EnvironmentFileError)) throw error;
    console.error(error.message);
    console.error(nothingWritten(outdir));
    process.exitCode = 1;
  }
}

/** What a failed run left behind: the output as it was, unless cdk8s synth emptied it before the app ran. */
function nothingWritten(outdir: string | undefined): string {
  const cliOutdir = process.env.CDK8S_OUTDIR;
  const emptiedByCli = cliOutdir !== undefined && (outdir === undefined || path.resolve(cliOutdir) === path.resolve(outdir));
  return emptiedByCli
    ? `Nothing was written, but cdk8s synth emptied ${cliOutdir} before it ran the app (git checkout -- ${cliOutdir} restores a committed one).`
    : 'Nothing was written: the previous output is unchanged.';
}

/** Synthesizes one app into `outdir` all-or-nothing, as synthesizeAtomically does, reporting like reportSynthesis. */
export function runSynthesis(build: (app: App) => void, outdir: string): void {
  reportSynthesis(() => synthesizeAtomically(build, outdir), outdir);
}

/** Every file below `dir`, as relative paths with '/' separators, in name order. */
function listFiles(dir: string, prefix = ''): string[] {
  return fs.readdirSync(path.join(dir, prefix), { withFileTypes: true })
    .flatMap((entry) => {
      const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
      return entry.isDirectory() ? listFiles(dir, relative) : [relative];
    })
    .sort();
}
