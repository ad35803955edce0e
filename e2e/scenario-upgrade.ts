// Scenario 25: a version upgrade by changing the image profile, 3.8.4 -> 3.9.4, rolled by the
// project's default roll: the leader-last roll Job of the new synthesis, against the harness's API
// server model (e2e/api-server.ts, e2e/roll-job.ts), as scenario 23 plays it; then the downgrade
// back the same way. The production environment's settings are played under their own name, once
// with the default profile and once with `image: { profile: apache, version: 3.9.4, reference:
// ... }`, both on the local builds. Between the two syntheses only the image, the classpath and
// the version labels differ: no ConfigMap changes, so members not yet replaced keep running what
// they read at start. Asserted, besides the roll Job's own checks (exit 0, every pod of the new
// revision, nothing refused by RBAC): exactly one leader election, the leader replaced last; each
// replaced member back at a zxid no lower than it had and the highest zxid never going down;
// writes acknowledged while versions are mixed; no acknowledged write lost; afterwards every
// member reports the new version and the configuration zoo.cfg intends (member-configuration.ts).
import * as fs from 'fs';
import { ApiServerModel } from './api-server';
import { StoppableWriter, ZooKeeperClient } from './client';
import { PodmanCluster } from './cluster';
import { Ensemble, synthesizeToYaml } from './ensemble';
import { find } from './expand';
import { Flavour, FLAVOURS, prodEnvironment, prodSettingsOn } from './flavours';
import { assertMembersRun, describeMembers, memberReport } from './member-configuration';
import { waitFor } from './podman';
import { apiServerTls, logsSince, PlayedPods, startRoll } from './roll-job';
import { epochOf, hex, highestZxid, lastZxid } from './rolling-update';
import { memberTimeline, NEW_LEADER } from './scenario-roll';
import { PREFIX } from './scenarios';

const NAME = 'zkup';
const ACKS_BEFORE = 20;

const expect = (ok: boolean, message: string) => { if (!ok) throw new Error(message); };
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** One replacement as the harness watched it: what the member had, and the state once it served again. */
interface Step { name: string; before?: bigint; after?: bigint; versions: string; highest: bigint }

export class UpgradeDrill {
  private readonly ensembles: Record<'from' | 'to', Ensemble>;
  private readonly flavours: Record<'from' | 'to', Flavour> = { from: FLAVOURS.default, to: FLAVOURS.zookeeper39 };
  private readonly pods: PlayedPods;
  private rolls = 0;

  constructor(private readonly cluster: PodmanCluster, private readonly client: ZooKeeperClient, private readonly workdir: string) {
    this.ensembles = {
      from: new Ensemble(synthesizeToYaml(prodSettingsOn(this.flavours.from, NAME)), cluster),
      to: new Ensemble(synthesizeToYaml(prodSettingsOn(this.flavours.to, NAME)), cluster),
    };
    this.pods = new PlayedPods(cluster, new Date());
    this.pods.add(this.ensembles.from);
    this.pods.add(this.ensembles.to);
  }

  public get label(): string {
    return `${prodEnvironment().label}'s settings as ${NAME}, on ${this.flavours.from.label} and ${this.flavours.to.label}, rolled by the roll Job`;
  }

  /** 25.1: the ensemble starts on 3.8.4 and is rolled onto 3.9.4. */
  public async upgrade(): Promise<string> {
    const from = this.ensembles.from;
    await from.start();
    await from.waitForQuorum(120_000);
    return this.roll(from, this.ensembles.to, this.flavours.from, this.flavours.to);
  }

  /** 25.2: the upgraded ensemble is rolled back onto 3.8.4, its data written by 3.9.4 included. */
  public async downgrade(): Promise<string> {
    return this.roll(this.ensembles.to, this.ensembles.from, this.flavours.to, this.flavours.from);
  }

  public async destroy(): Promise<void> {
    await this.ensembles.from.destroy();
  }

