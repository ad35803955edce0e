// Benchmark: median wall time of cold synthesis (a new process each run), for the default app
// through `npm run synth`, and for generated apps with 1, 10 and 50 ensembles run exactly as the
// synth script runs main.ts (`node --import tsx <app>`). Prints figures; asserts nothing.
//   npm run bench            7 runs per case
//   npm run bench -- 15      15 runs per case
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.join(__dirname, '..');
const runs = Number(process.argv[2] ?? 7);
// Inside the repo, so generated apps resolve the project's node_modules.
const work = fs.mkdtempSync(path.join(root, '.bench-'));

function appWithEnsembles(count: number): string {
  const file = path.join(work, `app-${count}.ts`);
  fs.writeFileSync(file, [
    `import { runSynthesis, ZooKeeperChart } from ${JSON.stringify(path.join(root, 'lib'))};`,
    'runSynthesis((app) => {',
    `  for (let i = 0; i < ${count}; i++) new ZooKeeperChart(app, \`zk-\${i}\`, { namespace: \`zk-\${i}\` });`,
    '});',
    '',
  ].join('\n'));
  return file;
}

/** Runs a command `runs` times in fresh processes and returns the sorted wall times in ms. */
function time(command: string, args: string[]): number[] {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const outdir = path.join(work, `out-${i}`);
    const start = process.hrtime.bigint();
    const result = spawnSync(command, args, { cwd: root, env: { ...process.env, CDK8S_OUTDIR: outdir }, encoding: 'utf8' });
    const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${result.stderr}`);
    fs.rmSync(outdir, { recursive: true, force: true });
    times.push(elapsed);
  }
  return times.sort((a, b) => a - b);
}

const median = (t: number[]) => t.length % 2 ? t[(t.length - 1) / 2] : (t[t.length / 2 - 1] + t[t.length / 2]) / 2;
const rows: string[][] = [];
function report(label: string, ensembles: number, times: number[]) {
  rows.push([label, String(ensembles), median(times).toFixed(0), times[0].toFixed(0), times[times.length - 1].toFixed(0)]);
}

try {
  // Not counted: warms the file system cache once, as a developer's second run would be.
  time('npm', ['run', '--silent', 'synth']);
  report('npm run synth (dev + prod)', 2, time('npm', ['run', '--silent', 'synth']));
  const baseline = path.join(work, 'baseline.ts');
  fs.writeFileSync(baseline, `import 'cdk8s-plus-28';\nimport 'cdk8s';\n`);
  report('node + tsx + cdk8s-plus-28 load only', 0, time('node', ['--import', 'tsx', baseline]));
  const perEnsemble: number[] = [];
  for (const count of [1, 10, 50]) {
    const times = time('node', ['--import', 'tsx', appWithEnsembles(count)]);
    report(`app with ${count} ensemble${count === 1 ? '' : 's'}`, count, times);
    perEnsemble.push(median(times));
  }

  const widths = [38, 10, 12, 8, 8];
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('');
  console.log(`Cold synthesis, ${runs} runs each, ${os.cpus().length} CPUs, node ${process.version}`);
  console.log(line(['case', 'ensembles', 'median ms', 'min', 'max']));
  for (const row of rows) console.log(line(row));
  const [one, ten, fifty] = perEnsemble;
  console.log(`marginal cost per ensemble: ${((ten - one) / 9).toFixed(1)} ms (1->10), ${((fifty - ten) / 40).toFixed(1)} ms (10->50)`);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
