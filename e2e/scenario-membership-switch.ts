// Scenario 29.7-29.8: a RUNNING static ensemble switched to `membership: dynamic` by a roll, the
// way docs/membership.md tells a user to do it (first the switch with the same replicas, then a
// change of replicas), through the test bed's StatefulSet model.
//
// The ensemble is born from the library's defaults (three voters, static server list, OnDelete).
// The switch applies the dynamic synthesis (same replicas, bootstrapVoters 3: what the app derives
// from a committed static StatefulSet of 3) and rolls the pods as the roll Job does: one at a time,
// followers first and the leader last, each deleted only once the one before is back, Ready, and
// the ensemble has one leader again. The started dynamic members find no membership of their own
// on their volumes, so dynamic-config.sh takes the ensemble's (/zookeeper/config, served by the
// members still static). Under a writer connected to all three, it asserts: every member ends
// running from a dynamic file (its zoo.cfg on the data volume names one) with the voters {1,2,3},
// one leader, every acknowledged write on every member, the same data everywhere. Before the roll,
// a follower's server is killed: its pod is still of the static template, but its ConfigMaps are
// already the dynamic ones, and it must serve again on its own (start-zookeeper.sh runs it with
// the bootstrap list, the static voters). Then 3 -> 5 by replicas, checked as scenario 29's steps are.
import { ZooKeeperChartProps } from '../lib';
import { ZooKeeperClient } from './client';
import { PodmanCluster } from './cluster';
import { standInImage, withImage } from './dist';
import { synthesizeToYaml } from './ensemble';
import { ExpandedPod, find, Manifest } from './expand';
import { acks, ACKS_AROUND, MembershipDrill, STEP_TIMEOUT_MS } from './scenario-membership';
import { errorsDuring, longestGap } from './scenario-partitions';
import { scaleTo } from './statefulset-apply';
import { waitFor } from './podman';
import { epochOf } from './zxid';

const expect = (ok: boolean, message: string) => { if (!ok) throw new Error(message); };
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
/** The library's defaults: three voters, static membership. */
const STATIC: ZooKeeperChartProps = { namespace: 'zookeeper', replicas: 3 };
const VOTERS = 3;

export class MembershipSwitchDrill extends MembershipDrill {
  constructor(cluster: PodmanCluster, client: ZooKeeperClient, workdir: string) {
    super(cluster, client, workdir, VOTERS);
  }

  public get label(): string {
    return `the library's defaults (${find(this.first, 'StatefulSet')[0].metadata.name}, ${VOTERS} voters, static), switched to membership: dynamic by a roll`;
  }

  protected born(): Manifest[] {
    const objects = synthesizeToYaml(STATIC);
    return withImage(objects, standInImage(objects));
  }

  protected get bornFrom(): string {
    return 'a static server list';
  }

