/**
 * Tolerations are checked as the API server checks them, from TypeScript and from environment
 * files alike: a toleration is never wider than written, and one the API would refuse is refused
 * at synth time with the field that is wrong.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { resolveEnsemble, ZooKeeperEnsembleProps, ZooKeeperSettingsError } from '../lib';
import { EnvironmentFileError, readEnvironmentFile } from '../lib/environments/environment-file';
import { synthEnsemble } from './support/synth';

function issuesOf(tolerations: unknown) {
  try {
    resolveEnsemble({ tolerations } as ZooKeeperEnsembleProps, 'zk');
  } catch (error) {
    if (error instanceof ZooKeeperSettingsError) return error.issues;
    throw error;
  }
  throw new Error(`tolerations were accepted: ${JSON.stringify(tolerations)}`);
}

describe('valid tolerations', () => {
  test('reach every member\'s pod exactly as written, with no field added or dropped', () => {
    const tolerations = [
      { key: 'dedicated', operator: 'Equal', value: 'zookeeper', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 },
      { key: 'spot', value: 'true' },
      { operator: 'Exists' },
    ];
    const synth = synthEnsemble({ tolerations } as ZooKeeperEnsembleProps);
    expect(synth.podSpec.tolerations).toEqual(tolerations);
  });
});

// [what is wrong, tolerations, the setting the message must name, what the message must say]
const BAD_TOLERATIONS: [string, unknown, string, RegExp][] = [
  ['a misspelt field, which the API would drop', [{ keyy: 'dedicated', operator: 'Exists' }], 'tolerations[0].keyy', /is not a setting \(did you mean 'key'\?\)/],
  ['an unknown effect', [{ key: 'a', effect: 'NoSchedulee' }], 'tolerations[0].effect', /one of 'NoSchedule', 'PreferNoSchedule', 'NoExecute' \(got "NoSchedulee"\)/],
  ['an operator of node affinity', [{ key: 'a', operator: 'In' }], 'tolerations[0].operator', /one of 'Equal', 'Exists' \(got "In"\)/],
  ['a value with operator Exists', [{ key: 'a', operator: 'Exists', value: 'x' }], 'tolerations[0].value', /must be left out with operator 'Exists'/],
  ['no key with operator Equal', [{ value: 'x', effect: 'NoSchedule' }], 'tolerations[0].key', /is required with operator 'Equal'/],
  ['tolerationSeconds without NoExecute', [{ key: 'a', effect: 'NoSchedule', tolerationSeconds: 60 }], 'tolerations[0].tolerationSeconds', /needs effect 'NoExecute'/],
  ['negative tolerationSeconds', [{ key: 'a', effect: 'NoExecute', tolerationSeconds: -1 }], 'tolerations[0].tolerationSeconds', /whole number from 0/],
  ['a key that is no label key', [{ key: 'my key', operator: 'Exists' }], 'tolerations[0].key', /not a valid key/],
  ['a value that is no label value', [{ key: 'a', value: 'two words' }], 'tolerations[0].value', /label value/],
  ['an entry that is not an object', ['dedicated'], 'tolerations[0]', /must be an object with any of key, operator, value, effect, tolerationSeconds/],
  ['a map instead of a list', { key: 'a' }, 'tolerations', /must be a list of objects/],
];

describe('invalid tolerations', () => {
  test.each(BAD_TOLERATIONS)('%s is rejected with a message naming the field', (_what, tolerations, setting, message) => {
    expect(issuesOf(tolerations)).toContainEqual({ setting, message: expect.stringMatching(message) });
  });

  test('an invalid operator or effect is the only issue: the checks that depend on it are not judged by a default', () => {
    expect(issuesOf([{ operator: 'In', effect: 'NoExecute' }]).map((i) => i.setting)).toEqual(['tolerations[0].operator']);
    expect(issuesOf([{ key: 'a', effect: 'Evict', tolerationSeconds: 30 }]).map((i) => i.setting)).toEqual(['tolerations[0].effect']);
  });

  test('the second toleration\'s problems are named by its index, and a valid first one by none', () => {
    const issues = issuesOf([{ key: 'a', operator: 'Exists' }, { key: 'b', operator: 'Exists', value: 'x', effect: 'Never' }]);
    expect(issues.map((i) => i.setting).sort()).toEqual(['tolerations[1].effect', 'tolerations[1].value']);
  });

  test('in an environment file, each problem points at the line of the field', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-tolerations-'));
    try {
      const file = path.join(dir, 'prod.yaml');
      fs.writeFileSync(file, [
        '# the production ensemble',
        'namespace: zk',
        'tolerations:',
        '  - key: dedicated',
        '    operator: Equal',
        '    value: zookeeper',
        '  - keyy: spot',
        '    operator: Exists',
        '    effect: NoSchedulee',
        '',
      ].join('\n'));
      let issues: readonly unknown[] = [];
      try {
        readEnvironmentFile(file);
      } catch (error) {
        if (!(error instanceof EnvironmentFileError)) throw error;
        issues = error.issues;
      }
      expect(issues).toEqual([
        { file, line: 7, setting: 'tolerations[1].keyy', message: expect.stringMatching(/is not a setting/) },
        { file, line: 9, setting: 'tolerations[1].effect', message: expect.stringMatching(/one of 'NoSchedule'/) },
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
