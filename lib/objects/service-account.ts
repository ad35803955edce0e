import { k8s } from '../k8s';
import { Construct } from 'constructs';
import { EnsembleModel } from '../model/ensemble-model';
import { objectMeta } from './metadata';

/**
 * The members' own identity. ZooKeeper never calls the Kubernetes API, so no token is mounted by
 * default; with a dynamic membership the members' pods ask for it themselves (pod-template.ts).
 */
export function addServiceAccount(scope: Construct, model: EnsembleModel): k8s.KubeServiceAccount {
  return new k8s.KubeServiceAccount(scope, 'ServiceAccount', {
    metadata: objectMeta(model, model.names.serviceAccount, 'configuration'),
    automountServiceAccountToken: false,
  });
}
