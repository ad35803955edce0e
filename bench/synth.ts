// Benchmark: median wall time of a cold synthesis (a new process per run) of the default app, run
// as `npm run synth` and cdk8s.yaml run it (and as it ran before the startup snapshot), beside `node -e 0` and a bare require('cdk8s-plus-28')
// measured in the same run, as ratios; and apps with 1, 10 and 50 ensembles. The cases take turns
// run by run, so load from elsewhere on the machine falls on all of them alike. Prints figures;
// asserts nothing. It writes nothing in the project: every run works in a scratch folder.
//   npm run bench            11 runs per case
//   npm run bench -- 21      21 runs per case
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.join(__dirname, '..');
const runs = Number(process.argv[2] ?? 11);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-bench-'));

interface Case { readonly label: string; readonly command: string; readonly args: readonly string[] }

/** The synth as package.json and cdk8s.yaml run it: from the startup snapshot, behind its freshness check. */
const APP = ['tools/synth.sh'];
/** The synth before the snapshot: the compiled app read from disk, behind the same check (also the fallback). */
const FROM_DISK = ['-r', path.join(root, 'tools', 'fresh-build.js'), path.join(root, 'build', 'main.js')];

/** A folder like the project's root for the default app: its environments, its package.json, the build. */
function projectLikeFolder(): string {
  const dir = path.join(work, 'project');
  fs.mkdirSync(dir);
  fs.cpSync(path.join(root, 'environments'), path.join(dir, 'environments'), { recursive: true });
  fs.copyFileSync(path.join(root, 'package.json'), path.join(dir, 'package.json'));
  for (const link of ['tools', 'build', 'node_modules']) fs.symlinkSync(path.join(root, link), path.join(dir, link));
  return dir;
}

/** A compiled app with `count` ensembles, run the way the synth runs build/main.js. */
function appWithEnsembles(count: number): string {
  const file = path.join(work, `app-${count}.js`);
  fs.writeFileSync(file, [
    `const { runSynthesis, ZooKeeperChart } = require(${JSON.stringify(path.join(root, 'build', 'lib'))});`,
    'runSynthesis((app) => {',
    `  for (let i = 0; i < ${count}; i++) new ZooKeeperChart(app, \`zk-\${i}\`, { namespace: \`zk-\${i}\` });`,
    '}, \'dist\');',
    '',
  ].join('\n'));
  return file;
}

/** Runs every case `runs` times, taking turns, in `cwd`; returns each case's sorted wall times in ms. */
function timeAll(cases: readonly Case[], cwd: string): number[][] {
  const times = cases.map((): number[] => []);
  for (let i = 0; i < runs; i++) {
    cases.forEach(({ command, args }, index) => {
      const start = process.hrtime.bigint();
      const result = spawnSync(command, args, { cwd, encoding: 'utf8' });
      const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
      if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${result.stderr}`);
      times[index].push(elapsed);
    });
  }
  return times.map((t) => t.sort((a, b) => a - b));
}

const median = (t: number[]) => (t.length % 2 ? t[(t.length - 1) / 2] : (t[t.length / 2 - 1] + t[t.length / 2]) / 2);

try {
  // Not counted: compiles build/ if a source changed, and warms the file system cache once.
  const project = projectLikeFolder();
  const warm = spawnSync('bash', APP, { cwd: project, encoding: 'utf8', stdio: ['ignore', 'ignore', 'inherit'] });
  if (warm.status !== 0) throw new Error('the synth failed: see above');

  const cases: Case[] = [
    { label: 'node -e 0', command: 'node', args: ['-e', '0'] },
    { label: "node -e \"require('cdk8s-plus-28')\"", command: 'node', args: ['-e', "require('cdk8s-plus-28')"] },
    { label: 'synth: bash tools/synth.sh (snapshot)', command: 'bash', args: APP },
    { label: 'from disk: node -r tools/fresh-build.js build/main.js', command: 'node', args: FROM_DISK },
    { label: 'npm run synth (the same, through npm)', command: 'npm', args: ['run', '--silent', 'synth'] },
    { label: 'former synth: node --import tsx main.ts', command: 'node', args: ['--import', 'tsx', path.join(root, 'main.ts')] },
    ...[1, 10, 50].map((count) => ({ label: `app with ${count} ensemble${count === 1 ? '' : 's'}`, command: 'node', args: [appWithEnsembles(count)] })),
  ];
  const times = timeAll(cases, project);
  const medians = times.map(median);
  const [node, plus] = medians;

  const widths = [52, 10, 8, 8, 10, 12];
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('');
  console.log(`Cold synthesis, ${runs} runs per case taking turns, ${os.cpus().length} CPUs, node ${process.version}, load average ${os.loadavg()[0].toFixed(1)}`);
  console.log(line(['case', 'median ms', 'min', 'max', '/ node', '/ plus-28']));
  cases.forEach(({ label }, i) => {
    const t = times[i];
    console.log(line([label, medians[i].toFixed(0), t[0].toFixed(0), t[t.length - 1].toFixed(0), (medians[i] / node).toFixed(2), (medians[i] / plus).toFixed(2)]));
  });
  const [one, ten, fifty] = medians.slice(-3);
  console.log(`marginal cost per ensemble: ${((ten - one) / 9).toFixed(1)} ms (1->10), ${((fifty - ten) / 40).toFixed(1)} ms (10->50)`);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
