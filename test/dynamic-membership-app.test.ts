/**
 * membership 'dynamic' in the environments app: the bootstrap list is fixed at the ensemble's birth,
 * the committed dist/ checks that the environment says so (it never fills it in: dist/ follows from
 * the environment files alone), a change of replicas is then safe (a static one is refused), and a committed
 * dynamic ensemble cannot be synthesized back to static. Fixtures only: every run writes into a
 * folder of its own.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Yaml } from 'cdk8s';
import { Environment, synthesizeEnvironments, ZooKeeperSettingsError } from '../lib';

const prod = (settings: Record<string, unknown>): Environment[] => [{ name: 'prod', settings: { namespace: 'zk', name: 'coord', ...settings } }];

let dist: string;
beforeEach(() => { dist = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'zk-dynamic-')), 'dist'); });
afterEach(() => { fs.rmSync(path.dirname(dist), { recursive: true, force: true }); });

/** Synthesizes into the test's dist/; the notices of this run, and the manifest it leaves. */
function synth(environments: Environment[]) {
  const notices: string[] = [];
  synthesizeEnvironments(environments, undefined, dist, (notice) => notices.push(notice));
  const file = path.join(dist, 'prod', 'coord.k8s.yaml');
  const objects = Yaml.load(file) as any[];
  const one = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
  return {
    notices,
    text: fs.readFileSync(file, 'utf8'),
    bootstrap: (one('ConfigMap', 'coord-config').data['zoo.cfg.dynamic.bootstrap'] as string | undefined)?.trim().split('\n'),
    statefulSet: one('StatefulSet', 'coord'),
  };
}

function refusal(environments: Environment[]): string {
  try {
    synthesizeEnvironments(environments, undefined, dist, () => undefined);
  } catch (error) {
    if (error instanceof ZooKeeperSettingsError) return error.message;
    throw error;
  }
  throw new Error('the synthesis was accepted');
}

describe('the bootstrap list of a dynamic ensemble, checked against the committed dist/', () => {
  test('born with 3 voters, scaled to 5 then 7 with bootstrapVoters 3: the list keeps 3 servers, no pod template changes, and no warning is given', () => {
    const born = synth(prod({ membership: 'dynamic', replicas: 3 }));
    expect(born.bootstrap).toHaveLength(3);
    for (const replicas of [5, 7]) {
      const scaled = synth(prod({ membership: 'dynamic', replicas, bootstrapVoters: 3 }));
      expect(scaled.notices).toEqual([]);
      expect(scaled.bootstrap).toEqual(born.bootstrap);
      expect(scaled.statefulSet.spec.replicas).toBe(replicas);
      expect(scaled.statefulSet.spec.template).toEqual(born.statefulSet.spec.template);
    }
  });

  test('replicas changed without bootstrapVoters is refused, naming the setting and the value to write, and dist/ stays as it was', () => {
    const before = synth(prod({ membership: 'dynamic', replicas: 3 })).text;
    expect(refusal(prod({ membership: 'dynamic', replicas: 5 }))).toMatch(
      /prod: bootstrapVoters: is left out, so it follows replicas \(5\), but the ensemble of .*coord\.k8s\.yaml was born with 3 voters.*add `bootstrapVoters: 3`/);
    expect(fs.readFileSync(path.join(dist, 'prod', 'coord.k8s.yaml'), 'utf8')).toBe(before);
  });

  test('the files follow from the settings alone: a synthesis without dist/ writes what one over the committed dist/ writes', () => {
    synth(prod({ membership: 'dynamic', replicas: 3 }));
    const over = synth(prod({ membership: 'dynamic', replicas: 5, bootstrapVoters: 3 })).text;
    fs.rmSync(dist, { recursive: true });
    expect(synth(prod({ membership: 'dynamic', replicas: 5, bootstrapVoters: 3 })).text).toBe(over);
  });

  test('a static ensemble switched to dynamic with its replicas bootstraps from its voters; later, bootstrapVoters keeps them', () => {
    synth(prod({ replicas: 5 }));
    const switched = synth(prod({ membership: 'dynamic', replicas: 5 }));
    expect(switched.notices).toEqual([]);
    expect(switched.bootstrap).toHaveLength(5);
    expect(synth(prod({ membership: 'dynamic', replicas: 3, bootstrapVoters: 5 })).bootstrap).toHaveLength(5);
  });

  test('a static ensemble with observers is not switched: their server ids would change under their volumes', () => {
    const before = synth(prod({ mode: 'cluster', replicas: 5, observers: 2 })).text;
    expect(refusal(prod({ membership: 'dynamic', mode: 'cluster', replicas: 5, observers: 2 }))).toMatch(
      /prod: membership: .*coord\.k8s\.yaml has observers \(StatefulSet coord-observer\) under a static membership/);
    expect(fs.readFileSync(path.join(dist, 'prod', 'coord.k8s.yaml'), 'utf8')).toBe(before);
    // Born dynamic, observers come and go.
    fs.rmSync(dist, { recursive: true });
    synth(prod({ membership: 'dynamic', mode: 'cluster', replicas: 5 }));
    expect(synth(prod({ membership: 'dynamic', mode: 'cluster', replicas: 5, bootstrapVoters: 5, observers: 2 })).notices).toEqual([]);
  });

  test('a first synthesis bootstraps from replicas', () => {
    expect(synth(prod({ membership: 'dynamic', replicas: 5 })).bootstrap).toHaveLength(5);
  });

  test('the same settings over the same dist/ give the same files, byte for byte', () => {
    synth(prod({ membership: 'dynamic', replicas: 3 }));
    const first = synth(prod({ membership: 'dynamic', replicas: 5, bootstrapVoters: 3 })).text;
    expect(synth(prod({ membership: 'dynamic', replicas: 5, bootstrapVoters: 3 })).text).toBe(first);
  });

  test('a bootstrapVoters that contradicts the committed list is refused, and dist/ stays as it was', () => {
    const before = synth(prod({ membership: 'dynamic', replicas: 3 })).text;
    expect(refusal(prod({ membership: 'dynamic', replicas: 5, bootstrapVoters: 5 }))).toMatch(/prod: bootstrapVoters: is 5, but the ensemble of .*coord\.k8s\.yaml was born with 3 voters/);
    expect(fs.readFileSync(path.join(dist, 'prod', 'coord.k8s.yaml'), 'utf8')).toBe(before);
  });
});

