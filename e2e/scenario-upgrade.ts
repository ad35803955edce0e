// Scenario 25: a version upgrade by changing the image profile, 3.8.4 -> 3.9.4, rolled as the
// StatefulSet's RollingUpdate rolls it (highest ordinal first, each pod Ready before the next),
// under a writer; then the downgrade back the same way. The production environment's settings
// are played under their own name, once with the default profile and once with
// `image: { profile: apache, version: 3.9.4, reference: ... }`, both on the local builds. Between
// the two syntheses only the image, the classpath and the version labels differ: no ConfigMap
// changes, so members not yet replaced keep running what they read at start.
//
// Asserted per roll: every acknowledged write is present afterwards; no member comes back with a
// lower zxid than it had; the highest zxid served never goes down; while versions are mixed,
// every member serves and writes are acknowledged; afterwards every member reports the new version.
// Measured: the leader elections the roll cost (the zxid's epoch, which each new leader raises),
// the longest write gap and the roll's length.
import { ZooKeeperClient } from './client';
import { PodmanCluster } from './cluster';
import { Ensemble, synthesizeToYaml } from './ensemble';
import { ExpandedPod } from './expand';
import { Flavour, FLAVOURS, prodEnvironment, prodSettingsOn } from './flavours';
import { waitFor } from './podman';
import { longestGap } from './scenario-partitions';
import { PREFIX } from './scenarios';

const NAME = 'zkup';
/** A write-loop's bound: far more than two rolls take. */
const WRITER_SECONDS = 900;
/** Acks to see from the writer before a roll, and in each mixed-version state. */
const ACKS_PER_STATE = 20;

const expect = (ok: boolean, message: string) => { if (!ok) throw new Error(message); };
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const epochOf = (zxid: bigint) => zxid >> 32n;
const hex = (zxid: bigint) => `0x${zxid.toString(16)}`;

export class UpgradeDrill {
  private readonly ensembles: Record<'from' | 'to', Ensemble>;
  private readonly flavours: Record<'from' | 'to', Flavour> = { from: FLAVOURS.default, to: FLAVOURS.zookeeper39 };
  private rolls = 0;

  constructor(private readonly cluster: PodmanCluster, private readonly client: ZooKeeperClient) {
    this.ensembles = {
      from: new Ensemble(synthesizeToYaml(prodSettingsOn(this.flavours.from, NAME)), cluster),
      to: new Ensemble(synthesizeToYaml(prodSettingsOn(this.flavours.to, NAME)), cluster),
    };
  }

  public get label(): string {
    return `${prodEnvironment().label}'s settings as ${NAME}, on ${this.flavours.from.label} and ${this.flavours.to.label}`;
  }

  /** 25.1: the ensemble starts on 3.8.4 and is rolled onto 3.9.4. */
  public async upgrade(): Promise<string> {
    const from = this.ensembles.from;
    await from.start();
    await from.waitForQuorum(120_000);
    return this.roll(from, this.ensembles.to, this.flavours.to);
  }

  /** 25.2: the upgraded ensemble is rolled back onto 3.8.4, its data written by 3.9.4 included. */
  public async downgrade(): Promise<string> {
    return this.roll(this.ensembles.to, this.ensembles.from, this.flavours.from);
  }

  public async destroy(): Promise<void> {
    await this.ensembles.from.destroy();
  }

