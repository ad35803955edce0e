// Scenario 23.5: the StatefulSet model on real pods (docs/e2e.md, "Membership changes"), on a
// fresh ensemble of the library's defaults (three voters named zookeeper, on the local build of
// the default image) played through it: it proves the test bed, so it does not take the app's
// environments, which the user may give any size or name. What it shows live, briefly:
// - Parallel: the three pods are created in one sync, before any is Ready;
// - an apply of 2 replicas with a changed ConfigMap (tickTime 3000): the member of ordinal 2 is
//   deleted gracefully, its claim kept; the other members keep serving (their JVMs still hold the
//   old list), the one whose ConfigMap delay is 0 sees the new zoo.cfg at once and the one with
//   a delay keeps the old one until it is due, then gets the new one whole;
// - back to 3 replicas: ordinal 2 comes back at the new revision on its old claim (a marker
//   written before the scale-down is there) and rejoins the quorum.
// It proves the test bed, not a safe membership change: the running members' server lists never change here.
import { PodmanCluster } from './cluster';
import { ZooKeeperChartProps } from '../lib';
import { standInImage, withImage } from './dist';
import { Ensemble, synthesizeToYaml } from './ensemble';
import { find, Manifest } from './expand';
import { waitFor } from './podman';
import { PlayedStatefulSet } from './played-statefulset';
import { scaleTo } from './statefulset-apply';
import { StatefulSetModel } from './statefulset-model';

const expect = (ok: boolean, message: string) => { if (!ok) throw new Error(message); };
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
/** How late the ConfigMap update reaches zookeeper-0; the others get it at once. */
const LATE_MS = 10_000;
const MARKER = '/var/lib/zookeeper/e2e-statefulset-model-marker';
/** Three voters named zookeeper in the namespace zookeeper: the shape the steps below name. */
const LIBRARY_DEFAULTS: ZooKeeperChartProps = { namespace: 'zookeeper' };

export async function statefulSetModelLive(cluster: PodmanCluster): Promise<string> {
  const synthesized = (settings: ZooKeeperChartProps) => {
    const objects = synthesizeToYaml(settings);
    return withImage(objects, standInImage(objects));
  };
  const first = synthesized(LIBRARY_DEFAULTS);
  const withReplicas = (objects: Manifest[], replicas: number) => objects.map((o) => (o.kind === 'StatefulSet' ? { ...o, spec: { ...o.spec, replicas } } : o));
  const changed = synthesized({ ...LIBRARY_DEFAULTS, tickTime: 3000 });
  const played = new PlayedStatefulSet(cluster, first, { configMapDelayMs: (pod) => (pod === 'zookeeper-0' ? LATE_MS : 0) });
  const model = new StatefulSetModel(find(first, 'StatefulSet')[0], played, false);
  const ensemble = new Ensemble(first, cluster);
  const zooCfgTick = async (pod: string) => /^tickTime=(\d+)$/m.exec(await ensemble.exec(ensemble.members.find((m) => m.name === pod)!, ['cat', '/config/zookeeper/zoo.cfg']))?.[1];
  try {
    // Parallel: every pod created before any is Ready
    const start = Date.now();
    await model.converge(180_000, 2000);
    const created = model.events.filter((e) => e.what === 'created').map((e) => model.events.indexOf(e));
    const firstReady = model.events.findIndex((e) => e.what === 'ready');
    expect(created.length === 3 && created.every((i) => i < firstReady), `not all three pods were created before the first was Ready: ${JSON.stringify(model.events)}`);
    await ensemble.waitForQuorum(120_000);
    const quorumMs = Date.now() - start;
    await ensemble.exec(ensemble.members[2], ['bash', '-c', `echo "$HOSTNAME" > ${MARKER}`]);

    // Down to 2, with a changed zoo.cfg: ordinal 2 goes, zookeeper-0 sees the new file late
    const down = await scaleTo(model, played, withReplicas(changed, 2), 120_000, 1000);
    const applied = Date.now() - down.ms;
    expect(down.changed.includes('zookeeper-config'), `the apply changed ${down.changed.join(', ')}, not zookeeper-config`);
    const stopped = model.events.find((e) => e.pod === 'zookeeper-2' && e.what === 'deleted')!;
    const deleting = model.events.find((e) => e.pod === 'zookeeper-2' && e.what === 'deleting')!;
    const [tick0, tick1] = [await zooCfgTick('zookeeper-0'), await zooCfgTick('zookeeper-1')];
    const readMs = Date.now() - applied;
    expect(readMs < LATE_MS, `the scale-down took ${readMs} ms, longer than zookeeper-0's ConfigMap delay of ${LATE_MS} ms: nothing to compare`);
    expect(tick1 === '3000', `zookeeper-1 (no delay) shows tickTime=${tick1} after the apply`);
    expect(tick0 === '2000', `zookeeper-0 (${LATE_MS} ms delay) shows tickTime=${tick0} ${readMs} ms after the apply`);
    await played.configMapsWritten();
    const lateAt = await waitFor('zookeeper-0 to see the new zoo.cfg', LATE_MS + 20_000, 250, async () => ((await zooCfgTick('zookeeper-0')) === '3000' ? Date.now() : undefined));
    expect(lateAt - applied >= LATE_MS, `zookeeper-0 saw the new zoo.cfg ${lateAt - applied} ms after the apply, before its ${LATE_MS} ms`);
    await ensemble.waitForQuorum(60_000, ensemble.members.slice(0, 2));

    // Back to 3: ordinal 2 at the new revision, on its old claim
    const up = await scaleTo(model, played, withReplicas(changed, 3), 180_000, 1000);
    const marker = (await ensemble.exec(ensemble.members[2], ['cat', MARKER])).trim();
    expect(marker === 'zookeeper-2', `the re-created zookeeper-2 found "${marker}" on its claim, not the marker`);
    expect(model.podStates()['zookeeper-2'].revision === model.revision.update, 'zookeeper-2 came back at an older revision');
    expect(model.podStates()['zookeeper-0'].revision !== model.revision.update, 'OnDelete replaced zookeeper-0');
    await ensemble.waitForQuorum(120_000);
    return `3 pods created in one sync, quorum in ${s(quorumMs)}; 3 -> 2 in ${s(down.ms)} (zookeeper-2 stopped in ${s(stopped.at - deleting.at)}, `
      + `claim kept); zoo.cfg reached zookeeper-1 at once and zookeeper-0 ${s(lateAt - applied)} after the apply (delay ${s(LATE_MS)}); `
      + `2 -> 3 in ${s(up.ms)}: zookeeper-2 back on its old claim at the new revision, quorum of 3`;
  } finally {
    model.stop();
    await model.settled().catch(() => undefined);
    await played.cleanup();
    await cluster.removeVolumes([...[0, 1, 2].map((i) => `data-zookeeper-${i}`), ...find(first, 'ConfigMap').map((c) => c.metadata.name)]);
  }
}
