import * as fs from 'fs';
import * as path from 'path';
import { App, YamlOutputType } from 'cdk8s';
import { EnvironmentFileError } from './environments/environment-file';
import { ZooKeeperSettingsError } from './model/errors';

/** How every app of this project writes its files: one `<chart id>.k8s.yaml` per chart. */
export function newApp(outdir: string): App {
  return new App({ outdir, outputFileExtension: '.k8s.yaml', yamlOutputType: YamlOutputType.FILE_PER_CHART });
}

/**
 * Writes a tree all-or-nothing: `write` fills a scratch directory beside `outdir`, which replaces
 * `outdir` only when it returned. A failure (invalid settings included) leaves the previous output
 * untouched, byte for byte.
 *
 * @returns every file written, relative to outdir's parent, in name order
 */
export function writeAtomically(outdir: string, write: (scratch: string) => void): string[] {
  const target = path.resolve(outdir);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const scratch = fs.mkdtempSync(path.join(path.dirname(target), '.synth-'));
  const previous = `${scratch}.previous`;
  try {
    // mkdtemp creates the directory private (0700); dist/ should look like any other directory.
    fs.chmodSync(scratch, 0o777 & ~process.umask());
    write(scratch);
    const files = listFiles(scratch);
    if (fs.existsSync(target)) fs.renameSync(target, previous);
    try {
      fs.renameSync(scratch, target);
    } catch (error) {
      if (fs.existsSync(previous)) fs.renameSync(previous, target);
      throw error;
    }
    return files.map((file) => path.join(outdir, file));
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
    fs.rmSync(previous, { recursive: true, force: true });
  }
}

/**
 * Builds an app and synthesizes it all-or-nothing into `outdir`, one file per chart.
 *
 * @param outdir where the manifests go; defaults to $CDK8S_OUTDIR (set by `cdk8s synth`) or dist
 */
export function synthesizeAtomically(build: (app: App) => void, outdir = process.env.CDK8S_OUTDIR ?? 'dist'): string[] {
  return writeAtomically(outdir, (scratch) => {
    const app = newApp(scratch);
    build(app);
    app.synth();
  });
}

/**
 * An entry point's error handling: runs a synthesis and reports its files, or reports invalid
 * settings as plain messages (no stack trace) with exit code 1. Other errors propagate.
 */
export function reportSynthesis(synthesize: () => string[]): void {
  try {
    for (const file of synthesize()) console.log(`synthesized ${file}`);
  } catch (error) {
    if (!(error instanceof ZooKeeperSettingsError || error instanceof EnvironmentFileError)) throw error;
    console.error(error.message);
    console.error('Nothing was written: the previous output is unchanged.');
    process.exitCode = 1;
  }
}

/** Synthesizes one app into `outdir` (default dist/) all-or-nothing, reporting like reportSynthesis. */
export function runSynthesis(build: (app: App) => void, outdir?: string): void {
  reportSynthesis(() => synthesizeAtomically(build, outdir));
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
