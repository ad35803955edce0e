import * as fs from 'fs';
import * as path from 'path';
import { GITOPS_SETTING_NAMES, SETTING_NAMES } from '../lib';

const ROOT = path.join(__dirname, '..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');
const readme = read('README.md');
const docs = fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`);

/** The names a Markdown table documents: its rows that start with a `name` in code. */
const tableNames = (markdown: string) => [...markdown.matchAll(/^\| `(\w+)`/gm)].map((m) => m[1]);

describe('the configuration reference (docs/configuration.md, docs/environments.md)', () => {
  test('documents every setting', () => {
    const documented = tableNames(read('docs/configuration.md'));
    expect(SETTING_NAMES.filter((name) => !documented.includes(name))).toEqual([]);
  });

  test('documents every GitOps setting', () => {
    const documented = tableNames(read('docs/environments.md'));
    expect(GITOPS_SETTING_NAMES.filter((name) => !documented.includes(name))).toEqual([]);
  });

  test('no page of the README or docs/ documents a setting that does not exist', () => {
    const known = [...SETTING_NAMES, ...GITOPS_SETTING_NAMES, 'createNamespace', 'image', 'zookeeperVersion', 'classpath', 'javaPath', 'userId', 'nativePrometheusMetrics', 'logging'];
    const unknown = ['README.md', ...docs].flatMap((file) =>
      tableNames(read(file)).filter((name) => !known.includes(name as never)).map((name) => `${file}: ${name}`));
    expect(unknown).toEqual([]);
  });
});

describe('the README', () => {
  test('quotes a quick start of exactly the commands .ci/run runs', () => {
    const quickStart = /## Quick start[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)![1]
      .split('\n').map((line) => line.replace(/#.*/, '').trim()).filter(Boolean);
    const ci = read('.ci/run');
    expect(quickStart).toEqual(['npm ci && npm run synth', 'npm test']);
    // Each command starts a line of .ci/run (possibly followed by its failure handling).
    for (const command of quickStart) expect(ci).toMatch(new RegExp(`^${command.replace(/[&.|]/g, '\\$&')}( \\|\\| .*)?$`, 'm'));
  });

  test('fits on a page: at most 250 lines', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(250);
  });
});
