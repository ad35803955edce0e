// The app: which environments exist and how Argo CD delivers them. Everything else lives in lib/.
// `npm run synth` and `cdk8s synth` run its compiled form, build/main.js, rebuilt first whenever a
// source changed (tools/synth.sh); both run it from the project's root.
import { Environment, GitOpsSettings, readEnvironmentFiles, reportSynthesis, synthesizeEnvironments } from './lib';

/** The folder Argo CD reads: one subfolder per environment, and argocd/ with their Applications. */
export const OUTDIR = 'dist';

/** Every environments/<name>.yaml; a TypeScript environment is one more entry in this list. */
export function environments(): Environment[] {
  // Relative to the working directory, so errors read `environments/prod.yaml:3`.
  return readEnvironmentFiles('environments');
}

/** Where Argo CD reads this repository; one Application per environment lands in dist/argocd/. */
export const gitops: GitOpsSettings = {
  repoURL: 'https://git.example.com/platform/cdk8s-zookeeper.git',
  targetRevision: 'main',
  automatedSync: ['dev'],
};

if (require.main === module) reportSynthesis(() => synthesizeEnvironments(environments(), gitops, OUTDIR), OUTDIR);
