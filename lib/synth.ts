import * as fs from 'fs';
import * as path from 'path';
import { App, YamlOutputType } from 'cdk8s';
import { ZooKeeperSettingsError } from './model/errors';

/**
 * Builds an app and synthesizes it all-or-nothing: the charts are built (and validated) and
 * written to a scratch directory beside `outdir`, which replaces `outdir` only when everything
 * succeeded. A failed synth leaves the previous output untouched.
 *
 * @param outdir where the manifests go; defaults to $CDK8S_OUTDIR (set by `cdk8s synth`) or dist
 * @returns the files written, relative to outdir's parent
 */
export function synthesizeAtomically(build: (app: App) => void, outdir = process.env.CDK8S_OUTDIR ?? 'dist'): string[] {
  const target = path.resolve(outdir);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const scratch = fs.mkdtempSync(path.join(path.dirname(target), '.synth-'));
  const previous = `${scratch}.previous`;
  try {
    // mkdtemp creates the directory private (0700); dist/ should look like any other directory.
    fs.chmodSync(scratch, 0o777 & ~process.umask());
    const app = new App({ outdir: scratch, outputFileExtension: '.k8s.yaml', yamlOutputType: YamlOutputType.FILE_PER_CHART });
    build(app);
    app.synth();
    const files = fs.readdirSync(scratch).sort();
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
 * The app's entry point: synthesizes all-or-nothing and reports the files, or reports invalid
 * settings as plain messages (no stack trace) with exit code 1. Other errors propagate.
 */
export function runSynthesis(build: (app: App) => void, outdir?: string): void {
  try {
    for (const file of synthesizeAtomically(build, outdir)) console.log(`synthesized ${file}`);
  } catch (error) {
    if (!(error instanceof ZooKeeperSettingsError)) throw error;
    console.error(error.message);
    console.error('Nothing was written: the previous output is unchanged.');
    process.exitCode = 1;
  }
}
