/**
 * How Argo CD delivers the environments: one Application per environment, each a directory
 * source on that environment's folder under dist/. Applications are synthesized into
 * dist/argocd/, so registering them is one `kubectl apply -f dist/argocd/` (or an app of apps).
 */
export interface GitOpsSettings {
  /** The Git repository Argo CD reads, as Argo CD knows it: `https://...`, `ssh://...` or `git@host:path`. */
  readonly repoURL: string;

  /**
   * The branch, tag or commit Argo CD follows.
   * @default 'HEAD' - the repository's default branch
   */
  readonly targetRevision?: string;

  /**
   * Where dist/ is inside the repository, when the project is not at its root.
   * @default 'dist'
   */
  readonly distPath?: string;

  /**
   * The Argo CD project of the Applications.
   * @default 'default'
   */
  readonly project?: string;

  /**
   * The namespace Argo CD watches for Applications.
   * @default 'argocd'
   */
  readonly argocdNamespace?: string;

  /**
   * Environments Argo CD syncs on every commit (with prune and self-heal); the others show
   * OutOfSync until someone presses Sync.
   * @default - none: every environment waits for a manual sync
   */
  readonly automatedSync?: readonly string[];

  /**
   * The API server of each environment's cluster, by environment name, as registered in Argo CD.
   * @default - every environment goes to the cluster Argo CD runs in (https://kubernetes.default.svc)
   */
  readonly clusters?: Readonly<Record<string, string>>;
}

export const GITOPS_SETTING_NAMES: readonly (keyof GitOpsSettings)[] = [
  'repoURL', 'targetRevision', 'distPath', 'project', 'argocdNamespace', 'automatedSync', 'clusters',
];
