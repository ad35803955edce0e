import { Construct } from 'constructs';
import { Application } from '../../imports/argoproj.io';
import { ApplicationModel } from './resolve-delivery';

/** Only the ensemble's manifests: the folder's kustomization.yaml is for `kubectl kustomize`, not Argo CD. */
export const MANIFEST_GLOB = '*.k8s.yaml';

/**
 * Fields the API server adds to a StatefulSet's volumeClaimTemplates once applied. Without
 * ignoring them, every StatefulSet stays OutOfSync forever.
 */
export const VOLUME_CLAIM_TEMPLATE_DEFAULTS = [
  '.spec.volumeClaimTemplates[]?.apiVersion',
  '.spec.volumeClaimTemplates[]?.kind',
  '.spec.volumeClaimTemplates[]?.metadata.creationTimestamp',
  '.spec.volumeClaimTemplates[]?.status',
];

/**
 * The environment's Argo CD Application: a plain-directory source on its folder of dist/.
 * CreateNamespace lets a first sync work before the Namespace object (wave -1) exists.
 * No deletion finalizer: deleting the Application leaves the ensemble running, which is the safe
 * default for a stateful service.
 */
export function addApplication(scope: Construct, app: ApplicationModel): Application {
  return new Application(scope, app.name, {
    metadata: {
      name: app.name,
      namespace: app.argocdNamespace,
      labels: { 'cdk8s-zookeeper/environment': app.environment },
    },
    spec: {
      project: app.project,
      source: {
        repoUrl: app.repoURL,
        targetRevision: app.targetRevision,
        path: app.path,
        directory: { include: MANIFEST_GLOB, recurse: false },
      },
      destination: { server: app.server, namespace: app.namespace },
      ignoreDifferences: [{ group: 'apps', kind: 'StatefulSet', jqPathExpressions: VOLUME_CLAIM_TEMPLATE_DEFAULTS }],
      syncPolicy: {
        ...(app.automated ? { automated: { prune: true, selfHeal: true } } : {}),
        syncOptions: ['CreateNamespace=true', 'RespectIgnoreDifferences=true'],
      },
    },
  });
}
