/**
 * platformAssignedUser: the pod names no uid, gid or fsGroup, so a platform that assigns them
 * (OpenShift's restricted SCCs) admits it and picks them from the namespace's range. Everything
 * else of the pod, the restricted Pod Security Standard's fields included, stays as it was.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DeploymentMode, ImageProfile, resolveEnsemble, ZooKeeperEnsembleProps, ZooKeeperSettingsError } from '../lib';
import { EnvironmentFileError, readEnvironmentFile } from '../lib/environments/environment-file';
import { parseIni } from './support/ini';
import { validateObjects } from './support/k8s-schema';
import { KubeObject, synthChart, synthEnsemble } from './support/synth';

const USER_FIELDS = ['runAsUser', 'runAsGroup', 'fsGroup'];

/** Every place below `value` where one of `keys` is set, as a path. */
function pathsOf(value: unknown, keys: string[], at = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => pathsOf(item, keys, `${at}[${i}]`));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]) => [
    ...(keys.includes(key) ? [`${at}.${key}`] : []),
    ...pathsOf(inner, keys, `${at}.${key}`),
  ]);
}

/** What `action` throws; fails the test when it throws nothing. */
function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('nothing was thrown');
}

/** A cluster with observers, so both StatefulSets' pods are checked. */
function cluster(props: ZooKeeperEnsembleProps = {}) {
  return synthEnsemble({ mode: DeploymentMode.CLUSTER, observers: 1, image: ImageProfile.debian(), ...props });
}

const podTemplates = (objects: KubeObject[]) => objects.filter((o) => o.kind === 'StatefulSet').map((sts) => sts.spec.template);

describe('platformAssignedUser', () => {
  const assigned = cluster({ platformAssignedUser: true });
  const fixed = cluster();

  test('no runAsUser, runAsGroup or fsGroup anywhere in the voters\' or the observers\' pods', () => {
    // GIVEN the default pods, which run as the image's user: the search finds it there
    const podLevel = USER_FIELDS.map((key) => `.spec.securityContext.${key}`).sort();
    expect(podTemplates(fixed.objects).map((t) => pathsOf(t, USER_FIELDS).sort())).toEqual([podLevel, podLevel]);
    // WHEN the platform assigns the user THEN neither pod template names one, at pod or container level
    const templates = podTemplates(assigned.objects);
    expect(templates).toHaveLength(2);
    expect(templates.flatMap((t) => pathsOf(t, USER_FIELDS))).toEqual([]);
  });

  test('the pods are otherwise the fixed-uid pods: only the three fields are gone, fsGroupChangePolicy stays', () => {
    const withoutUser = podTemplates(fixed.objects).map((template) => {
      const copy = structuredClone(template);
      for (const key of USER_FIELDS) delete copy.spec.securityContext[key];
      return copy;
    });
    // The template hash differs as the templates do: it is their digest.
    const unhashed = (templates: any[]) => templates.map((t) => ({ ...t, metadata: { ...t.metadata, annotations: { ...t.metadata.annotations, 'cdk8s-zookeeper/template-hash': '<hash>' } } }));
    expect(unhashed(podTemplates(assigned.objects))).toEqual(unhashed(withoutUser));
    for (const template of podTemplates(assigned.objects)) expect(template.spec.securityContext.fsGroupChangePolicy).toBe('OnRootMismatch');
  });

  test('the restricted Pod Security Standard\'s fields are all still set', () => {
    for (const template of podTemplates(assigned.objects)) {
      const spec = template.spec;
      expect(spec.securityContext).toEqual({ runAsNonRoot: true, fsGroupChangePolicy: 'OnRootMismatch', seccompProfile: { type: 'RuntimeDefault' } });
      for (const container of [...spec.initContainers, ...spec.containers]) {
        expect({ container: container.name, securityContext: container.securityContext }).toEqual({
          container: container.name,
          securityContext: {
            allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true,
            capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
          },
        });
      }
      expect(spec.hostNetwork ?? spec.hostPID ?? spec.hostIPC).toBeUndefined();
      expect(spec.volumes.filter((v: any) => !v.configMap && !v.emptyDir)).toEqual([]);
    }
  });

  test('the StatefulSets still validate against the Kubernetes API schema (fsGroupChangePolicy without fsGroup included)', () => {
    expect(validateObjects(assigned.all('StatefulSet'))).toEqual([]);
  });

  test('supervisord runs every program as itself (no user=), and the configuration does not change', () => {
    const conf = parseIni(assigned.file('zookeeper-supervisord', 'supervisord.conf'));
    expect(Object.entries(conf).filter(([, section]) => 'user' in section).map(([name]) => name)).toEqual([]);
    for (const configMap of fixed.all('ConfigMap')) expect(assigned.one('ConfigMap', configMap.metadata.name)).toEqual(configMap);
  });

  test('false is the default: the output is the same object for object', () => {
    expect(synthChart({ platformAssignedUser: false }).objects).toEqual(synthChart().objects);
    expect(resolveEnsemble({}, 'zk').podUser).toEqual({ userId: 1001, groupId: 1001 });
    expect(resolveEnsemble({ platformAssignedUser: true }, 'zk').podUser).toBeUndefined();
  });

  test('a value that is not a boolean is rejected, naming the setting', () => {
    expect(thrownBy(() => resolveEnsemble({ platformAssignedUser: 'yes' as any }, 'zk')))
      .toMatchObject({ constructor: ZooKeeperSettingsError, issues: [{ setting: 'platformAssignedUser', message: 'must be true or false (got "yes")' }] });
  });
});

describe('platformAssignedUser in an environment file', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-env-')); });
  afterEach(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  test('true reaches the ensemble; a YAML string is reported at its line', () => {
    const good = path.join(dir, 'openshift.yaml');
    fs.writeFileSync(good, 'namespace: zk-openshift\nplatformAssignedUser: true\n');
    expect(readEnvironmentFile(good).settings.platformAssignedUser).toBe(true);

    const bad = path.join(dir, 'typo.yaml');
    fs.writeFileSync(bad, 'namespace: zk-openshift\nplatformAssignedUser: "true"\n');
    expect(thrownBy(() => readEnvironmentFile(bad)))
      .toMatchObject({ constructor: EnvironmentFileError, issues: [{ file: bad, line: 2, setting: 'platformAssignedUser', message: 'must be true or false (got "true")' }] });
  });
});
