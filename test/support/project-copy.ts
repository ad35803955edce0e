import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const ROOT = path.join(__dirname, '..', '..');

/** What a clone holds that the build, the synth and `npm pack` read (node_modules is linked, not copied). */
const PROJECT_FILES = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'cdk8s.yaml', 'main.ts', 'lib', 'imports', 'tools', 'environments', 'dist'];

/**
 * A copy of the project in a temporary folder, as a user's clone would be after `npm ci`: sources,
 * environments and the committed dist/, node_modules linked to this one's. Without build/ unless
 * `withBuild`, which copies this project's (fresh: see freshBuild).
 */
export function copyProject(prefix: string, options: { withBuild?: boolean } = {}): string {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  for (const entry of [...PROJECT_FILES, ...(options.withBuild ? ['build'] : [])]) {
    fs.cpSync(path.join(ROOT, entry), path.join(work, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(work, 'node_modules'));
  return work;
}

/** Compiles build/ when it does not match the sources, as the synth would; fails on compile errors. */
export function freshBuild(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { build, isFresh } = require(path.join(ROOT, 'tools', 'build.js')) as { build(): boolean; isFresh(): boolean };
  if (!isFresh() && !build()) throw new Error('the sources do not compile: run `npm run build`');
}

/**
 * For a describe block: a fresh build, then a copy of the project with it, made before the block's
 * tests and removed after them. Returns the copy's path (read it inside the tests).
 */
export function builtCopyPerSuite(prefix: string): () => string {
  let work = '';
  beforeAll(() => {
    freshBuild();
    work = copyProject(prefix, { withBuild: true });
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
  return () => work;
}
