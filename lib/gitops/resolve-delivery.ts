import { ZooKeeperSettingsError } from '../model/errors';
import { NameFormat, SettingsReader } from '../model/settings-reader';
import { GITOPS_SETTING_NAMES, GitOpsSettings } from './gitops-settings';

/** The folder of dist/ that holds the Applications; no environment may take its name. */
export const ARGOCD_FOLDER = 'argocd';
/** The API server address Argo CD uses for the cluster it runs in. */
export const IN_CLUSTER_SERVER = 'https://kubernetes.default.svc';

/** What the Applications need to know of an environment's synthesized ensemble. */
export interface EnvironmentTarget {
  readonly environment: string;
  readonly ensemble: string;
  readonly namespace: string;
  /** Every object the environment synthesizes, as `Kind namespace/name` (`Kind name` for cluster-scoped ones). */
  readonly objects: readonly string[];
}

/** One Argo CD Application, resolved: every value the renderer writes. */
export interface ApplicationModel {
  /** `<ensemble>-<environment>`: unique in Argo CD's namespace, a DNS label. */
  readonly name: string;
  readonly environment: string;
  readonly argocdNamespace: string;
  readonly project: string;
  readonly repoURL: string;
  readonly targetRevision: string;
  /** The environment's folder, relative to the repository root. */
  readonly path: string;
  readonly server: string;
  readonly namespace: string;
  readonly automated: boolean;
}

const GIT_URL = /^((https?|ssh|git):\/\/[^\s/]+\/\S+|[\w.-]+@[\w.-]+:\S+)$/;
/** `https://user:token@host`, `https://token@host`, `ssh://git:password@host`: a user alone is fine over SSH. */
const CREDENTIALS_IN_URL = /^(https?:\/\/[^/\s]*@|[a-z]+:\/\/[^/@\s]*:[^/@\s]*@)/;
/** URLs whose values no error prints: a token pasted into them must not reach a CI log. */
const SECRET_BEARING_SETTINGS = ['gitops.repoURL', 'gitops.clusters'];
const REPO_PATH = /^[\w.-]+(\/[\w.-]+)*$/;

/**
 * Environment names become folders of dist/ and parts of Application names: each must be a DNS
 * label, unique, and not the Applications' own folder. Checked before anything is built.
 */
export function checkEnvironmentNames(names: readonly string[]): void {
  const issues = names.flatMap((name, index) => {
    const problem = typeof name !== 'string' ? 'must be a string'
      : NameFormat.dnsLabel(name) ?? (name === ARGOCD_FOLDER ? `is reserved: dist/${ARGOCD_FOLDER}/ holds the Argo CD Applications`
        : names.indexOf(name) !== index ? 'is used by another environment; each needs its own folder under dist/' : undefined);
    return problem ? [{ setting: `environments[${index}].name`, message: `${problem} (got ${JSON.stringify(name)})` }] : [];
  });
  if (names.length === 0) issues.push({ setting: 'environments', message: 'must name at least one environment (none were given: is environments/ empty?)' });
  if (issues.length > 0) throw new ZooKeeperSettingsError('environments', issues, 'the environments');
}

/** The Applications of the environments, or every problem of the GitOps settings at once. */
export function resolveApplications(targets: readonly EnvironmentTarget[], gitops: GitOpsSettings): ApplicationModel[] {
  const s = new SettingsReader(gitops as unknown as Record<string, unknown>, 'gitops.', [], SECRET_BEARING_SETTINGS);
  s.rejectUnknown(GITOPS_SETTING_NAMES);
  const environments = targets.map((t) => t.environment);
  const isEnvironment = (name: string) => (environments.includes(name) ? undefined
    : `is not an environment; the environments are ${environments.map((e) => `'${e}'`).join(', ')}`);

  const repoURL = s.string('repoURL', undefined, (v) => (!GIT_URL.test(v) ? 'must be a Git URL: https://host/path, ssh://host/path or git@host:path'
    : CREDENTIALS_IN_URL.test(v) ? 'must not carry a password or token: it would be committed in the Application; give Argo CD the credentials in a repository Secret' : undefined));
  if (!s.has('repoURL')) s.fail('repoURL', 'is required: the Git repository Argo CD reads dist/ from');
  const targetRevision = s.string('targetRevision', 'HEAD', (v) => (/^\S+$/.test(v) ? undefined : 'must be a branch, tag or commit, without spaces'));
  const distPath = s.string('distPath', 'dist', (v) => (REPO_PATH.test(v) && !v.split('/').includes('..')
    ? undefined : 'must be a relative folder of the repository, such as dist or deploy/zookeeper/dist (no leading or trailing /, no ..)'));
  const project = s.string('project', 'default', NameFormat.dnsSubdomain);
  const argocdNamespace = s.string('argocdNamespace', 'argocd', NameFormat.dnsLabel);
  const automated = s.stringList('automatedSync', isEnvironment);
  const clusters = s.stringMap('clusters', isEnvironment, (v) => (!/^https:\/\/\S+$/.test(v) ? 'must be an API server URL starting with https://'
    : CREDENTIALS_IN_URL.test(v) ? 'must not carry credentials: Argo CD reads them from its cluster Secret' : undefined));

  const applications = targets.map((target): ApplicationModel => ({
    name: `${target.ensemble}-${target.environment}`,
    environment: target.environment,
    argocdNamespace,
    project,
    repoURL: repoURL ?? '',
    targetRevision,
    path: `${distPath}/${target.environment}`,
    server: clusters[target.environment] ?? IN_CLUSTER_SERVER,
    namespace: target.namespace,
    automated: automated.includes(target.environment),
  }));
  // Two Applications must never manage one object: each would undo the other's changes, and
  // deleting one environment would delete the other's object. That happens when two environments
  // put one ensemble in one namespace of one cluster, and also when two ensembles share a
  // namespace and both create its Namespace object, or one is named like another's observers.
  applications.forEach((app, index) => {
    const where = `environments[${index}]`;
    const problem = NameFormat.dnsLabel(app.name);
    if (problem) s.issues.push({ setting: where, message: `its Application name '${app.name}' (<ensemble>-<environment>) ${problem}; shorten the environment or ensemble name` });
    for (let i = 0; i < index; i++) {
      if (applications[i].server !== app.server) continue;
      const shared = targets[index].objects.filter((o) => targets[i].objects.includes(o));
      if (shared.length === 0) continue;
      const listed = shared.slice(0, 3).join(', ') + (shared.length > 3 ? ` and ${shared.length - 3} more` : '');
      s.issues.push({ setting: where, message: `environments '${applications[i].environment}' and '${app.environment}' would both manage ${listed} in ${app.server}; give one another namespace or ensemble name, another cluster (gitops.clusters), or createNamespace: false when only the Namespace is shared` });
    }
  });
  if (s.issues.length > 0) throw new ZooKeeperSettingsError('gitops', s.issues, 'the GitOps delivery (gitops)');
  return applications;
}
