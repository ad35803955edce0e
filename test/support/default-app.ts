import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { synthesizeEnvironments } from '../../lib';
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

/** Synthesizes the app exactly as `npm run synth` does, into a scratch folder; returns its tree. */
export function synthDefaultApp(): Record<string, string> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-app-'));
  try {
    synthesizeEnvironments(environments(), gitops, path.join(outdir, 'dist'));
    return readTree(path.join(outdir, 'dist'));
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** The objects of the manifest files of a tree (kustomization.yaml excluded), parsed as kubectl reads YAML. */
export function objectsOfTree(tree: Record<string, string>): any[] {
  return Object.entries(tree).filter(([file]) => file.endsWith('.k8s.yaml'))
    .flatMap(([, text]) => parseAllDocuments(text, { version: '1.1' }).map((d) => d.toJS()))
    .filter((o) => o !== null);
}
