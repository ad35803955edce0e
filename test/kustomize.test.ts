import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { DIST, objectsOfTree, readTree } from './support/default-app';
import { requireKubectl } from './support/tools';

// The real kubectl (1.34, with kustomize 5.7) over the committed dist/: what a team layering
// patches on an environment gets.
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
  test('every environment has a kustomization', () => {
    expect(ENVIRONMENTS.sort()).toEqual(['dev', 'prod']);
  });

  test.each(ENVIRONMENTS)('%s renders exactly the objects of its manifests, unchanged', (env) => {
    const manifests = objectsOfTree(Object.fromEntries(Object.entries(tree).filter(([f]) => f.startsWith(`${env}/`))));
    const rendered = kustomize(path.join(DIST, env));
    expect(rendered).toHaveLength(manifests.length);
    expect(byIdentity(rendered)).toEqual(byIdentity(manifests));
  });

  test('an overlay elsewhere in the repository can patch prod: the patch lands and everything else stays', () => {
    // GIVEN an overlay that uses dist/prod as its base and patches the StatefulSet's memory limit and adds a label
    const overlay = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-overlay-'));
    try {
      fs.writeFileSync(path.join(overlay, 'kustomization.yaml'), [
        'apiVersion: kustomize.config.k8s.io/v1beta1',
        'kind: Kustomization',
        'resources:',
        `  - ${path.relative(overlay, path.join(DIST, 'prod'))}`,
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
      const base = byIdentity(kustomize(path.join(DIST, 'prod')));
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
      fs.rmSync(overlay, { recursive: true, force: true });
    }
  });
});
