import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { readTree } from './support/default-app';
import { builtCopyPerSuite, ROOT } from './support/project-copy';

// The two ways to run the app, for real, in a copy of the project: `npm run synth` and `cdk8s synth`
// (whose CLI empties its output folder before it runs the app). Both must write the committed
// dist/ byte for byte, and a failed run under either must leave dist/ as it was and say so.
const RUNNERS: Record<string, string[]> = {
  'npm run synth': ['npm', 'run', '--silent', 'synth'],
  'cdk8s synth': ['npx', '--no-install', 'cdk8s', 'synth', '--no-check-upgrade'],
};

const run = (cwd: string, [command, ...args]: string[]) => spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 240_000 });

describe.each(Object.keys(RUNNERS))('`%s`', (runner) => {
  const copy = builtCopyPerSuite('zk-runner-');

  test('writes exactly the committed dist/', () => {
    const work = copy();
    fs.rmSync(path.join(work, 'dist'), { recursive: true });
    const result = run(work, RUNNERS[runner]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(readTree(path.join(work, 'dist'))).toEqual(readTree(path.join(ROOT, 'dist')));
  }, 240_000);

  test('with a mistake in an environment file, exits non-zero, leaves dist/ byte for byte, and says so', () => {
    const work = copy();
    // GIVEN one more environment file, asking for an even number of voters, and the committed dist/
    const broken = path.join(work, 'environments', 'zz-broken.yaml');
    fs.writeFileSync(broken, 'namespace: zz-broken\nreplicas: 4\n');
    try {
      // WHEN the runner runs
      const result = run(work, RUNNERS[runner]);
      // THEN it fails naming the file, line and setting, dist/ is untouched, and the message says exactly that
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain('environments/zz-broken.yaml:2: replicas: must be odd');
      expect(result.stderr).toContain('Nothing was written: the previous output is unchanged.');
      expect(readTree(path.join(work, 'dist'))).toEqual(readTree(path.join(ROOT, 'dist')));
      expect(fs.readdirSync(work).filter((f) => f.startsWith('.synth-'))).toEqual([]);
    } finally {
      fs.rmSync(broken);
    }
  }, 240_000);
});

describe('the synth never runs code older than its sources', () => {
  const copy = builtCopyPerSuite('zk-stale-');

  test('an edit of main.ts is compiled before the run; a type error stops it with dist/ untouched', () => {
    const work = copy();
    // The user's main.ts is theirs to change, so the test writes its own app there.
    const main = path.join(work, 'main.ts');
    const app = (namespace: string) => [
      "import { runSynthesis, ZooKeeperChart } from './lib';",
      `runSynthesis((app) => { new ZooKeeperChart(app, 'edited', { namespace: ${namespace} }); }, 'dist');`,
      '',
    ].join('\n');

    // GIVEN main.ts with a type error WHEN the synth runs THEN the compiler's message, and no output
    fs.writeFileSync(main, app('42'));
    const refused = run(work, RUNNERS['npm run synth']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/main\.ts.*error.*TS2322/s);
    expect(refused.stderr).toContain('Nothing was written');
    expect(readTree(path.join(work, 'dist'))).toEqual(readTree(path.join(ROOT, 'dist')));

    // GIVEN main.ts replaced by another app WHEN the synth runs THEN that app's chart is what it writes
    fs.writeFileSync(main, app("'edited-ns'"));
    const rebuilt = run(work, RUNNERS['npm run synth']);
    expect(rebuilt.stderr).toContain('compiling them first');
    expect(rebuilt.status).toBe(0);
    expect(fs.readFileSync(path.join(work, 'dist', 'edited.k8s.yaml'), 'utf8')).toContain('namespace: edited-ns');
  }, 480_000);
});
