/**
 * The e2e harness plays what users deploy: the committed dist/<environment> objects of every
 * environment of the app, with the image reference as the only change (e2e/dist.ts).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { differences, distObjects, LOCAL_IMAGES, localImage, readDist, standInImage, withImage } from '../e2e/dist';
import { expandStatefulSet } from '../e2e/expand';

/** A container's image in a pod template, a Job's or a CronJob's (one level deeper, in its Job template). */
const imagePath = /^\[\d+\]\.spec(\.jobTemplate\.spec)?\.template\.spec\.(initContainers|containers)\[\d+\]\.image$/;
const templateOf = (o: any) => (o.kind === 'CronJob' ? o.spec.jobTemplate : o).spec?.template;

/** The app's environments are the user's: whatever folders the committed dist/ holds. */
const ENVIRONMENT_FOLDERS = fs.readdirSync(path.join(__dirname, '..', 'dist'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && entry.name !== 'argocd').map((entry) => entry.name).sort();

describe.each(ENVIRONMENT_FOLDERS)('what the harness plays for dist/%s', (environment) => {
  const committed = readDist(environment);
  const played = distObjects(environment);
  const [committedSts] = committed.filter((o) => o.kind === 'StatefulSet');

  test('differs from the committed files only in the image reference, which is the local build', () => {
    const changed = differences(committed, played);
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.filter((at) => !imagePath.test(at))).toEqual([]);
    for (const at of changed) {
      const [, index, list, container] = /^\[(\d+)\]\.spec(?:\.jobTemplate\.spec)?\.template\.spec\.(\w+)\[(\d+)\]/.exec(at)!;
      expect(templateOf(played[Number(index)]).spec[list][Number(container)].image).toBe(standInImage(committed));
    }
  });

  test('replaces the one image users pull with the local build of the release the pods are labelled with', () => {
    const images = new Set(committed.flatMap((o) => {
      const spec = templateOf(o)?.spec;
      return spec ? [...(spec.initContainers ?? []), ...spec.containers].map((c: any) => c.image) : [];
    }));
    expect(images.size).toBe(1);
    expect(images.has(standInImage(committed))).toBe(false);
    // Every pod the harness may run, the backup CronJob's and Job's too, runs the local build.
    const playedContainers = played.flatMap((o) => (templateOf(o)?.spec ? [...(templateOf(o).spec.initContainers ?? []), ...templateOf(o).spec.containers] : []));
    expect(new Set(playedContainers.map((c: any) => c.image))).toEqual(new Set([standInImage(committed)]));
    expect(standInImage(committed)).toBe(localImage(committedSts.spec.template.metadata.labels['app.kubernetes.io/version']));
  });

  test('holds every object of the folder, the StatefulSet and the ConfigMaps it mounts among them', () => {
    const kinds = new Set(played.map((o) => o.kind));
    expect(kinds).toEqual(new Set(committed.map((o) => o.kind)));
    const [sts] = played.filter((o) => o.kind === 'StatefulSet');
    const mounted = sts.spec.template.spec.volumes.filter((v: any) => v.configMap).map((v: any) => v.configMap.name);
    const configMaps = played.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.name);
    expect(configMaps).toEqual(expect.arrayContaining(mounted));
    const pods = expandStatefulSet(played, sts.metadata.name, 'cluster.local');
    expect(pods).toHaveLength(committedSts.spec.replicas);
    expect(pods.every((p) => p.pod.spec.containers[0].image === standInImage(committed))).toBe(true);
  });
});

describe('reading a dist folder', () => {
  test('the default profile is played on the local 3.8.4 build', () => {
    const sts = { kind: 'StatefulSet', spec: { template: { metadata: { labels: { 'app.kubernetes.io/version': '3.8.4' } } } } };
    expect(standInImage([sts as any])).toBe(LOCAL_IMAGES.zookeeper384);
    expect(() => standInImage([])).toThrow(/no StatefulSet/);
  });

  test('reads every *.k8s.yaml in it, so a split-out file (e.g. monitoring) is played too', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-dist-'));
    try {
      fs.mkdirSync(path.join(root, 'dist', 'x'), { recursive: true });
      fs.writeFileSync(path.join(root, 'dist', 'x', 'zookeeper.k8s.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n');
      fs.writeFileSync(path.join(root, 'dist', 'x', 'monitoring.k8s.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: c\n');
      fs.writeFileSync(path.join(root, 'dist', 'x', 'kustomization.yaml'), 'resources: []\n');
      expect(readDist('x', root).map((o) => o.metadata.name).sort()).toEqual(['a', 'b', 'c']);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test('the comparison sees a change anywhere, not only in images', () => {
    const committed = readDist(ENVIRONMENT_FOLDERS[0]);
    const tampered = withImage(committed, LOCAL_IMAGES.zookeeper384);
    tampered.find((o) => o.kind === 'StatefulSet')!.spec.template.spec.containers[0].env.pop();
    expect(differences(committed, tampered).filter((at) => !imagePath.test(at))).toEqual([expect.stringContaining('.env[')]);
  });
});
