// The app: which environments exist and how Argo CD delivers them. Everything else lives in lib/.
import * as path from 'path';
import { Environment, GitOpsSettings, readEnvironmentFiles, reportSynthesis, synthesizeEnvironments } from './lib';

/** Every environments/<name>.yaml; a TypeScript environment is one more entry in this list. */
export function environments(): Environment[] {
  // Relative to the working directory when possible, so errors read `environments/prod.yaml:3`.
  return readEnvironmentFiles(path.relative(process.cwd(), path.join(__dirname, 'environments')) || '.');
}

/** Where Argo CD reads this repository; one Application per environment lands in dist/argocd/. */
export const gitops: GitOpsSettings = {
  repoURL: 'https://git.example.com/platform/cdk8s-zookeeper.git',
  targetRevision: 'main',
  automatedSync: ['dev'],
};

if (require.main === module) reportSynthesis(() => synthesizeEnvironments(environments(), gitops));