  /**
   * The synthesis changes the image and nothing the servers read: the configuration each member
   * reports (its checksum) must be the same before and after, on either version.
   */
  private async roll(current: Ensemble, target: Ensemble, from: Flavour, to: Flavour): Promise<string> {
    const version = to.profile.props.zookeeperVersion;
    await current.waitForQuorum(120_000);
    const before = await assertMembersRun(current, from.profile.props.zookeeperVersion);
    const leader = (await current.leader()).name;
    this.pods.since = new Date();
    this.pods.removedLogs.length = 0;
    const api = new ApiServerModel(current.objects, this.pods);
    const tls = await apiServerTls(this.cluster, this.workdir);
    const endpoint = { host: tls.gateway, port: await api.listen(tls), caPem: fs.readFileSync(tls.ca) };
    const prefix = `${PREFIX}/upgrade-${++this.rolls}`;
    const writer: StoppableWriter = this.client.stoppableWriteLoop(current.hosts(), prefix, 900);
    const ackTimes = () => writer.events.filter((e) => e.acked !== undefined).map((e) => e.t * 1000);
    try {
      await waitFor('the writer to get going', 30_000, 100, async () => ackTimes().length >= ACKS_BEFORE || undefined);
      const startZxid = await highestZxid(current);
      const steps = this.watchSteps(current, target, startZxid);
      const start = Date.now();
      const { finished } = await startRoll(this.cluster, target, api, endpoint);
      api.apply(find(target.objects, 'StatefulSet')[0]);
      const { code, log, seconds } = await finished;
      await api.settled();
      const watched = await Promise.all(steps.watched);
      this.pods.watch = undefined;
      const rollMs = Date.now() - start;
      expect(code === 0, `the roll Job exited ${code}:\n${log}`);
      const order = [...log.matchAll(/^roll: evicting (\S+)/gm)].map((m) => m[1]);
      expect(order.length === target.members.length && order[order.length - 1] === leader, `the leader ${leader} was not replaced last: ${order.join(', ')}`);
      const outdated = Object.entries(api.podRevisions()).filter(([, r]) => r !== api.updateRevision).map(([n]) => n);
      expect(outdated.length === 0, `pods not of the new revision after the roll: ${outdated.join(', ')}`);
      const refused = api.calls.filter((c) => c.code === 403 || c.code === 401);
      expect(refused.length === 0, `the roller made calls its Role does not grant: ${JSON.stringify(refused)}`);
      await target.waitForQuorum(60_000);
      const endZxid = await highestZxid(target);
      const elections = Number(epochOf(endZxid) - epochOf(startZxid));
      expect(elections === 1, `the roll cost ${elections} leader elections (zxid ${hex(startZxid)} -> ${hex(endZxid)}), not 1`);
      const mixedAcks = this.acksWhileMixed(api, ackTimes());
      await waitFor('acks after the roll', 30_000, 100, async () => ackTimes().filter((t) => t > start + rollMs).length >= ACKS_BEFORE || undefined);
      const events = await writer.stop();
      const acked = events.filter((e) => e.acked !== undefined).map((e) => e.acked!);
      const stored = new Set(await this.client.read(target.hosts(), prefix));
      const lost = acked.filter((seq) => !stored.has(seq)).length;
      expect(lost === 0, `${lost} of ${acked.length} acknowledged writes are missing after the roll`);
      const gap = longestGapFrom(ackTimes(), start);
      const logs = [...this.pods.removedLogs, ...await Promise.all(target.members.map((m) => logsSince(this.cluster, m.name, this.pods.since)))];
      const tookMs = logs.flatMap((l) => [...l.matchAll(NEW_LEADER)].map((m) => `${m[1]} ms`));
      const after = await assertMembersRun(target, version);
      expect(after[0].conf === before[0].conf, `the members' configuration changed with the version: ${describeMembers(before)} before, ${describeMembers(after)} after`);
      return `before: ${describeMembers(before)}; the roll Job (leader ${leader} last) replaced ${order.join(', ')} in ${s(rollMs)} (Job ${seconds.toFixed(1)} s): `
        + `${elections} election (took ${tookMs.join(', ') || '-'} by the new leader's log; zxid epoch ${epochOf(startZxid)} -> ${epochOf(endZxid)}), longest write gap ${s(gap.ms)} (from ${s(gap.at - start)} into the roll), `
        + `${acked.length} writes acked, 0 lost; no member back below its zxid, highest zxid ${hex(startZxid)} -> ${hex(endZxid)}; `
        + `versions after each replacement ${watched.map((w) => w.versions).join(' -> ')}, writes acked while mixed ${mixedAcks.join(', ')}; `
        + `per member ${memberTimeline(api, log)}; after: ${describeMembers(after)} (the same configuration)`;
    } finally {
      this.pods.watch = undefined;
      await writer.stop().catch(() => undefined);
      await api.close();
    }
  }

