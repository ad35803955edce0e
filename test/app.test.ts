import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { defineApp } from '../main';
import { synthesizeAtomically } from '../lib';

const root = path.join(__dirname, '..');

function synthDefaultApp(): Record<string, string> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-app-'));
  try {
    synthesizeAtomically(defineApp, outdir);
    return Object.fromEntries(fs.readdirSync(outdir).sort().map((f) => [f, fs.readFileSync(path.join(outdir, f), 'utf8')]));
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

describe('the default app', () => {
  const files = synthDefaultApp();

  test('matches the snapshot', () => {
    expect(files).toMatchSnapshot();
  });

  test('synthesizes byte-identical output every time', () => {
    expect(synthDefaultApp()).toEqual(files);
  });

  test('is exactly what dist/ holds, with no extra files', () => {
    const dist = path.join(root, 'dist');
    const committed = Object.fromEntries(fs.readdirSync(dist).sort().map((f) => [f, fs.readFileSync(path.join(dist, f), 'utf8')]));
    expect(committed).toEqual(files);
  });

  test('creates its Namespace before any object that lives in it, so `kubectl apply -f dist/` works on an empty cluster', () => {
    const kinds = files['zookeeper.k8s.yaml'].split('\n---\n').map((doc) => /^kind: (\S+)$/m.exec(doc)?.[1]);
    expect(kinds[0]).toBe('Namespace');
    expect(kinds.slice(1)).not.toContain('Namespace');
    expect(kinds).toEqual(expect.arrayContaining(['ServiceAccount', 'ConfigMap', 'Service', 'StatefulSet', 'PodDisruptionBudget']));
  });
});