  private async roll(current: Ensemble, target: Ensemble, flavour: Flavour): Promise<string> {
    const version = flavour.profile.props.zookeeperVersion;
    await current.waitForQuorum(120_000);
    const prefix = `${PREFIX}/upgrade-${++this.rolls}`;
    const writer = this.client.stoppableWriteLoop(current.hosts(), prefix, WRITER_SECONDS);
    const acksSince = (t: number) => writer.events.filter((e) => e.acked !== undefined && e.t * 1000 > t).length;
    try {
      await waitFor('the writer to get going', 30_000, 100, async () => acksSince(0) >= ACKS_PER_STATE || undefined);
      const startZxid = await highestZxid(target);
      const start = Date.now();
      const states: string[] = [];
      let highest = startZxid;
      let mixedStates = 0;
      // RollingUpdate: from the highest ordinal down, each replacement Ready before the next.
      for (const member of [...target.members].reverse()) {
        const before = await lastZxid(target, member);
        await this.cluster.deletePod(member.name);
        await target.start([member]);
        await this.cluster.probeUntil(member, 'readinessProbe', true, 120_000);
        const after = await lastZxid(target, member);
        expect(after !== undefined && before !== undefined && after >= before,
          `${member.name} came back on ${version} at zxid ${after === undefined ? 'none' : hex(after)}, below the ${before === undefined ? '?' : hex(before)} it had`);
        await target.waitForQuorum(60_000);
        const versions = await Promise.all(target.members.map(async (m) => (await target.mntr(m)).get('zk_version')?.split('-')[0]));
        const stepAt = Date.now();
        await waitFor(`acks with versions ${versions.join(', ')}`, 30_000, 100, async () => acksSince(stepAt) >= ACKS_PER_STATE || undefined);
        if (new Set(versions).size > 1) mixedStates++;
        const now = await highestZxid(target);
        expect(now >= highest, `the highest zxid served went down from ${hex(highest)} to ${hex(now)} after ${member.name} was replaced`);
        highest = now;
        states.push(versions.join('/'));
      }
      const rolledMs = Date.now() - start;
      const endZxid = await highestZxid(target);
      const events = await writer.stop();
      const ackTimes = events.filter((e) => e.acked !== undefined).map((e) => e.t * 1000);
      const gapMs = longestGap(ackTimes, start);
      const acked = events.filter((e) => e.acked !== undefined).map((e) => e.acked!);
      const stored = new Set(await this.client.read(target.hosts(), prefix));
      const lost = acked.filter((seq) => !stored.has(seq)).length;
      expect(lost === 0, `${lost} of ${acked.length} acknowledged writes are missing after the roll onto ${version}`);
      const finalVersions = await Promise.all(target.members.map(async (m) => (await target.mntr(m)).get('zk_version')?.split('-')[0]));
      expect(finalVersions.every((v) => v === version), `after the roll the members report ${finalVersions.join(', ')}, not ${version}`);
      expect(mixedStates > 0, 'no state of the roll had mixed versions serving');
      const elections = Number(epochOf(endZxid) - epochOf(startZxid));
      return `${target.members.map((m) => m.name).reverse().join(', ')} replaced one at a time, each Ready, in ${s(rolledMs)}; `
        + `versions after each step ${states.join(' -> ')}, ${mixedStates} mixed state(s) serving writes; `
        + `${elections} leader election(s) (zxid epoch ${epochOf(startZxid)} -> ${epochOf(endZxid)}), longest write gap ${s(gapMs)}; `
        + `no member back below its zxid, highest zxid ${hex(startZxid)} -> ${hex(endZxid)}; ${acked.length} writes acked, 0 lost; all report ${version}`;
    } finally {
      await writer.stop().catch(() => undefined);
    }
  }
}

/** The member's last processed zxid (AdminServer `srvr`), or undefined when it does not answer. */
async function lastZxid(ensemble: Ensemble, member: ExpandedPod): Promise<bigint | undefined> {
  const { status, body } = await ensemble.adminCommand(member, 'srvr');
  const zxid = status === 200 ? body?.server_stats?.last_processed_zxid : undefined;
  return typeof zxid === 'number' ? BigInt(zxid) : undefined;
}

/** The highest zxid any serving member has processed. */
async function highestZxid(ensemble: Ensemble): Promise<bigint> {
  const zxids = (await Promise.all(ensemble.members.map((m) => lastZxid(ensemble, m)))).filter((z): z is bigint => z !== undefined);
  expect(zxids.length > 0, 'no member reports a zxid');
  return zxids.reduce((a, b) => (a > b ? a : b));
}
