import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { DIST, fixtureApp, folderOf, objectsOfTree, readTree, synthAppInto, userApp } from './support/default-app';
import { requireKubectl } from './support/tools';

// The real kubectl (1.34, with kustomize 5.7) over the committed dist/, whatever environments the
// user has, and over the fixture app: what a team layering patches on an environment gets.
const kubectl = requireKubectl();
const tree = readTree(DIST);
const ENVIRONMENTS = [...new Set(Object.keys(tree).filter((f) => f.endsWith('/kustomization.yaml')).map((f) => f.split('/')[0]))];

function kustomize(dir: string): any[] {
  const out = execFileSync(kubectl, ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
  return parseAllDocuments(out).map((d) => d.toJS()).filter((o) => o !== null);
}

/** Objects keyed by kind/namespace/name, so order does not matter (kustomize sorts by kind). */
const byIdentity = (objects: any[]) => Object.fromEntries(objects.map((o) => [`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, o]));

describe('kubectl kustomize over each environment folder', () => {
  test('every environment of the user\'s app has a kustomization', () => {
    expect(ENVIRONMENTS.sort()).toEqual(userApp().environments.map((e) => e.name).sort());
  });

  test.each(ENVIRONMENTS)('%s renders exactly the objects of its manifests, unchanged, but the post-deploy check\'s hook Job', (env) => {
    const folder = folderOf(tree, env);
    const isCheck = (file: string) => file.endsWith('.post-deploy-check.k8s.yaml');
    const manifests = objectsOfTree(Object.fromEntries(Object.entries(folder).filter(([file]) => !isCheck(file))));
    const rendered = kustomize(path.join(DIST, env));
    expect(rendered).toHaveLength(manifests.length);
    expect(byIdentity(rendered)).toEqual(byIdentity(manifests));
    // `kubectl apply -k` would start the check before the members are ready, and fail on the next
    // apply (a Job's pod template is immutable): Argo CD alone reads that file, as a PostSync hook.
    const hooks = objectsOfTree(Object.fromEntries(Object.entries(folder).filter(([file]) => isCheck(file))));
    expect(hooks.map((o) => o.kind)).toEqual(['Job']);
    // The one Job kubectl applies is the roll's, there exactly when the roll Job replaces the
    // voters' pods (their StatefulSet is OnDelete: more than one voter): it is named by its pod
    // template, so an unchanged template re-applies it as it is (docs/rolling.md).
    const voters = rendered.find((o) => o.kind === 'StatefulSet' && o.metadata.labels['app.kubernetes.io/component'] === 'server');
    const rolledByJob = voters.spec.updateStrategy.type === 'OnDelete';
    expect(rendered.filter((o) => o.kind === 'Job').map((o) => o.metadata.labels['app.kubernetes.io/component'])).toEqual(rolledByJob ? ['roll'] : []);
  });

  test('an overlay elsewhere in the repository can patch an environment: the patch lands and everything else stays', () => {
    // GIVEN the fixture app synthesized, and an overlay that uses its prod folder as its base, patches the StatefulSet's memory limit and adds a label
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-overlay-'));
    try {
      const dist = synthAppInto(fixtureApp(), work);
      const overlay = path.join(work, 'overlay');
      fs.mkdirSync(overlay);
      fs.writeFileSync(path.join(overlay, 'kustomization.yaml'), [
        'apiVersion: kustomize.config.k8s.io/v1beta1',
        'kind: Kustomization',
        'resources:',
        `  - ${path.relative(overlay, path.join(dist, 'prod'))}`,
        'labels:',
        '  - pairs:',
        '      team.example.com/owner: platform',
        'patches:',
        '  - target: { kind: StatefulSet, name: zookeeper }',
        '    patch: |-',
        '      - op: replace',
        '        path: /spec/template/spec/containers/0/resources/limits/memory',
        '        value: 4Gi',
        '',
      ].join('\n'));
      // WHEN kubectl renders it
      const base = byIdentity(kustomize(path.join(dist, 'prod')));
      const patched = byIdentity(kustomize(overlay));
      // THEN the patch and the label are applied, and no object was added, lost or otherwise changed
      expect(Object.keys(patched).sort()).toEqual(Object.keys(base).sort());
      const sts = patched['StatefulSet/zookeeper/zookeeper'];
      expect(sts.spec.template.spec.containers[0].resources.limits.memory).toBe('4Gi');
      expect(base['StatefulSet/zookeeper/zookeeper'].spec.template.spec.containers[0].resources.limits.memory).not.toBe('4Gi');
      for (const [id, object] of Object.entries(patched)) {
        expect(object.metadata.labels['team.example.com/owner']).toBe('platform');
        const { labels, ...restOfMetadata } = object.metadata;
        const { labels: baseLabels, ...restOfBaseMetadata } = base[id].metadata;
        expect(restOfMetadata).toEqual(restOfBaseMetadata);
        expect(labels).toEqual({ ...baseLabels, 'team.example.com/owner': 'platform' });
      }
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
});