  /**
   * Watches each replacement the roll Job causes: the member's zxid before its pod goes, and once
   * its replacement is Ready (its own probe, on the probe's period) its zxid again, every member's
   * version and the highest zxid served, which must never go down.
   */
  private watchSteps(current: Ensemble, target: Ensemble, startZxid: bigint): { watched: Promise<Step>[] } {
    const before = new Map<string, bigint | undefined>();
    const watched: Promise<Step>[] = [];
    let highest = startZxid;
    this.pods.watch = {
      going: async (name) => { before.set(name, await lastZxid(current, current.members.find((m) => m.name === name)!).catch(() => undefined)); },
      started: (name) => {
        const step = (async () => {
          const member = target.members.find((m) => m.name === name)!;
          await this.cluster.probeUntil(member, 'readinessProbe', true, 180_000);
          const after = await lastZxid(target, member).catch(() => undefined);
          const had = before.get(name);
          expect(after !== undefined && had !== undefined && after >= had, `${name} came back at zxid ${after === undefined ? 'none' : hex(after)}, below the ${had === undefined ? '?' : hex(had)} it had`);
          const versions = (await Promise.all(target.members.map((m) => memberReport(target, m)))).map((r) => r.version).join('/');
          // The roll goes on meanwhile: the next member may be going already, and does not answer.
          const served = await Promise.all(target.members.map((m) => lastZxid(target, m).catch(() => undefined)));
          const now = served.reduce<bigint>((a, b) => (b !== undefined && b > a ? b : a), 0n);
          expect(now >= highest, `the highest zxid served went down from ${hex(highest)} to ${hex(now)} after ${name} was replaced`);
          highest = now;
          return { name, before: had, after, versions, highest: now };
        })();
        // Awaited once the roll is over; a failure meanwhile must not end the process.
        step.catch(() => undefined);
        watched.push(step);
      },
    };
    return { watched };
  }

  /**
   * Writes acknowledged while every member served and versions were mixed: from each replaced
   * member's Ready (the kubelet's verdict in the model) to the next eviction. Each window must have some.
   */
  private acksWhileMixed(api: ApiServerModel, acks: number[]): number[] {
    const evictions = api.events.filter((e) => e.what === 'evicted');
    return evictions.slice(0, -1).map((e, i) => {
      const ready = api.events.find((x) => x.pod === e.pod && x.what === 'ready' && x.at >= e.at)?.at;
      const next = evictions[i + 1].at;
      const count = ready === undefined ? 0 : acks.filter((t) => t >= ready && t <= next).length;
      expect(count > 0, `no write was acknowledged between ${e.pod}'s return (Ready) and the next eviction, while versions were mixed`);
      return count;
    });
  }
}

/** The longest time between two acknowledged writes from `start` on, and when it began. */
function longestGapFrom(times: number[], start: number): { ms: number; at: number } {
  const sorted = [...times].sort((a, b) => a - b);
  let best = { ms: 0, at: start };
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i] > start && sorted[i] - sorted[i - 1] > best.ms) best = { ms: sorted[i] - sorted[i - 1], at: sorted[i - 1] };
  }
  return best;
}
