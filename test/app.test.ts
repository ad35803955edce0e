import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { ARGOCD_FOLDER } from '../lib';
import { AppDefinition, DIST, fixtureApp, folderOf, objectsOfTree, readTree, ROOT, synthApp, synthUserApp, userApp } from './support/default-app';

/** The kinds of each document of a manifest, in file order. */
const kindsOf = (manifest: string) => manifest.split('\n---\n').map((doc) => /^kind: (\S+)$/m.exec(doc)?.[1]);

/** Checks that hold for any app: the layout, the Namespace first, one Application per environment. */
function describeLayout(what: string, define: () => AppDefinition) {
  describe(`${what}: properties of any set of environments`, () => {
    const app = define();
    const names = app.environments.map((e) => e.name);
    const files = synthApp(app);

    test('synthesizes byte-identical output every time', () => {
      expect(synthApp(define())).toEqual(files);
    });

    test('gives every environment its own folder with its manifests and a kustomization, plus one Application each, and nothing else', () => {
      const folders = [...new Set(Object.keys(files).map((file) => file.split('/')[0]))].sort();
      expect(folders).toEqual([...(app.gitops ? [ARGOCD_FOLDER] : []), ...names].sort());
      for (const env of names) {
        const own = Object.keys(folderOf(files, env));
        expect(own).toContain(`${env}/kustomization.yaml`);
        expect(own.filter((file) => file.endsWith('.k8s.yaml')).length).toBeGreaterThan(0);
      }
      if (app.gitops) expect(Object.keys(folderOf(files, ARGOCD_FOLDER))).toEqual(names.map((env) => `${ARGOCD_FOLDER}/${env}.k8s.yaml`).sort());
    });

    test('every environment creates its Namespace before any object that lives in it, so `kubectl apply -f` on its folder works on an empty cluster', () => {
      for (const env of names) {
        // kubectl reads a folder's files in name order.
        const manifests = Object.entries(folderOf(files, env)).filter(([file]) => file.endsWith('.k8s.yaml')).map(([, text]) => text);
        const kinds = manifests.flatMap(kindsOf);
        expect({ env, first: kinds[0] }).toEqual({ env, first: 'Namespace' });
        expect(kinds.slice(1)).not.toContain('Namespace');
        expect(kinds).toEqual(expect.arrayContaining(['ServiceAccount', 'ConfigMap', 'Service', 'StatefulSet']));
      }
    });

    test('each environment\'s objects live in its one namespace, which its Application deploys to', () => {
      for (const env of names) {
        const objects = objectsOfTree(folderOf(files, env));
        const namespace = objects.find((o) => o.kind === 'Namespace').metadata.name;
        expect(objects.filter((o) => o.kind !== 'Namespace' && o.metadata.namespace !== namespace)).toEqual([]);
        if (app.gitops) expect(parse(files[`${ARGOCD_FOLDER}/${env}.k8s.yaml`]).spec.destination.namespace).toBe(namespace);
      }
    });

    test('each Application reads its own environment folder and syncs automatically only where gitops says so', () => {
      if (!app.gitops) return;
      for (const env of names) {
        const application = parse(files[`${ARGOCD_FOLDER}/${env}.k8s.yaml`]);
        expect(application.spec.source.path).toBe(`${app.gitops.distPath ?? 'dist'}/${env}`);
        expect(application.spec.source.repoURL).toBe(app.gitops.repoURL);
        expect(application.spec.syncPolicy.automated !== undefined).toBe(app.gitops.automatedSync?.includes(env) ?? false);
      }
    });
  });
}

describeLayout('the user\'s app (main.ts and environments/)', userApp);
describeLayout('the fixture app (test/fixtures/app/)', fixtureApp);

describe('the user\'s app and dist/', () => {
  test('dist/ is exactly what main.ts synthesizes, with no extra files', () => {
    expect(readTree(DIST)).toEqual(synthUserApp());
  });

  test('every environments/*.yaml file is an environment of the app (main.ts may add more)', () => {
    const files = fs.readdirSync(path.join(ROOT, 'environments')).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, ''));
    expect(userApp().environments.map((e) => e.name)).toEqual(expect.arrayContaining(files));
  });
});

describe('the fixture app, pinned', () => {
  const files = synthApp(fixtureApp());

  test('matches the snapshot', () => {
    expect(files).toMatchSnapshot();
  });

  test('dev is one standalone member, prod three voters and secure three voters with TLS, each in its own namespace', () => {
    const sets = Object.fromEntries(['dev', 'prod', 'secure'].map((env) => [env, objectsOfTree(folderOf(files, env)).find((o) => o.kind === 'StatefulSet')]));
    expect([sets.dev.spec.replicas, sets.dev.metadata.namespace]).toEqual([1, 'zookeeper-dev']);
    expect([sets.prod.spec.replicas, sets.prod.metadata.namespace]).toEqual([3, 'zookeeper']);
    expect([sets.secure.spec.replicas, sets.secure.metadata.namespace]).toEqual([3, 'zookeeper-secure']);
  });
});