  /** The dynamic synthesis applied with the same replicas, then the pods rolled one at a time, the leader last. */
  public async switchToDynamic(): Promise<string> {
    const model = this.statefulSets;
    const members = this.ensemble.members.slice(0, VOTERS);
    const prefix = '/e2e-membership-switch';
    const revision = model.revision.update;
    const epochBefore = await this.epoch(members);
    const writer = this.client.stoppableWriteLoop(this.ensemble.hosts(members), prefix, (VOTERS * STEP_TIMEOUT_MS) / 1000 + 120);
    try {
      await acks(writer, ACKS_AROUND, 60_000);
      const applied = Date.now();
      // OnDelete: the apply itself replaces no pod; the running (static) members get the new ConfigMaps.
      const { changed } = await scaleTo(model, this.played!, this.synthesized(VOTERS), 60_000, 1000);
      expect(model.revision.update !== revision, 'the dynamic synthesis did not change the pod template');
      const restart = await this.restartBeforeTheRoll(members);
      const rolled: { pod: string; leader: boolean; deleted: number; back: number }[] = [];
      for (;;) {
        const states = model.podStates();
        const left = members.filter((m) => states[m.name]?.revision !== model.revision.update);
        if (left.length === 0) break;
        const leader = await this.ensemble.leader(members);
        const next = left.find((m) => m.name !== leader.name) ?? left[0];
        const deleted = Date.now();
        model.deletePod(next.name);
        await model.converge(STEP_TIMEOUT_MS, 1000);
        await this.ensemble.waitForQuorum(STEP_TIMEOUT_MS, members);
        rolled.push({ pod: next.name, leader: next.name === leader.name, deleted, back: Date.now() });
      }
      await this.settled(VOTERS, STEP_TIMEOUT_MS);
      const settledMs = Date.now() - applied;
      const sources = await Promise.all(members.map((m) => this.dynamicSource(m)));
      const seen = writer.events.filter((e) => e.acked !== undefined).length;
      await acks(writer, seen + ACKS_AROUND, 60_000);
      const events = await writer.stop();
      const acked = events.filter((e) => e.acked !== undefined);
      const times = acked.map((e) => e.t * 1000);
      const gap = longestGap(times, applied);
      // Each replacement: from its deletion until it is back with one leader, and the writer's longest
      // gap from its deletion until the next one (writes may resume only after the member is back).
      const replaced = rolled.map((r, i) => {
        const until = rolled[i + 1]?.deleted ?? Infinity;
        return `${r.pod}${r.leader ? ' (the leader)' : ''} back in ${s(r.back - r.deleted)}, write gap ${s(longestGap(times.filter((t) => t <= until), r.deleted).ms)}`;
      });
      const elections = Number(epochOf(await this.epoch(members)) - epochOf(epochBefore));
      await this.assertSameDataEverywhere(members, prefix, acked.map((e) => e.acked!));
      return `apply (${changed.join(', ')} changed); ${restart}; roll done in ${s(settledMs)} (${replaced.join('; ')}); every member runs from a dynamic file `
        + `(${sources.join('; ')}) with the voters ${this.voterList(VOTERS)}, one leader; all ${acked.length} acknowledged writes on each member, the same data on each; `
        + `longest write gap ${s(gap.ms)} (${errorsDuring(events, gap)}); ${elections} election(s)`;
    } finally {
      await writer.stop().catch(() => undefined);
    }
  }

  /**
   * A follower's server killed between the apply and the roll: supervisord starts it again with
   * the scripts and zoo.cfg the apply brought (no server list) and the pod's old env (static). It
   * must serve again on its own, from the bootstrap list, before the roll reaches it.
   */
  private async restartBeforeTheRoll(members: ExpandedPod[]): Promise<string> {
    const leader = await this.ensemble.leader(members);
    const follower = members.find((m) => m.name !== leader.name)!;
    const killedAt = await this.ensemble.killServer(follower);
    const backMs = await waitFor(`${follower.name}, restarted before its roll, to serve again`, 90_000, 500, async () =>
      ((await this.ensemble.role(follower)) === 'follower' ? Date.now() - killedAt : undefined));
    const log = await this.cluster.logs(follower.name);
    expect(/running with the bootstrap list \(the static voters\)/.test(log), `${follower.name} serves again, but its log does not say it ran with the bootstrap list`);
    return `${follower.name}'s server killed before its roll: following again in ${s(backMs)}, from the bootstrap list`;
  }

  /** The dynamic file the member's zoo.cfg on its data volume names, and what dynamic-config.sh said it chose. */
  private async dynamicSource(member: ExpandedPod): Promise<string> {
    const dataDir = /^dataDir=(.*)$/m.exec(find(this.synthesized(VOTERS), 'ConfigMap').map((c) => c.data?.['zoo.cfg'] ?? '').join('\n'))?.[1];
    expect(dataDir !== undefined, 'the dynamic zoo.cfg sets no dataDir');
    const zooCfg = await this.ensemble.exec(member, ['cat', `${dataDir}/zoo.cfg`]);
    const file = /^dynamicConfigFile=(.*)$/m.exec(zooCfg)?.[1];
    expect(file !== undefined, `${member.name}'s ${dataDir}/zoo.cfg names no dynamicConfigFile: it does not run from a dynamic membership`);
    const log = (await this.cluster.logs(member.name)).split('\n').filter((l) => l.includes('dynamic-config:')).pop() ?? 'no dynamic-config log line';
    return `${member.name}: ${file!.split('/').pop()}, "${log.replace(/^.*dynamic-config: /, '')}"`;
  }
}
