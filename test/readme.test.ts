import * as fs from 'fs';
import * as path from 'path';
import { GITOPS_SETTING_NAMES, SETTING_NAMES } from '../lib';

const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');

describe('the README', () => {
  const documented = [...readme.matchAll(/^\| `(\w+)`/gm)].map((m) => m[1]);

  test('documents every setting in its configuration reference', () => {
    expect(SETTING_NAMES.filter((name) => !documented.includes(name))).toEqual([]);
  });

  test('documents every GitOps setting', () => {
    expect(GITOPS_SETTING_NAMES.filter((name) => !documented.includes(name))).toEqual([]);
  });

  test('documents no setting that does not exist', () => {
    const known = [...SETTING_NAMES, ...GITOPS_SETTING_NAMES, 'createNamespace', 'image', 'zookeeperVersion', 'classpath', 'javaPath', 'userId', 'nativePrometheusMetrics', 'logging'];
    expect(documented.filter((name) => !known.includes(name as never))).toEqual([]);
  });

  test('quotes a quick start of exactly the commands .ci/run runs', () => {
    const quickStart = /## Quick start[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)![1]
      .split('\n').map((line) => line.replace(/#.*/, '').trim()).filter(Boolean);
    const ci = fs.readFileSync(path.join(__dirname, '..', '.ci', 'run'), 'utf8');
    expect(quickStart).toEqual(['npm ci && npm run synth', 'npm test']);
    // Each command starts a line of .ci/run (possibly followed by its failure handling).
    for (const command of quickStart) expect(ci).toMatch(new RegExp(`^${command.replace(/[&.|]/g, '\\$&')}( \\|\\| .*)?$`, 'm'));
  });
});
