import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { readEnvironmentFiles, synthesizeAtomically, synthesizeEnvironments } from '../lib';
import { build as paymentsApp } from '../examples/consumer/main';
import { FIXTURE_ENVIRONMENTS_DIR, readTree } from './support/default-app';
import { copyProject, ROOT } from './support/project-copy';

// The library as another project gets it: packed from a clean copy of the sources (`npm pack` runs
// the build through `prepare`), installed from the tarball into a new project, and used there
// from strict TypeScript and from plain JavaScript, without tsx. Dependencies come from npm's
// cache when they are there (--prefer-offline).
const EXAMPLES = path.join(ROOT, 'examples', 'consumer');
const versions = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const pinned = (name: string) => `${name}@${versions.dependencies[name] ?? versions.devDependencies[name]}`;

let scratch: string;
let tarball: string;
let consumer: string;

beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-package-'));
  const clone = copyProject('zk-pack-');
  try {
    const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', scratch], { cwd: clone, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
    tarball = path.join(scratch, packed[0].filename);
  } finally {
    fs.rmSync(clone, { recursive: true, force: true });
  }
  consumer = path.join(scratch, 'consumer');
  fs.mkdirSync(consumer);
  fs.writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  for (const file of fs.readdirSync(EXAMPLES)) fs.copyFileSync(path.join(EXAMPLES, file), path.join(consumer, file));
  // The tests' own environments: the project's environments/ is the user's, and may hold anything.
  fs.cpSync(FIXTURE_ENVIRONMENTS_DIR, path.join(consumer, 'environments'), { recursive: true });
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball, pinned('cdk8s'), pinned('constructs'), pinned('typescript'), pinned('@types/node')],
    { cwd: consumer, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}, 600_000);

afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

const run = (command: string, args: string[]) => spawnSync(command, args, { cwd: consumer, encoding: 'utf8', timeout: 120_000 });

/** A synthesis by this repository's sources, into a scratch folder, as a tree. */
function fromSources(synthesize: (outdir: string) => void): Record<string, string> {
  const outdir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'zk-sources-')), 'out');
  try {
    synthesize(outdir);
    return readTree(outdir);
  } finally {
    fs.rmSync(path.dirname(outdir), { recursive: true, force: true });
  }
}

test('the package holds the compiled library, its declarations and the pod scripts, not the sources, the app or the tests', () => {
  const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n').map((f) => f.replace(/^package\//, ''));
  expect(files).toEqual(expect.arrayContaining(['package.json', 'build/lib/index.js', 'build/lib/index.d.ts', 'build/imports/cert-manager.io.js', 'lib/scripts/probe.sh', 'lib/scripts/zookeeper-exporter.py']));
  expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
  expect(files.filter((f) => /^(test|e2e|dist|environments|tools)\/|^build\/main\./.test(f))).toEqual([]);
});

test('a strict TypeScript project type-checks against the declarations and synthesizes what the sources do', () => {
  // WHEN the consumer compiles (strict, exactOptionalPropertyTypes, declarations of every package checked) and runs
  const compiled = run(path.join('node_modules', '.bin', 'tsc'), ['-p', '.']);
  expect(compiled.stdout + compiled.stderr).toBe('');
  expect(compiled.status).toBe(0);
  const synthesized = run('node', ['main.js']);
  expect(synthesized.stderr).toBe('');
  expect(synthesized.status).toBe(0);

  // THEN it wrote what this repository's sources write for the same app, byte for byte
  const tree = readTree(path.join(consumer, 'manifests'));
  expect(tree).toEqual(fromSources((outdir) => synthesizeAtomically(paymentsApp, outdir)));
  // AND that is five voters and two observers with TLS, the pod scripts read from the installed package
  const objects = parseAllDocuments(tree['payments.k8s.yaml']).map((d) => d.toJS());
  const replicas = Object.fromEntries(objects.filter((o) => o.kind === 'StatefulSet').map((o) => [o.metadata.name, o.spec.replicas]));
  expect(replicas).toEqual({ zk: 5, 'zk-observer': 2 });
  expect(objects.filter((o) => o.kind === 'Certificate').map((o) => o.spec.issuerRef)).toEqual([{ name: 'internal-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' }]);
  const scripts = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'zk-scripts');
  expect(scripts.data['sync-tls-stores.sh']).toBe(fs.readFileSync(path.join(ROOT, 'lib', 'scripts', 'sync-tls-stores.sh'), 'utf8'));
}, 240_000);

test('a plain JavaScript project synthesizes its environments as the sources do, without TypeScript at run time', () => {
  const synthesized = run('node', ['environments.js']);
  expect(synthesized.stderr).toBe('');
  expect(synthesized.status).toBe(0);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { gitops } = require('../examples/consumer/environments.js');
  const environments = readEnvironmentFiles(path.join(consumer, 'environments')).map((env) => ({ ...env, file: undefined }));
  expect(readTree(path.join(consumer, 'dist'))).toEqual(fromSources((outdir) => synthesizeEnvironments(environments, gitops, outdir)));
  expect(Object.keys(readTree(path.join(consumer, 'dist')))).toEqual(expect.arrayContaining(['argocd/prod.k8s.yaml', 'prod/zookeeper.k8s.yaml', 'prod/kustomization.yaml']));
}, 120_000);