describe('a change of the number of voters, by membership', () => {
  test('static: refused, naming replicas and the safe path through membership dynamic, and dist/ stays as it was', () => {
    const before = synth(prod({ replicas: 3 })).text;
    const message = refusal(prod({ replicas: 5 }));
    expect(message).toMatch(/prod: replicas: changes the voters of zk\/coord in .*coord\.k8s\.yaml from 3 to 5.*can form a second majority/);
    expect(message).toMatch(/The safe path: set membership: 'dynamic' with replicas at 3/);
    expect(message).toMatch(/delete .*dist\/prod\/ and synthesize again/);
    expect(fs.readFileSync(path.join(dist, 'prod', 'coord.k8s.yaml'), 'utf8')).toBe(before);
  });

  test('the path the refusal names works: the switch at the same replicas, then the change, each accepted without a notice', () => {
    synth(prod({ replicas: 3 }));
    expect(synth(prod({ membership: 'dynamic', replicas: 3 })).notices).toEqual([]);
    const scaled = synth(prod({ membership: 'dynamic', replicas: 5, bootstrapVoters: 3 }));
    expect(scaled.notices).toEqual([]);
    expect(scaled.statefulSet.spec.replicas).toBe(5);
  });

  test('a static ensemble synthesized anew, without its dist/ folder, takes any size', () => {
    synth(prod({ replicas: 3 }));
    fs.rmSync(path.join(dist, 'prod'), { recursive: true });
    expect(synth(prod({ replicas: 5 })).statefulSet.spec.replicas).toBe(5);
  });

  test('switching to dynamic and changing replicas in one run: bootstrapVoters must say the static voters, then the change is refused until the switch is done', () => {
    const before = synth(prod({ replicas: 3 })).text;
    expect(refusal(prod({ membership: 'dynamic', replicas: 5 }))).toMatch(/prod: bootstrapVoters: .*add `bootstrapVoters: 3`/);
    expect(refusal(prod({ membership: 'dynamic', replicas: 5, bootstrapVoters: 3 }))).toMatch(
      /prod: replicas: changes the voters .* from 3 to 5 in the same run that switches the ensemble to membership 'dynamic'.*Switch with replicas at 3/);
    expect(fs.readFileSync(path.join(dist, 'prod', 'coord.k8s.yaml'), 'utf8')).toBe(before);
  });
});

describe('leaving a committed dynamic membership', () => {
  test.each([[{}], [{ membership: 'static' }]])('is refused with %j, naming the setting and the file, and dist/ stays as it was', (settings) => {
    const before = synth(prod({ membership: 'dynamic', replicas: 3 })).text;
    const message = refusal(prod({ replicas: 3, ...settings }));
    expect(message).toMatch(/prod: membership: .*coord\.k8s\.yaml runs membership 'dynamic', which cannot go back to 'static'/);
    expect(fs.readFileSync(path.join(dist, 'prod', 'coord.k8s.yaml'), 'utf8')).toBe(before);
  });

  test('a mistyped membership is reported by the settings check, with the values allowed', () => {
    synth(prod({ membership: 'dynamic', replicas: 3 }));
    expect(refusal(prod({ membership: 'dynamc' }))).toMatch(/prod: membership: must be one of 'static', 'dynamic' \(got "dynamc"\)/);
  });
});
