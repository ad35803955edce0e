// A cdk8s app in another project that uses cdk8s-zookeeper as a library (TypeScript, strict): five
// voters and two observers with TLS between the members and for clients, in a chart of the app's
// own. It writes manifests/payments.k8s.yaml; a failed run leaves manifests/ as it was.
//   npm install cdk8s-zookeeper cdk8s constructs typescript @types/node && npx tsc && node main.js
import { App, Chart } from 'cdk8s';
import { ClientTls, DeploymentMode, IssuerKind, runSynthesis, ZooKeeperEnsemble, ZooKeeperEnsembleProps } from 'cdk8s-zookeeper';

export const payments: ZooKeeperEnsembleProps = {
  name: 'zk',
  mode: DeploymentMode.CLUSTER,
  replicas: 5,
  observers: 2,
  quorumTls: true,
  clientTls: ClientTls.ONLY,
  tlsIssuer: { name: 'internal-ca', kind: IssuerKind.CLUSTER_ISSUER },
  labels: { team: 'payments' },
};

/** The app's charts: here one, in the namespace the ensemble runs in (which must exist). */
export function build(app: App): void {
  const chart = new Chart(app, 'payments', { namespace: 'payments' });
  new ZooKeeperEnsemble(chart, 'zookeeper', payments);
}

if (require.main === module) runSynthesis(build, 'manifests');
