import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { ARGOCD_FOLDER } from '../lib';
import { environments, gitops } from '../main';
import { DIST, objectsOfTree, readTree, ROOT, synthDefaultApp } from './support/default-app';

describe('the default app', () => {
  const files = synthDefaultApp();

  test('matches the snapshot', () => {
    expect(files).toMatchSnapshot();
  });

  test('synthesizes byte-identical output every time', () => {
    expect(synthDefaultApp()).toEqual(files);
  });

  test('is exactly what dist/ holds, with no extra files', () => {
    expect(readTree(DIST)).toEqual(files);
  });

  test('gives every environment file its own folder, each with its manifests and a kustomization, plus one Application each', () => {
    const names = fs.readdirSync(path.join(ROOT, 'environments')).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, '')).sort();
    expect(environments().map((e) => e.name)).toEqual(names);
    expect(names).toEqual(['dev', 'prod']);
    expect(Object.keys(files)).toEqual([
      ...names.map((env) => `${ARGOCD_FOLDER}/${env}.k8s.yaml`),
      ...names.flatMap((env) => [`${env}/kustomization.yaml`, `${env}/zookeeper.k8s.yaml`]),
    ]);
  });

  test('dev is one standalone member and prod three voters, each in its own namespace', () => {
    const sets = Object.fromEntries(['dev', 'prod'].map((env) => {
      const objects = objectsOfTree({ [`${env}/zookeeper.k8s.yaml`]: files[`${env}/zookeeper.k8s.yaml`] });
      return [env, objects.find((o) => o.kind === 'StatefulSet')];
    }));
    expect(sets.dev.spec.replicas).toBe(1);
    expect(sets.dev.metadata.namespace).toBe('zookeeper-dev');
    expect(sets.prod.spec.replicas).toBe(3);
    expect(sets.prod.metadata.namespace).toBe('zookeeper');
  });

  test.each(['dev', 'prod'])('%s creates its Namespace before any object that lives in it, so `kubectl apply -f` on its folder works on an empty cluster', (env) => {
    const kinds = files[`${env}/zookeeper.k8s.yaml`].split('\n---\n').map((doc) => /^kind: (\S+)$/m.exec(doc)?.[1]);
    expect(kinds[0]).toBe('Namespace');
    expect(kinds.slice(1)).not.toContain('Namespace');
    expect(kinds).toEqual(expect.arrayContaining(['ServiceAccount', 'ConfigMap', 'Service', 'StatefulSet']));
  });

  test('each Application reads its own environment folder and syncs automatically only where gitops says so', () => {
    for (const env of ['dev', 'prod']) {
      const app = parse(files[`${ARGOCD_FOLDER}/${env}.k8s.yaml`]);
      expect(app.spec.source.path).toBe(`dist/${env}`);
      expect(app.spec.source.repoURL).toBe(gitops.repoURL);
      expect(app.spec.syncPolicy.automated !== undefined).toBe(gitops.automatedSync?.includes(env));
    }
  });
});

describe('`npm run synth` with a mistake in an environment file', () => {
  test('exits 1 naming the file, line and setting, and leaves dist/ byte-for-byte as it was', () => {
    // GIVEN a copy of the project whose prod.yaml asks for an even number of voters, and a dist/ from before
    const work = fs.mkdtempSync(path.join(ROOT, '.synth-cli-test-'));
    try {
      for (const link of ['lib', 'imports', 'node_modules', 'package.json']) fs.symlinkSync(path.join(ROOT, link), path.join(work, link));
      fs.copyFileSync(path.join(ROOT, 'main.ts'), path.join(work, 'main.ts'));
      fs.cpSync(path.join(ROOT, 'environments'), path.join(work, 'environments'), { recursive: true });
      fs.appendFileSync(path.join(work, 'environments', 'prod.yaml'), 'replicas: 4\n');
      const line = fs.readFileSync(path.join(work, 'environments', 'prod.yaml'), 'utf8').trimEnd().split('\n').length;
      fs.cpSync(DIST, path.join(work, 'dist'), { recursive: true });
      // WHEN the synth script runs there
      const result = spawnSync('node', ['--import', 'tsx', 'main.ts'], { cwd: work, encoding: 'utf8', timeout: 60_000 });
      // THEN it fails with the located message, and dist/ is untouched
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(`environments/prod.yaml:${line}: replicas: must be odd`);
      expect(result.stderr).toContain('Nothing was written');
      expect(readTree(path.join(work, 'dist'))).toEqual(readTree(DIST));
      expect(fs.readdirSync(work).filter((f) => f.startsWith('.synth-'))).toEqual([]);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
});
