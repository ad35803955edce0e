import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DeploymentMode, Environment, GitOpsSettings, synthesizeEnvironments, ZooKeeperSettingsError } from '../lib';
import { VOLUME_CLAIM_TEMPLATE_DEFAULTS } from '../lib/gitops/application';
import { argoCdCrds, publishedApplicationProblems, registerArgoCdSchemas } from './support/argocd-schemas';
import { objectsOfTree, readTree } from './support/default-app';
import { validateObjects } from './support/k8s-schema';

registerArgoCdSchemas();

const REPO = 'https://git.example.com/platform/zk.git';
const ENVIRONMENTS: Environment[] = [
  { name: 'dev', settings: { namespace: 'zk-dev', mode: DeploymentMode.STANDALONE } },
  { name: 'staging', settings: { namespace: 'zk-staging' } },
  { name: 'prod', settings: { namespace: 'zk', name: 'coord' } },
];

/** Synthesizes into a scratch dist/ and returns its tree; the scratch folder is removed. */
function synth(environments: readonly Environment[], gitops?: GitOpsSettings): Record<string, string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-gitops-'));
  try {
    synthesizeEnvironments(environments, gitops, path.join(dir, 'dist'));
    return readTree(path.join(dir, 'dist'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function applications(tree: Record<string, string>): Record<string, any> {
  return Object.fromEntries(objectsOfTree(tree).filter((o) => o.kind === 'Application').map((o) => [o.metadata.labels['cdk8s-zookeeper/environment'], o]));
}

/** Argo CD's directory `include` is a shell glob over file names; here only `*` is needed. */
const globMatches = (glob: string, file: string) => new RegExp(`^${glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`).test(file);

/** The settings problems a synthesis reports, as `setting: message` lines. */
function problems(environments: readonly Environment[], gitops?: unknown): string[] {
  try {
    synth(environments, gitops as GitOpsSettings);
  } catch (error) {
    if (error instanceof ZooKeeperSettingsError) return error.issues.map((i) => `${i.setting}: ${i.message}`);
    throw error;
  }
  throw new Error('expected the synthesis to be rejected');
}

describe('Argo CD Applications', () => {
  const tree = synth(ENVIRONMENTS, { repoURL: REPO, targetRevision: 'release-1', automatedSync: ['dev', 'staging'], clusters: { prod: 'https://prod.k8s.example.com:6443' }, distPath: 'deploy/zk/dist', project: 'platform', argocdNamespace: 'gitops' });
  const apps = applications(tree);

  test('one per environment, each valid strictly against the project CRD and against Argo CD\'s published schema', () => {
    expect(Object.keys(apps).sort()).toEqual(['dev', 'prod', 'staging']);
    expect(Object.keys(tree).filter((f) => f.startsWith('argocd/')).sort()).toEqual(['argocd/dev.k8s.yaml', 'argocd/prod.k8s.yaml', 'argocd/staging.k8s.yaml']);
    expect(validateObjects(Object.values(apps))).toEqual([]);
    for (const app of Object.values(apps)) expect(publishedApplicationProblems(app)).toBeUndefined();
  });

  test('each reads its environment folder of the repository, as a plain directory of the ensemble manifests only', () => {
    for (const [env, app] of Object.entries(apps)) {
      expect(app.spec.source).toMatchObject({ repoURL: REPO, targetRevision: 'release-1', path: `deploy/zk/dist/${env}`, directory: { recurse: false } });
      const files = Object.keys(tree).filter((f) => f.startsWith(`${env}/`)).map((f) => f.slice(env.length + 1));
      expect(files.filter((f) => globMatches(app.spec.source.directory.include, f))).toEqual(files.filter((f) => f !== 'kustomization.yaml'));
      expect(files).toContain('kustomization.yaml');
    }
  });

  test('each is named after its ensemble and environment, lives in Argo CD\'s namespace and project, and targets the ensemble namespace', () => {
    expect(apps.prod.metadata).toMatchObject({ name: 'coord-prod', namespace: 'gitops' });
    expect(apps.dev.metadata.name).toBe('zookeeper-dev');
    expect(apps.prod.spec.destination).toEqual({ server: 'https://prod.k8s.example.com:6443', namespace: 'zk' });
    expect(apps.dev.spec.destination).toEqual({ server: 'https://kubernetes.default.svc', namespace: 'zk-dev' });
    for (const app of Object.values(apps)) expect(app.spec.project).toBe('platform');
  });

  test('only the environments listed in automatedSync sync by themselves, with prune and self-heal', () => {
    expect(apps.dev.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
    expect(apps.staging.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
    expect(apps.prod.spec.syncPolicy.automated).toBeUndefined();
  });

  test('every one creates its namespace and ignores the fields the API server adds to volumeClaimTemplates', () => {
    for (const app of Object.values(apps)) {
      expect(app.spec.syncPolicy.syncOptions).toEqual(expect.arrayContaining(['CreateNamespace=true', 'RespectIgnoreDifferences=true']));
      expect(app.spec.ignoreDifferences).toEqual([{ group: 'apps', kind: 'StatefulSet', jqPathExpressions: VOLUME_CLAIM_TEMPLATE_DEFAULTS }]);
    }
  });

  test('without gitops settings, the environments are synthesized and no Application is', () => {
    const plain = synth(ENVIRONMENTS);
    expect(Object.keys(plain).filter((f) => f.startsWith('argocd/'))).toEqual([]);
    expect(Object.keys(plain)).toContain('prod/coord.k8s.yaml');
  });
});

describe('the project CRD of the Application', () => {
  /** Every property path the CRD declares, e.g. spec.source.directory.include. */
  function declaredPaths(schema: any, prefix: string[] = []): string[][] {
    return Object.entries(schema.properties ?? {}).flatMap(([key, child]: [string, any]) => {
      const here = [...prefix, key];
      const below = child.type === 'array' ? declaredPaths(child.items, [...here, '0']) : declaredPaths(child, here);
      return [here, ...below];
    });
  }
  const crd = argoCdCrds()[0].spec.versions[0].schema.openAPIV3Schema;
  const sample = applications(synth(ENVIRONMENTS, { repoURL: REPO, automatedSync: ['dev'] })).dev;

  test.each(declaredPaths(crd).filter((p) => p[0] === 'spec').map((p) => [p.join('.'), p]))(
    'declares %s, which Argo CD\'s published schema knows with the same type', (_name, fieldPath) => {
      // GIVEN the synthesized Application with a value of the wrong type at that path
      const broken = structuredClone(sample);
      let parent = broken;
      for (const key of fieldPath.slice(0, -1)) parent = parent[key] ??= /^\d+$/.test(key) ? [] : {};
      const declared = fieldPath.reduce((schema: any, key: string) => (/^\d+$/.test(key) ? schema.items : schema.properties[key]), crd);
      parent[fieldPath[fieldPath.length - 1]] = declared.type === 'string' ? 7 : 'wrong';
      // THEN the published schema rejects it at exactly that path: it knows the field and its type
      expect(publishedApplicationProblems(broken)).toMatch(new RegExp(`data/${fieldPath.join('/')} must be`));
    });

  test('is a CustomResourceDefinition the API server would accept', () => {
    expect(validateObjects(argoCdCrds())).toEqual([]);
  });

  test('rejects a field it does not declare (the strict check is not vacuous)', () => {
    const broken = structuredClone(sample);
    broken.spec.source.helm = { valueFiles: [] };
    expect(validateObjects([broken]).join('\n')).toMatch(/helm/);
  });
});

describe('invalid environments and GitOps settings', () => {
  test.each<[string, Environment[], unknown, RegExp]>([
    ['no environment at all', [], undefined, /^environments: must name at least one environment/],
    ['an environment name that is not a DNS label', [{ name: 'Prod_1', settings: {} }], undefined, /^environments\[0\]\.name: must be a DNS label.*"Prod_1"/],
    ['two environments with one name', [{ name: 'prod', settings: {} }, { name: 'prod', settings: { namespace: 'b' } }], undefined, /^environments\[1\]\.name: is used by another environment/],
    ['an environment named like the Applications folder', [{ name: 'argocd', settings: {} }], undefined, /^environments\[0\]\.name: is reserved: dist\/argocd\//],
    ['an invalid ensemble setting, named with its environment', [{ name: 'prod', settings: { replicas: 4 } }], undefined, /^prod: replicas: must be odd/],
    ['gitops without a repository', ENVIRONMENTS, {}, /^gitops\.repoURL: is required/],
    ['a repository that is not a Git URL', ENVIRONMENTS, { repoURL: 'github.com/x' }, /^gitops\.repoURL: must be a Git URL/],
    ['a revision with a space', ENVIRONMENTS, { repoURL: REPO, targetRevision: 'my branch' }, /^gitops\.targetRevision: must be a branch, tag or commit/],
    ['a dist path leaving the repository', ENVIRONMENTS, { repoURL: REPO, distPath: '../dist' }, /^gitops\.distPath: must be a relative folder/],
    ['an absolute dist path', ENVIRONMENTS, { repoURL: REPO, distPath: '/dist' }, /^gitops\.distPath: must be a relative folder/],
    ['automated sync for an environment that does not exist', ENVIRONMENTS, { repoURL: REPO, automatedSync: ['qa'] }, /^gitops\.automatedSync\[0\]: is not an environment; the environments are 'dev', 'staging', 'prod'/],
    ['automated sync given as a string', ENVIRONMENTS, { repoURL: REPO, automatedSync: 'dev' }, /^gitops\.automatedSync: must be a list of strings/],
    ['a cluster for an unknown environment', ENVIRONMENTS, { repoURL: REPO, clusters: { qa: 'https://qa:6443' } }, /^gitops\.clusters\.qa: is not an environment/],
    ['a cluster address without TLS', ENVIRONMENTS, { repoURL: REPO, clusters: { prod: 'http://prod:6443' } }, /^gitops\.clusters\.prod: must be an API server URL starting with https:\/\//],
    ['an unknown GitOps setting, with a hint', ENVIRONMENTS, { repoURL: REPO, automatedSynch: ['dev'] }, /^gitops\.automatedSynch: is not a setting \(did you mean 'automatedSync'\?\)/],
    ['an Argo CD namespace that is not a DNS label', ENVIRONMENTS, { repoURL: REPO, argocdNamespace: 'Argo CD' }, /^gitops\.argocdNamespace: must be a DNS label/],
    ['gitops that is not an object', ENVIRONMENTS, 'https://git.example.com/x.git', /^gitops: must be an object with at least repoURL/],
    ['two environments putting one ensemble in one namespace of one cluster', [{ name: 'a', settings: { namespace: 'zk' } }, { name: 'b', settings: { namespace: 'zk' } }], { repoURL: REPO },
      /^environments\[1\]: environments 'a' and 'b' would both manage Namespace zk, ServiceAccount zk\/zookeeper, ConfigMap zk\/zookeeper-config and \d+ more in https:\/\/kubernetes\.default\.svc/],
    ['two ensembles sharing a namespace that both create it', [{ name: 'a', settings: { namespace: 'zk', name: 'zk-a' } }, { name: 'b', settings: { namespace: 'zk', name: 'zk-b' } }], { repoURL: REPO },
      /^environments\[1\]: environments 'a' and 'b' would both manage Namespace zk in .*createNamespace: false when only the Namespace is shared/],
    ['an ensemble named like the observers of another in its namespace', [
      { name: 'a', settings: { namespace: 'zk', mode: DeploymentMode.CLUSTER, observers: 1 } },
      { name: 'b', settings: { namespace: 'zk', name: 'zookeeper-observer', createNamespace: false } }], { repoURL: REPO },
    /^environments\[1\]: environments 'a' and 'b' would both manage (StatefulSet|PodDisruptionBudget) zk\/zookeeper-observer/],
    ['an Application name longer than a DNS label', [{ name: 'e'.repeat(20), settings: { name: `z${'k'.repeat(45)}` } }], { repoURL: REPO }, /^environments\[0\]: its Application name 'zk+-e+' \(<ensemble>-<environment>\) must be a DNS label/],
  ])('%s', (_name, environments, gitops, expected) => {
    expect(problems(environments, gitops)).toEqual(expect.arrayContaining([expect.stringMatching(expected)]));
  });

  test('two ensembles share a namespace when only one creates it', () => {
    const envs: Environment[] = [{ name: 'a', settings: { namespace: 'zk', name: 'zk-a' } }, { name: 'b', settings: { namespace: 'zk', name: 'zk-b', createNamespace: false } }];
    expect(() => synth(envs, { repoURL: REPO })).not.toThrow();
  });

  test('two environments in one namespace are fine when they go to different clusters', () => {
    const envs: Environment[] = [{ name: 'a', settings: { namespace: 'zk' } }, { name: 'b', settings: { namespace: 'zk' } }];
    expect(() => synth(envs, { repoURL: REPO, clusters: { b: 'https://other:6443' } })).not.toThrow();
  });

  test('every environment\'s problems are reported together, and nothing is written', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-gitops-'));
    const outdir = path.join(dir, 'dist');
    try {
      synthesizeEnvironments(ENVIRONMENTS, { repoURL: REPO }, outdir);
      const before = readTree(outdir);
      const broken: Environment[] = [{ name: 'dev', settings: { replicas: 2 } }, { name: 'prod', settings: { heapPercent: 95 } }];
      expect(() => synthesizeEnvironments(broken, { repoURL: REPO }, outdir)).toThrow(/dev: replicas[\s\S]*prod: heapPercent/);
      expect(() => synthesizeEnvironments(ENVIRONMENTS, { repoURL: 'nope' }, outdir)).toThrow(ZooKeeperSettingsError);
      expect(readTree(outdir)).toEqual(before);
      expect(fs.readdirSync(dir)).toEqual(['dist']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
