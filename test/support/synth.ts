import { Chart, Testing } from 'cdk8s';
import { ZooKeeperChart, ZooKeeperChartProps, ZooKeeperEnsemble, ZooKeeperEnsembleProps } from '../../lib';

/** A synthesized Kubernetes object as plain JSON. */
export type KubeObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; [k: string]: any }; [k: string]: any };

/** The synthesized objects of one chart, with lookups by kind and name. */
export class Synthesized {
  constructor(public readonly objects: KubeObject[]) {}

  public all(kind: string): KubeObject[] {
    return this.objects.filter((o) => o.kind === kind);
  }

  public one(kind: string, name?: string): KubeObject {
    const found = this.all(kind).filter((o) => name === undefined || o.metadata.name === name);
    if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` named ${name}` : ''}, found ${found.length}`);
    return found[0];
  }

  public get statefulSet(): KubeObject { return this.one('StatefulSet'); }
  public get podSpec(): any { return this.statefulSet.spec.template.spec; }
  public get mainContainer(): any { return this.podSpec.containers.find((c: any) => c.name === 'zookeeper'); }
  public get initContainer(): any { return this.podSpec.initContainers.find((c: any) => c.name === 'init-data'); }

  /** The file `key` of the ConfigMap `name`. */
  public file(configMap: string, key: string): string {
    const data = this.one('ConfigMap', configMap).data ?? {};
    if (!(key in data)) throw new Error(`ConfigMap ${configMap} has no ${key}`);
    return data[key];
  }
}

/** Synthesizes one ensemble in a chart with a namespace, as a library user would. */
export function synthEnsemble(props: ZooKeeperEnsembleProps = {}): Synthesized & { ensemble: ZooKeeperEnsemble } {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'zk' });
  const ensemble = new ZooKeeperEnsemble(chart, 'ensemble', props);
  return Object.assign(new Synthesized(Testing.synth(chart) as KubeObject[]), { ensemble });
}

/** Synthesizes a ZooKeeperChart (ensemble plus Namespace). */
export function synthChart(props: ZooKeeperChartProps = {}): Synthesized {
  return new Synthesized(Testing.synth(new ZooKeeperChart(Testing.app(), 'test', props)) as KubeObject[]);
}

/** Parses zoo.cfg text into key/value pairs, failing on anything that is not `key=value` or a comment. */
export function parseZooCfg(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`not a key=value line: ${line}`);
    const key = line.slice(0, eq);
    if (entries.has(key)) throw new Error(`duplicate key ${key}`);
    entries.set(key, line.slice(eq + 1));
  }
  return entries;
}
