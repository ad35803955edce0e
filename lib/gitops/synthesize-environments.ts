import * as fs from 'fs';
import * as path from 'path';
import { Chart, Yaml } from 'cdk8s';
import { ZooKeeperChart } from '../chart';
import { Environment } from '../environments/environment-file';
import { ZooKeeperSettingsError } from '../model/errors';
import { NameFormat } from '../model/settings-reader';
import { newApp, OwnedEntry, writeAtomically } from '../synth';
import { addApplication } from './application';
import { GitOpsSettings } from './gitops-settings';
import { GENERATED_HEADER, renderKustomization } from './kustomization';
import { postDeployCheckManifest, writeManifests } from './manifest-files';
import { bornWith, committedMembership, withCommittedMembership } from './committed-membership';
import { membershipChanges } from './membership-change';
import { refusedUpdates } from './refused-updates';
import { ARGOCD_FOLDER, checkEnvironmentNames, EnvironmentTarget, resolveApplications } from './resolve-delivery';

/**
 * Synthesizes every environment into its own folder, all-or-nothing:
 *
 *     <outdir>/<environment>/<ensemble>.k8s.yaml              the ensemble, Namespace included
 *     <outdir>/<environment>/<ensemble>.monitoring.k8s.yaml   its Prometheus Operator objects, if any
 *     <outdir>/<environment>/kustomization.yaml               both, for `kubectl kustomize`
 *     <outdir>/argocd/<environment>.k8s.yaml                  its Argo CD Application (with `gitops` only)
 *
 * Every environment's problems are reported together; nothing is written unless all are valid.
 * The run owns the environment folders (those holding a kustomization.yaml it generated) and
 * argocd/: a removed environment's folder goes, anything else in `outdir` stays.
 *
 * A change Kubernetes cannot apply in place (a StatefulSet's volume size, say) is written like any
 * other, and `notify` gets what the apply will need besides, once the files are in place.
 *
 * @param outdir where the folders go, e.g. 'dist' (no default: the folder is the caller's choice)
 * @param notify where those notices go @default - standard error
 */
export function synthesizeEnvironments(environments: readonly Environment[], gitops: GitOpsSettings | undefined, outdir: string,
  notify: (notice: string) => void = (notice) => console.warn(notice)): string[] {
  checkEnvironmentNames(environments.map((env) => env.name));
  if (gitops !== undefined && (typeof gitops !== 'object' || gitops === null || Array.isArray(gitops))) {
    throw new ZooKeeperSettingsError('gitops', [{ setting: 'gitops', message: 'must be an object with at least repoURL' }], 'the GitOps delivery (gitops)');
  }
  const notices: string[] = [];
  const files = writeAtomically(outdir, (scratch) => {
    const built = buildEnvironments(environments, scratch, outdir);
    notices.push(...built.flatMap(({ target, objects }) => changesRefusedInPlace(outdir, target, objects)));
    const applications = gitops ? resolveApplications(built.map((b) => b.target), gitops) : [];
    for (const { folder, target, objects } of built) {
      fs.mkdirSync(folder, { recursive: true });
      const manifests = writeManifests(folder, target.ensemble, objects);
      fs.writeFileSync(path.join(folder, 'kustomization.yaml'), renderKustomization(manifests.filter((file) => file !== postDeployCheckManifest(target.ensemble))));
    }
    if (applications.length > 0) {
      const argocd = newApp(path.join(scratch, ARGOCD_FOLDER));
      for (const application of applications) addApplication(new Chart(argocd, application.environment), application);
      argocd.synth();
    }
  }, ownsEnvironmentFolders);
  for (const notice of notices) notify(notice);
  return files;
}

/**
 * What an apply of the ensemble's new manifest needs besides, against the one in `outdir` now: the
 * changes the API server will not make in place.
 */
function changesRefusedInPlace(outdir: string, target: EnvironmentTarget, objects: readonly unknown[]): string[] {
  const file = path.join(outdir, target.environment, `${target.ensemble}.k8s.yaml`);
  if (!fs.existsSync(file)) return [];
  return refusedUpdates(Yaml.load(file), objects, file);
}

/** The folders an environment run writes: argocd/ and every folder with a kustomization.yaml it generated. */
const ownsEnvironmentFolders: OwnedEntry = (entry, fullPath) => entry.isDirectory()
  && (entry.name === ARGOCD_FOLDER || isGeneratedKustomization(path.join(fullPath, 'kustomization.yaml')));

function isGeneratedKustomization(file: string): boolean {
  try {
    return fs.readFileSync(file, 'utf8').startsWith(GENERATED_HEADER);
  } catch {
    return false; // no kustomization.yaml: not an environment folder
  }
}

/**
 * Each environment's chart, built and validated; all environments' problems in one error. What the
 * committed manifest in `outdir` says about the membership comes first (committed-membership.ts),
 * and a change of the number of voters it cannot take is refused (membership-change.ts).
 */
function buildEnvironments(environments: readonly Environment[], scratch: string, outdir: string) {
  const issues: { setting: string; message: string }[] = [];
  const built = environments.flatMap((env) => {
    const folder = path.join(scratch, env.name);
    const app = newApp(folder);
    const committedFile = path.join(outdir, env.name, `${chartId(env)}.k8s.yaml`);
    const committedObjects = fs.existsSync(committedFile) ? Yaml.load(committedFile) : undefined;
    const committed = committedObjects === undefined ? undefined : committedMembership(committedObjects);
    const membership = withCommittedMembership(env.settings, committed, committedFile);
    if (membership.issues.length > 0) {
      issues.push(...membership.issues.map((issue) => ({ setting: `${env.name}: ${issue.setting}`, message: issue.message })));
      return [];
    }
    try {
      // Named after the ensemble, like its files (<ensemble>.k8s.yaml), so a folder reads like the cluster.
      const chart = new ZooKeeperChart(app, chartId(env), membership.settings);
      const unborn = membership.settings.bootstrapVoters === undefined ? bornWith(committed, chart.ensemble.model.membership?.bootstrapVoters, committedFile) : undefined;
      if (unborn) {
        issues.push({ setting: `${env.name}: ${unborn.setting}`, message: unborn.message });
        return [];
      }
      const { name, namespace } = chart.ensemble.model;
      const objects: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }[] = chart.toJson();
      const unsafe = committedObjects === undefined ? [] : membershipChanges(committedObjects, objects, committedFile, path.join(outdir, env.name));
      if (unsafe.length > 0) {
        issues.push(...unsafe.map((issue) => ({ setting: `${env.name}: ${issue.setting}`, message: issue.message })));
        return [];
      }
      const identities = objects.map((o) => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`);
      const target: EnvironmentTarget = { environment: env.name, ensemble: name, namespace, objects: identities };
      return [{ folder, target, objects }];
    } catch (error) {
      if (!(error instanceof ZooKeeperSettingsError)) throw error;
      issues.push(...error.issues.map((issue) => ({ setting: `${env.name}: ${issue.setting}`, message: issue.message })));
      return [];
    }
  });
  if (issues.length > 0) throw new ZooKeeperSettingsError('environments', issues, 'the environments');
  return built;
}

/** The ensemble's name when it is a valid one; otherwise the chart reports it and the id is moot. */
function chartId(env: Environment): string {
  const name = (env.settings as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' && !NameFormat.dnsLabel(name) ? name : 'zookeeper';
}
