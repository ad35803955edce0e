// What users deploy is the committed dist/<environment>/ folder, so that is what the harness plays:
// every object of every *.k8s.yaml in it, with one change only, the image reference, which points
// at the locally built image of the same layout (quay.io is out of reach here). The unit test
// test/e2e-dist.test.ts holds the harness to that: the image is the only difference.
import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { Manifest } from './expand';

/** The tag e2e/setup.sh gives its build of an Apache ZooKeeper release (image/apache/Containerfile). */
export function localImage(version: string): string {
  return `localhost/cdk8s-zookeeper:${version}`;
}

export const LOCAL_IMAGES = {
  /** ImageProfile.upmio()'s layout and version: what dist/ deploys. */
  zookeeper384: localImage('3.8.4'),
  zookeeper394: localImage('3.9.4'),
} as const;

const ROOT = path.join(__dirname, '..');

/** Every object of every `*.k8s.yaml` of dist/<environment>, in file and document order. */
export function readDist(environment: string, root = ROOT): Manifest[] {
  const dir = path.join(root, 'dist', environment);
  const files = fs.readdirSync(dir).filter((file) => file.endsWith('.k8s.yaml')).sort();
  if (files.length === 0) throw new Error(`${dir} holds no *.k8s.yaml: run npm run synth`);
  return files.flatMap((file) => parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8'), { version: '1.1' })
    .map((doc) => doc.toJS() as Manifest)
    .filter((object) => object !== null));
}

/** The pod template's containers (init containers first) of a workload object, or none. */
function podContainers(object: Manifest): any[] {
  // A CronJob keeps its pod template one level deeper, in its Job template.
  const spec = (object.kind === 'CronJob' ? object.spec?.jobTemplate : object)?.spec?.template?.spec;
  return spec ? [...(spec.initContainers ?? []), ...(spec.containers ?? [])] : [];
}

/** A copy of `objects` where every container of every pod template runs `image`; nothing else changes. */
export function withImage(objects: Manifest[], image: string): Manifest[] {
  return objects.map((object) => {
    const copy = structuredClone(object);
    for (const container of podContainers(copy)) container.image = image;
    return copy;
  });
}

/**
 * The local build that stands in for the image of a folder's StatefulSet: the Apache release of the
 * version its pods are labelled with (`app.kubernetes.io/version`, from the image profile), so an
 * environment moved to another release is played on that release.
 */
export function standInImage(objects: Manifest[]): string {
  const sts = objects.find((object) => object.kind === 'StatefulSet');
  const version = sts?.spec?.template?.metadata?.labels?.['app.kubernetes.io/version'];
  if (typeof version !== 'string') throw new Error('the folder has no StatefulSet labelled with its ZooKeeper version');
  return localImage(version);
}

/** What the harness plays for dist/<environment>. */
export function distObjects(environment: string, root = ROOT): Manifest[] {
  const committed = readDist(environment, root);
  return withImage(committed, standInImage(committed));
}

/**
 * Every place where `b` differs from `a`, as a path (`[3].spec.template.spec.containers[0].image`),
 * for the test that the image is the only change.
 */
export function differences(a: unknown, b: unknown, at = ''): string[] {
  if (Object.is(a, b)) return [];
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return [at || '.'];
  if (Array.isArray(a) && Array.isArray(b)) {
    const length = Math.max(a.length, b.length);
    return Array.from({ length }, (_, i) => differences(a[i], b[i], `${at}[${i}]`)).flat();
  }
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.flatMap((key) => differences((a as any)[key], (b as any)[key], `${at}.${key}`));
}
