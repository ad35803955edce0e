// A stand-in for kube-state-metrics' kube_statefulset_replicas, the desired number of members that
// ZooKeeperMembershipDiffers compares with what the members count: the test bed has no API server
// and no kube-state-metrics. It serves, on 127.0.0.1, one series per StatefulSet of the manifests
// with kube-state-metrics' name, labels (namespace, statefulset) and value (spec.replicas), and
// lets a scenario say that a StatefulSet now asks for another number, as `kubectl scale` or an
// apply would make it.
// Where it departs from kube-state-metrics: a new number is served at the next scrape (kube-state-
// metrics follows the API server's watch, within a second or so); it serves only this series.
import { find, Manifest } from './expand';
import { MetricsEndpoint } from './metrics-endpoint';

export interface StatefulSetKey {
  readonly namespace: string;
  readonly name: string;
}

/** spec.replicas of each StatefulSet, as the API server would hold it. */
export class StatefulSetReplicas {
  private readonly replicas = new Map<string, { key: StatefulSetKey; replicas: number }>();

  /** The StatefulSets among `objects`, at the replicas they were applied with. */
  constructor(objects: Manifest[]) {
    for (const s of find(objects, 'StatefulSet')) this.set({ namespace: String(s.metadata.namespace), name: String(s.metadata.name) }, s.spec.replicas ?? 1);
  }

  public set(key: StatefulSetKey, replicas: number): void {
    this.replicas.set(`${key.namespace}/${key.name}`, { key, replicas });
  }

  public get(key: StatefulSetKey): number | undefined {
    return this.replicas.get(`${key.namespace}/${key.name}`)?.replicas;
  }

  /** kube-state-metrics' exposition of the series, in the text format. */
  public render(): string {
    const samples = [...this.replicas.values()].map(({ key, replicas }) => `kube_statefulset_replicas{namespace="${key.namespace}",statefulset="${key.name}"} ${replicas}`);
    return ['# HELP kube_statefulset_replicas Number of desired pods for a StatefulSet.', '# TYPE kube_statefulset_replicas gauge', ...samples, ''].join('\n');
  }

  /** Serves the replicas as they stand at each scrape, as the scrape job `kube-state-metrics`. */
  public serve(): Promise<MetricsEndpoint> {
    return MetricsEndpoint.start('kube-state-metrics', () => this.render());
  }
}
