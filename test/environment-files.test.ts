/**
 * Environments described in YAML files (environments/<name>.yaml) take the same settings as
 * TypeScript and get the same validation; a mistake is reported with the file and the line to fix.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AntiAffinity, ImageProfile, PrometheusMonitor } from '../lib';
import { EnvironmentFileError, readEnvironmentFile, readEnvironmentFiles } from '../lib/environments/environment-file';

let dir: string;
beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-env-')); });
afterEach(() => { fs.rmSync(dir, { recursive: true, force: true }); });

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

function issuesOf(file: string) {
  try {
    readEnvironmentFile(file);
  } catch (error) {
    if (error instanceof EnvironmentFileError) return error.issues;
    throw error;
  }
  throw new Error(`${file} was accepted`);
}

describe('a valid environment file', () => {
  test('gives the same settings a TypeScript environment would, image profiles included', () => {
    const file = write('prod.yaml', [
      'namespace: zk-prod',
      'replicas: 5',
      'antiAffinity: preferred',
      'prometheusMonitor: PodMonitor',
      'image: { profile: upmio, reference: registry.example.com/zookeeper:3.8.4 }',
      'alertThresholds:',
      '  elections: 2',
      'labels:',
      '  team: platform',
    ].join('\n'));
    const env = readEnvironmentFile(file);
    expect(env.name).toBe('prod');
    expect(env.settings).toMatchObject({
      namespace: 'zk-prod', replicas: 5, antiAffinity: AntiAffinity.PREFERRED, prometheusMonitor: PrometheusMonitor.POD_MONITOR,
      alertThresholds: { elections: 2 }, labels: { team: 'platform' },
    });
    expect(env.settings.image).toEqual(ImageProfile.upmio('registry.example.com/zookeeper:3.8.4'));
  });

  test('an Apache release of your own build, 3.9 included, gives that release\'s profile', () => {
    const file = write('next.yaml', 'image: { profile: apache, version: 3.9.4, reference: registry.example.com/zookeeper:3.9.4 }\n');
    expect(readEnvironmentFile(file).settings.image)
      .toEqual(ImageProfile.apacheRelease({ version: '3.9.4', image: 'registry.example.com/zookeeper:3.9.4' }));
  });

  test('a folder gives its environments in name order; an empty file is the defaults', () => {
    write('prod.yaml', 'namespace: zk-prod\n');
    write('dev.yaml', '');
    write('notes.txt', 'not an environment');
    expect(readEnvironmentFiles(dir).map((e) => [e.name, e.settings])).toEqual([['dev', {}], ['prod', { namespace: 'zk-prod' }]]);
  });
});

// [what is wrong, file name, text, line, setting (or undefined), message]
const BAD_FILES: [string, string, string, number, string | undefined, RegExp][] = [
  ['even replicas', 'a.yaml', 'namespace: zk\nreplicas: 4\n', 2, 'replicas', /must be odd/],
  ['replicas as a quoted string', 'a.yaml', 'replicas: "3"\n', 1, 'replicas', /whole number .*got "3"/],
  ['unknown key', 'a.yaml', 'namespace: zk\npersistence: true\n', 2, 'persistence', /is not a setting/],
  ['misspelt key with a hint', 'a.yaml', 'namespace: zk\n\nreplica: 3\n', 3, 'replica', /did you mean 'replicas'/],
  ['heap above the memory limit', 'a.yaml', 'memoryLimitMiB: 1024\nheapMiB: 2048\n', 2, 'heapMiB', /does not fit the 1024 MiB memory limit/],
  ['two roles on one port', 'a.yaml', 'quorumPort: 2888\nelectionPort: 2888\n', 2, 'electionPort', /must differ from quorumPort/],
  ['invalid label value', 'a.yaml', 'labels:\n  team: platform team\n', 2, 'labels.team', /label value/],
  ['label key with dots, reported on its own line', 'a.yaml', 'labels:\n  ok: "yes"\n  app.kubernetes.io/instance: x\n', 3, 'labels.app.kubernetes.io/instance', /sets itself/],
  ['unknown nested threshold', 'a.yaml', 'alertThresholds:\n  elections: 2\n  heapPercent: 80\n', 3, 'alertThresholds.heapPercent', /did you mean 'jvmHeapPercent'/],
  ['bad list entry', 'a.yaml', 'jvmOptions:\n  - -Dok=1\n  - -Xmx4g\n', 3, 'jvmOptions[1]', /use heapMiB or heapPercent/],
  ['unknown enum value', 'a.yaml', 'antiAffinity: always\n', 1, 'antiAffinity', /one of 'required', 'preferred'/],
  ['unknown membership', 'a.yaml', 'namespace: zk\nmembership: elastic\n', 2, 'membership', /must be one of 'static', 'dynamic' \(got "elastic"\)/],
  ['bootstrapVoters without dynamic membership', 'a.yaml', 'namespace: zk\nbootstrapVoters: 3\n', 2, 'bootstrapVoters', /has no effect with membership 'static'/],
  ['unknown image profile', 'a.yaml', 'namespace: zk\nimage: bitnami\n', 2, 'image', /must be 'upmio' or 'debian'/],
  ['image object with an unknown field', 'a.yaml', 'image: { profile: debian, tag: x }\n', 1, 'image', /tag is not a field/],
  ['Apache release without the image it names', 'a.yaml', 'image: { profile: apache, version: 3.9.4 }\n', 1, 'image', /profile apache needs reference/],
  ['Apache release of an unsupported family', 'a.yaml', 'image: { profile: apache, version: 3.10.0, reference: r/zk:1 }\n', 1, 'image', /version must be x\.y\.z of a ZooKeeper 3\.8 or 3\.9 release.*got "3\.10\.0"/],
  ['Apache release version without a patch level (a YAML number)', 'a.yaml', 'image: { profile: apache, version: 3.9, reference: r/zk:1 }\n', 1, 'image', /version must be x\.y\.z .*got 3\.9\)/],
  ['a version for a profile that is one version', 'a.yaml', 'image: { profile: upmio, version: 3.9.4 }\n', 1, 'image', /version is a field of profile apache only/],
  ['createNamespace not a boolean', 'a.yaml', 'createNamespace: "no"\n', 1, 'createNamespace', /true or false/],
  ['environment name that cannot be a folder and an Application name', 'Prod_EU.yaml', 'replicas: 3\n', 1, undefined, /environment name 'Prod_EU'.*DNS label/],
  ['not a map', 'a.yaml', '- replicas: 3\n', 1, undefined, /must be a map of settings/],
  ['broken YAML, reported on the file\'s last line rather than past it', 'a.yaml', 'replicas: 3\nlabels: { team: x\n', 2, undefined, /not valid YAML/],
  ['an unclosed list at the end, with blank lines after it', 'a.yaml', 'namespace: zk\nreplicas: [1\n\n\n', 2, undefined, /not valid YAML/],
  ['a port set to another port\'s default, below comments: reported on its own line', 'a.yaml', '# prod\n# platform team\nmode: highly-available\nnamespace: zk\nclientPort: 7000\n', 5, 'clientPort', /must differ from metricsPort \(both are 7000, metricsPort by default\)/],
  ['a nested field of a list entry', 'a.yaml', 'namespace: zk\ntolerations:\n  - key: a\n    operator: Exists\n    value: x\n', 5, 'tolerations[0].value', /must be left out/],
  ['a dotted zoo.cfg key', 'a.yaml', 'namespace: zk\nadditionalConfig:\n  jute.maxbuffer: "1"\n  4lw.commands.whitelist: "*"\n', 4, 'additionalConfig.4lw.commands.whitelist', /is managed by the construct/],
  ['duplicate key', 'a.yaml', 'replicas: 3\nreplicas: 5\n', 2, undefined, /not valid YAML: Map keys must be unique/],
];

describe('a bad environment file', () => {
  test.each(BAD_FILES)('%s: reported with file, line, setting and what is allowed', (_what, name, text, line, setting, message) => {
    const file = write(name, text);
    const issues = issuesOf(file);
    expect(issues).toContainEqual({ file, line, ...(setting ? { setting } : {}), message: expect.stringMatching(message) });
  });

  test('every problem of every file is reported at once, as file:line: setting: message', () => {
    write('dev.yaml', 'replicas: 2\n');
    write('prod.yaml', 'namespace: zk\nreplicas: 3\nheapPercent: 95\n');
    let message = '';
    try {
      readEnvironmentFiles(dir);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message.split('\n')).toEqual([
      'Invalid environment file settings:',
      expect.stringMatching(/^ {2}.*dev\.yaml:1: replicas: must be odd/),
      expect.stringMatching(/^ {2}.*prod\.yaml:3: heapPercent: must be a whole number from 25 to 80 \(got 95\)$/),
    ]);
  });
});
