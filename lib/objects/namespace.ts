import { k8s } from '../k8s';
import { Construct } from 'constructs';
import { SYNC_WAVE_ANNOTATION } from '../model/annotations';
import { SYNC_WAVES } from './metadata';

/**
 * The ensemble's namespace, so `kubectl apply -f dist/` works on an empty cluster. It enforces the
 * "restricted" Pod Security Standard: the members already satisfy it, and nothing weaker gets in.
 */
export function addNamespace(scope: Construct, name: string, labels: Record<string, string>): k8s.KubeNamespace {
  return new k8s.KubeNamespace(scope, 'Namespace', {
    metadata: {
      name,
      labels: {
        ...labels,
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'v1.28',
      },
      annotations: { [SYNC_WAVE_ANNOTATION]: String(SYNC_WAVES.namespace) },
    },
  });
}
