import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { readTree } from './support/default-app';
import { builtCopyPerSuite, ROOT } from './support/project-copy';

// The synth starts from a startup snapshot of the library (tools/snapshot.js), made by the build
// for the Node that ran it. These tests run the app command (cdk8s.yaml's, which npm run synth
// runs) in a copy of the project, and tell the snapshot's run from a run from disk by what each
// one reads.
const synth = (cwd: string, env: NodeJS.ProcessEnv = {}) => spawnSync('bash', ['tools/synth.sh'], { cwd, encoding: 'utf8', timeout: 240_000, env: { ...process.env, NODE_OPTIONS: '', ...env } });
const blob = (work: string) => path.join(work, 'build', `synth-${process.version}.blob`);

describe('the synth from the startup snapshot', () => {
  const copy = builtCopyPerSuite('zk-snapshot-');

  test('runs the library from the snapshot, not from build/, and writes the committed dist/', () => {
    const work = copy();
    // GIVEN a compiled library file that would fail if it were read: the snapshot holds its code
    expect(fs.existsSync(blob(work))).toBe(true);
    const chart = path.join(work, 'build', 'lib', 'chart.js');
    const compiled = fs.readFileSync(chart);
    fs.writeFileSync(chart, "throw new Error('build/lib/chart.js was read from disk');\n");
    try {
      fs.rmSync(path.join(work, 'dist'), { recursive: true });
      // WHEN the app command runs
      const result = synth(work);
      // THEN it succeeds quietly, with the same output as ever
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(readTree(path.join(work, 'dist'))).toEqual(readTree(path.join(ROOT, 'dist')));
    } finally {
      fs.writeFileSync(chart, compiled);
    }
  }, 240_000);

  test('reads the pod scripts from where the project is now, not from where the snapshot was made', () => {
    const work = copy();
    // GIVEN a copy whose probe script differs from the one the snapshot was made beside
    const probe = path.join(work, 'lib', 'scripts', 'probe.sh');
    const original = fs.readFileSync(probe, 'utf8');
    fs.writeFileSync(probe, `${original}# edited in the copy\n`);
    try {
      // WHEN the app command runs
      const result = synth(work);
      // THEN every environment's scripts ConfigMap carries the copy's script
      expect(result.status).toBe(0);
      const manifests = Object.entries(readTree(path.join(work, 'dist'))).filter(([file]) => /^(?!argocd\/)[^/]+\/zookeeper\.k8s\.yaml$/.test(file));
      expect(manifests.length).toBeGreaterThan(0);
      expect(manifests.filter(([, text]) => !text.includes('# edited in the copy')).map(([file]) => file)).toEqual([]);
    } finally {
      fs.writeFileSync(probe, original);
    }
  }, 240_000);

  test('without a snapshot for this Node, runs from disk and makes one for the next run', () => {
    const work = copy();
    // GIVEN build/ without the snapshot (made by another Node, say)
    fs.rmSync(blob(work));
    fs.rmSync(path.join(work, 'dist'), { recursive: true });
    // WHEN the app command runs
    const result = synth(work);
    // THEN the output is the same, and the snapshot is back
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(readTree(path.join(work, 'dist'))).toEqual(readTree(path.join(ROOT, 'dist')));
    expect(fs.existsSync(blob(work))).toBe(true);
  }, 240_000);

  test('made during a `cdk8s synth` run, leaves nothing of its warm-up in the folder the CLI lists', () => {
    const work = copy();
    // GIVEN build/ without the snapshot, and the CLI's output folder as cdk8s-cli sets it
    fs.rmSync(blob(work));
    const cliOutdir = fs.mkdtempSync(path.join(work, '.cdk8s-out-'));
    // WHEN the app command runs and makes the snapshot
    const result = synth(work, { CDK8S_OUTDIR: cliOutdir });
    // THEN the CLI's folder holds exactly what dist/ holds: no warm-up environment
    expect(result.status).toBe(0);
    expect(fs.existsSync(blob(work))).toBe(true);
    expect(readTree(cliOutdir)).toEqual(readTree(path.join(ROOT, 'dist')));
    fs.rmSync(cliOutdir, { recursive: true, force: true });
  }, 240_000);

  test('is rebuilt once npm installed anything: the snapshot holds cdk8s and the other dependencies too', () => {
    const work = copy();
    // GIVEN a copy with its own node_modules whose npm record changed since the build
    fs.rmSync(path.join(work, 'node_modules'));
    fs.mkdirSync(path.join(work, 'node_modules'));
    for (const entry of fs.readdirSync(path.join(ROOT, 'node_modules'))) {
      if (entry !== '.package-lock.json') fs.symlinkSync(path.join(ROOT, 'node_modules', entry), path.join(work, 'node_modules', entry));
    }
    fs.writeFileSync(path.join(work, 'node_modules', '.package-lock.json'), `${fs.readFileSync(path.join(ROOT, 'node_modules', '.package-lock.json'), 'utf8')}\n`);
    // WHEN the app command runs
    const result = synth(work);
    // THEN it compiles first, and writes the same output
    expect(result.stderr).toContain('compiling them first');
    expect(result.status).toBe(0);
    expect(readTree(path.join(work, 'dist'))).toEqual(readTree(path.join(ROOT, 'dist')));
  }, 240_000);
});
