import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Environment, synthesizeEnvironments, ZooKeeperSettingsError } from '../lib';
import { refusedUpdates } from '../lib/gitops/refused-updates';

const NAMESPACE = 'zk';

function prod(settings: Record<string, unknown> = {}): Environment[] {
  return [{ name: 'prod', settings: { namespace: NAMESPACE, name: 'coord', ...settings } }];
}

/**
 * GIVEN dist/ synthesized from `first`, WHEN `second` is synthesized over it, THEN: what the
 * second run noticed, and the StatefulSet it wrote.
 */
function synthTwice(first: Environment[], second: Environment[]): { notices: string[]; written: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-refused-'));
  try {
    const dist = path.join(dir, 'dist');
    const notices: string[] = [];
    synthesizeEnvironments(first, undefined, dist, (notice) => notices.push(`first run: ${notice}`));
    synthesizeEnvironments(second, undefined, dist, (notice) => notices.push(notice));
    return { notices, written: fs.readFileSync(path.join(dist, 'prod', 'coord.k8s.yaml'), 'utf8') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('changes the API server refuses to apply in place', () => {
  test('a grown data volume is written, and the notice gives each claim to resize and the StatefulSet to re-create without its pods', () => {
    const { notices, written } = synthTwice(prod({ dataStorageGiB: 20 }), prod({ dataStorageGiB: 40 }));
    expect(written).toMatch(/storage: 40Gi/);
    expect(notices).toHaveLength(1);
    const [notice] = notices;
    expect(notice).toMatch(/prod\/coord\.k8s\.yaml: StatefulSet zk\/coord changes spec\.volumeClaimTemplates/);
    const patched = [...notice.matchAll(/kubectl -n zk patch pvc (\S+) -p '(\{.*\})'/g)].map((m) => [m[1], JSON.parse(m[2]).spec.resources.requests.storage]);
    expect(patched).toEqual([['data-coord-0', '40Gi'], ['data-coord-1', '40Gi'], ['data-coord-2', '40Gi']]);
    expect(notice).toMatch(/kubectl -n zk delete statefulset coord --cascade=orphan/);
  });

  test('both claims grown (data and transaction log): every member\'s claim of each is resized', () => {
    const { notices } = synthTwice(prod({ dataStorageGiB: 20, txnLogStorageGiB: 5 }), prod({ dataStorageGiB: 30, txnLogStorageGiB: 10 }));
    const claims = [...notices.join('\n').matchAll(/patch pvc (\S+) -p '(\{.*\})'/g)].map((m) => `${m[1]} ${JSON.parse(m[2]).spec.resources.requests.storage}`);
    expect(claims.sort()).toEqual(['data-coord-0 30Gi', 'data-coord-1 30Gi', 'data-coord-2 30Gi', 'txnlog-coord-0 10Gi', 'txnlog-coord-1 10Gi', 'txnlog-coord-2 10Gi']);
  });

  test('a smaller volume gets no resize commands: it says claims never shrink', () => {
    const { notices } = synthTwice(prod({ dataStorageGiB: 40 }), prod({ dataStorageGiB: 20 }));
    expect(notices).toHaveLength(1);
    expect(notices[0]).not.toMatch(/patch pvc/);
    expect(notices[0]).toMatch(/A claim never shrinks: the existing data claims keep their size/);
    expect(notices[0]).toMatch(/delete statefulset coord --cascade=orphan/);
  });

  test('changes Kubernetes applies in place (heap, tickTime) bring no notice, nor does a first synthesis', () => {
    expect(synthTwice(prod({ heapMiB: 512 }), prod({ heapMiB: 768, tickTime: 3000 })).notices).toEqual([]);
  });

  test('any other refused field is named, with the re-creation', () => {
    const sts = (spec: Record<string, unknown>) => ({ kind: 'StatefulSet', metadata: { name: 'coord', namespace: NAMESPACE }, spec: { replicas: 3, template: {}, ...spec } });
    const [notice, ...more] = refusedUpdates([sts({ serviceName: 'coord-peers', podManagementPolicy: 'Parallel' })],
      [sts({ serviceName: 'coord-headless', podManagementPolicy: 'Parallel', replicas: 5 })], 'dist/prod/coord.k8s.yaml');
    expect(more).toEqual([]);
    expect(notice).toMatch(/changes spec\.serviceName, which Kubernetes does not update in place/);
    expect(notice).toMatch(/kubectl -n zk delete statefulset coord --cascade=orphan/);
    expect(refusedUpdates([sts({})], [{ ...sts({}), metadata: { name: 'other', namespace: NAMESPACE }, spec: { serviceName: 'x' } }], 'f')).toEqual([]);
  });
});

describe('a change of the number of voters of a static ensemble dist/ already holds', () => {
  /** The message of the second synthesis' refusal, and the manifest the refusal left. */
  function refusedSecond(first: Environment[], second: Environment[]): { message: string; before: string; after: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-refused-'));
    try {
      const dist = path.join(dir, 'dist');
      const file = path.join(dist, 'prod', 'coord.k8s.yaml');
      synthesizeEnvironments(first, undefined, dist, () => undefined);
      const before = fs.readFileSync(file, 'utf8');
      let message = '';
      try {
        synthesizeEnvironments(second, undefined, dist, () => undefined);
      } catch (error) {
        if (!(error instanceof ZooKeeperSettingsError)) throw error;
        message = error.message;
      }
      return { message, before, after: fs.readFileSync(file, 'utf8') };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  test('1 -> 3 (by mode) is refused: the new members are a majority on their own; nothing is written', () => {
    const { message, before, after } = refusedSecond(prod({ mode: 'standalone' }), prod({ mode: 'highly-available' }));
    expect(message).toMatch(/prod: replicas: changes the voters of zk\/coord .* from 1 to 3.*are a majority of the new list on their own/);
    expect(after).toBe(before);
  });

  test('3 -> 5 is refused for a second majority; 5 -> 3 for removing the members with the newest writes', () => {
    expect(refusedSecond(prod({ replicas: 3 }), prod({ replicas: 5 })).message).toMatch(/from 3 to 5.*can form a second majority/);
    expect(refusedSecond(prod({ replicas: 5 }), prod({ replicas: 3 })).message).toMatch(/from 5 to 3.*newest acknowledged writes/);
  });

  test('observers added in cluster mode leave the voters alone: accepted', () => {
    const { notices, written } = synthTwice(prod({ mode: 'cluster', replicas: 5, observers: 0 }), prod({ mode: 'cluster', replicas: 5, observers: 2 }));
    expect(notices).toEqual([]);
    expect(written).toMatch(/name: coord-observer/);
  });
});
