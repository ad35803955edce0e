// A change rolled out the way the StatefulSet's RollingUpdate rolls it, under a writer: the changed
// ConfigMaps are updated in place first (the kubelet refreshes mounted ConfigMaps; a member reads
// them at its next start), then the pods are replaced from the highest ordinal down, each Ready
// before the next. Checked on every step: the replaced member came back at a zxid no lower than it
// had, the highest zxid served did not go down, and writes are acknowledged in the new state.
// Afterwards: every acknowledged write is present. Elections are counted from the zxid's epoch,
// which each new leader raises.
import { ZooKeeperClient } from './client';
import { PodmanCluster } from './cluster';
import { Ensemble } from './ensemble';
import { ExpandedPod, find } from './expand';
import { waitFor } from './podman';
import { longestGap } from './scenario-partitions';

/** A write-loop's bound: far more than a roll takes. */
const WRITER_SECONDS = 900;
/** Acks to see from the writer before the roll, and after each step. */
const ACKS_PER_STATE = 20;

const expect = (ok: boolean, message: string) => { if (!ok) throw new Error(message); };
export const epochOf = (zxid: bigint) => zxid >> 32n;
export const hex = (zxid: bigint) => `0x${zxid.toString(16)}`;

export interface RollResult {
  readonly rolledMs: number;
  /** What `describe` said after each replacement, in order. */
  readonly states: string[];
  readonly startZxid: bigint;
  readonly endZxid: bigint;
  /** Leader elections during the roll: the epochs the zxid went through. */
  readonly elections: number;
  readonly longestGapMs: number;
  readonly acked: number;
}

/**
 * Rolls `current` (running) onto `target` (the same members, the new synthesis) under a writer
 * through every member, writing under `prefix`. `describe` reports the state after each step
 * (e.g. the members' versions); it may also assert.
 */
export async function rollUnderWrites(cluster: PodmanCluster, client: ZooKeeperClient, current: Ensemble, target: Ensemble,
  prefix: string, describe: () => Promise<string>): Promise<RollResult> {
  // This is the StatefulSet controller's RollingUpdate; an OnDelete StatefulSet is rolled by the
  // roll Job instead (e2e/roll-job.ts), which this does not play.
  const strategies = find(target.objects, 'StatefulSet').map((sts) => sts.spec.updateStrategy?.type ?? 'RollingUpdate');
  expect(strategies.every((t) => t === 'RollingUpdate'), `the target's StatefulSets use ${strategies.join(', ')}: only RollingUpdate is played here`);
  await current.waitForQuorum(120_000);
  const dataOf = (name: string) => JSON.stringify(current.configMaps.find((c) => c.metadata.name === name)?.data);
  const changedMaps = target.configMaps.filter((c) => JSON.stringify(c.data) !== dataOf(c.metadata.name));
  const writer = client.stoppableWriteLoop(current.hosts(), prefix, WRITER_SECONDS);
  const acksSince = (t: number) => writer.events.filter((e) => e.acked !== undefined && e.t * 1000 > t).length;
  try {
    await waitFor('the writer to get going', 30_000, 100, async () => acksSince(0) >= ACKS_PER_STATE || undefined);
    const startZxid = await highestZxid(current);
    const start = Date.now();
    await cluster.updateConfigMaps(changedMaps);
    const states: string[] = [];
    let highest = startZxid;
    for (const member of [...target.members].reverse()) {
      const before = await lastZxid(current, member);
      await cluster.deletePod(member.name);
      await target.start([member]);
      await cluster.probeUntil(member, 'readinessProbe', true, 120_000);
      const after = await lastZxid(target, member);
      expect(after !== undefined && before !== undefined && after >= before,
        `${member.name} came back at zxid ${after === undefined ? 'none' : hex(after)}, below the ${before === undefined ? '?' : hex(before)} it had`);
      await target.waitForQuorum(60_000);
      const stepAt = Date.now();
      states.push(await describe());
      await waitFor(`acks after ${member.name} was replaced`, 30_000, 100, async () => acksSince(stepAt) >= ACKS_PER_STATE || undefined);
      const now = await highestZxid(target);
      expect(now >= highest, `the highest zxid served went down from ${hex(highest)} to ${hex(now)} after ${member.name} was replaced`);
      highest = now;
    }
    const rolledMs = Date.now() - start;
    const endZxid = await highestZxid(target);
    const events = await writer.stop();
    const acked = events.filter((e) => e.acked !== undefined).map((e) => e.acked!);
    const stored = new Set(await client.read(target.hosts(), prefix));
    const lost = acked.filter((seq) => !stored.has(seq)).length;
    expect(lost === 0, `${lost} of ${acked.length} acknowledged writes are missing after the roll`);
    return {
      rolledMs, states, startZxid, endZxid,
      elections: Number(epochOf(endZxid) - epochOf(startZxid)),
      longestGapMs: longestGap(events.filter((e) => e.acked !== undefined).map((e) => e.t * 1000), start),
      acked: acked.length,
    };
  } finally {
    await writer.stop().catch(() => undefined);
  }
}

/** The roll's figures for a summary line. */
export function rollFigures(target: Ensemble, r: RollResult): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  return `${[...target.members].reverse().map((m) => m.name).join(', ')} replaced one at a time, each Ready, in ${s(r.rolledMs)}; `
    + `${r.elections} leader election(s) (zxid epoch ${epochOf(r.startZxid)} -> ${epochOf(r.endZxid)}), longest write gap ${s(r.longestGapMs)}; `
    + `no member back below its zxid, highest zxid ${hex(r.startZxid)} -> ${hex(r.endZxid)}; ${r.acked} writes acked, 0 lost`;
}

/** The member's last processed zxid (AdminServer `srvr`), or undefined when it does not answer. */
export async function lastZxid(ensemble: Ensemble, member: ExpandedPod): Promise<bigint | undefined> {
  const { status, body } = await ensemble.adminCommand(member, 'srvr');
  const zxid = status === 200 ? body?.server_stats?.last_processed_zxid : undefined;
  return typeof zxid === 'number' ? BigInt(zxid) : undefined;
}

/** The highest zxid any serving member has processed. */
export async function highestZxid(ensemble: Ensemble): Promise<bigint> {
  const zxids = (await Promise.all(ensemble.members.map((m) => lastZxid(ensemble, m)))).filter((z): z is bigint => z !== undefined);
  expect(zxids.length > 0, 'no member reports a zxid');
  return zxids.reduce((a, b) => (a > b ? a : b));
}
