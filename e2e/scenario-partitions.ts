// Scenario 20: network partitions on dist/prod. One member at a time is cut off from its peers
// (quorum and election ports) while clients can still reach every member, under two writers: one
// with every member in its connection string, one that can reach only the cut member. Per case it
// asserts that no acknowledged write is lost, that the cut member acknowledges nothing, and that
// the cut member serves again soon after the network heals, whatever the cut's length (after a long
// cut with the help of rejoin-watch, which restarts a server left in election); it
// measures the time to a new leader, to "not serving" and to NotReady (the manifest's readiness
// probe, played as the kubelet plays it), the longest write gap and the cut member's log volume.
import { StoppableWriter } from './client';
import { ExpandedPod, find, Manifest } from './expand';
import { CutDirection, heal, partition } from './network-partition';
import { sleep, waitFor } from './podman';
import { Context, PREFIX } from './scenarios';

export interface PartitionCase {
  readonly name: string;
  /** Which member loses its peers. */
  readonly cut: 'leader' | 'follower';
  readonly direction: CutDirection;
  readonly seconds: number;
}

/** The cases, in the order they run; 150 s is well past ZooKeeper's own 60 s back-off cap. */
export const PARTITION_CASES: readonly PartitionCase[] = [
  { name: 'the leader cut off for 15 s', cut: 'leader', direction: 'both', seconds: 15 },
  { name: 'a follower cut off for 75 s', cut: 'follower', direction: 'both', seconds: 75 },
  { name: 'one-way for 30 s: the leader sends but receives nothing', cut: 'leader', direction: 'inbound', seconds: 30 },
  { name: 'the leader cut off for 150 s, past ZooKeeper\'s default back-off cap', cut: 'leader', direction: 'both', seconds: 150 },
];

/**
 * How soon a healed member must serve again, whatever the cut's length. After a short cut, its next
 * election round (at most the back-off cap, 2 s) and a sync: 1.4-3.7 s measured after cuts of
 * 15-75 s. After a long one, TCP would add the wait for the next retransmission on the election
 * connections that lived through the cut (up to 120 s apart; 70 s measured after a 150 s cut), so
 * rejoin-watch restarts the server once it has been in election for 20 s while a leader has been
 * reachable for 5 s: with its 2 s poll, the restart and a sync, about 10 s (docs/partitions.md).
 */
export const SERVE_AGAIN_BOUND_MS = 25_000;
/** The manifest's timing that bounds how a cut plays out: zoo.cfg's clock and the readiness probe. */
export interface PartitionTiming {
  readonly tickTime: number;
  readonly initLimit: number;
  readonly syncLimit: number;
  readonly readinessPeriodMs: number;
  readonly readinessFailureThreshold: number;
}

/**
 * The longest a writer with every member in its connection string may go without an ack: the
 * cut-off leader steps down after at most (syncLimit + 1) x tickTime (6 s with the defaults), the
 * others elect at once, and the client's 6 s session gives up on a silent server after 4 s; 12 s
 * with the defaults. A one-way cut adds initLimit x tickTime (20 s): the cut leader's election
 * votes still reach the others, and a follower that took its vote tries to connect to it for that
 * long before it gives up and elects again (measured: 25.9 s; other runs 5.6 s, when the two
 * agreed on each other first).
 */
export function writeGapBoundMs(t: PartitionTiming, direction: CutDirection): number {
  const bound = (t.syncLimit + 1) * t.tickTime + 6_000;
  return direction === 'inbound' ? bound + t.initLimit * t.tickTime : bound;
}

/**
 * The longest a cut-off member may stay Ready: it stops serving after at most (syncLimit + 1) x
 * tickTime, the readiness probe needs failureThreshold failures a period apart, plus one period
 * of phase and 2 s for the probes' own run time; 14 s with the defaults (syncLimit 2, every 2 s,
 * 2 failures). With the old defaults (syncLimit 5, every 5 s) it was 16-21 s.
 */
export function notReadyBoundMs(t: PartitionTiming): number {
  return (t.syncLimit + 1) * t.tickTime + (t.readinessFailureThreshold + 1) * t.readinessPeriodMs + 2_000;
}

/** The timing the played manifest sets (a user's environment may change any of it). */
export function manifestTiming(objects: Manifest[]): PartitionTiming {
  const zooCfg = find(objects, 'ConfigMap').map((c) => c.data?.['zoo.cfg']).find((text) => text !== undefined) ?? '';
  const entry = (key: string) => {
    const value = new RegExp(`^${key}=(\\d+)$`, 'm').exec(zooCfg)?.[1];
    if (value === undefined) throw new Error(`zoo.cfg of the played manifest has no ${key}`);
    return Number(value);
  };
  const probe = find(objects, 'StatefulSet')[0]?.spec.template.spec.containers[0].readinessProbe;
  return {
    tickTime: entry('tickTime'), initLimit: entry('initLimit'), syncLimit: entry('syncLimit'),
    readinessPeriodMs: (probe?.periodSeconds ?? 10) * 1000, readinessFailureThreshold: probe?.failureThreshold ?? 3,
  };
}
/** An ack the client receives this soon after the rules are in place may have left the server before. */
const IN_FLIGHT_MS = 500;

const expect = (ok: boolean, message: string) => { if (!ok) throw new Error(message); };
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

interface Timeline {
  newLeaderMs?: number;
  notServingMs: number;
  notReadyMs: number;
  serveAgainMs: number;
  readyAgainMs: number;
  rejoinedAs?: string;
  /** Whether rejoin-watch restarted its server after the heal (its line in the container log). */
  restartedByWatch: boolean;
  /** Lines the cut member logged while cut off: all of them, and those of leader election. */
  logLines: number;
  electionLogLines: number;
  electionRounds: number;
  /** The longest wait between two election rounds the cut member logged while cut off. */
  longestRoundMs: number;
  /** The back-off cap the server reported when it started (it logs the property it read). */
  backoffCapMs?: number;
}

/** Runs one case on the running ensemble and returns its figures for the summary. */
export async function partitionCase(ctx: Context, c: PartitionCase, index: number): Promise<string> {
  const { ensemble } = ctx;
  await ensemble.waitForQuorum(60_000);
  const leader = await ensemble.leader();
  const target = c.cut === 'leader' ? leader : ensemble.members.find((m) => m !== leader)!;
  const prefix = `${PREFIX}/partition-${index}`;
  const writerSeconds = c.seconds + SERVE_AGAIN_BOUND_MS / 1000 + 60;
  const everyone = ctx.client.stoppableWriteLoop(ensemble.hosts(), `${prefix}-all`, writerSeconds);
  const minority = ctx.client.stoppableWriteLoop(ensemble.hosts([target]), `${prefix}-cut`, writerSeconds);
  try {
    for (const writer of [everyone, minority]) await waitFor('a writer to get going', 30_000, 100, async () => acks(writer).length >= 20 || undefined);
    const { timeline, cutAt, healAt } = await cutAndHeal(ctx, c, target, leader);
    await waitFor('acks through the healed member', 60_000, 200, async () => acks(minority).filter((t) => t > healAt).length >= 5 || undefined);
    await waitFor('acks after the heal', 30_000, 100, async () => acks(everyone).filter((t) => t > healAt).length >= 5 || undefined);
    const [all, cut] = [await everyone.stop(), await minority.stop()];

    const fromMinority = acks(minority).filter((t) => t > cutAt + IN_FLIGHT_MS && t < healAt);
    expect(fromMinority.length === 0, `the cut-off ${target.name} acknowledged ${fromMinority.length} writes while it was cut off`);
    const lost = await lostWrites(ctx, `${prefix}-all`, all) + await lostWrites(ctx, `${prefix}-cut`, cut);
    expect(lost === 0, `${lost} acknowledged writes are missing after the heal`);
    const bound = SERVE_AGAIN_BOUND_MS;
    expect(timeline.serveAgainMs <= bound, `${target.name} served again only ${s(timeline.serveAgainMs)} after the heal (bound ${s(bound)})`);
    // ZooKeeper's own back-off: the server runs with the manifest's cap, and no election round of
    // the cut member waited longer (with ZooKeeper's default, waits grow to 60 s within a minute).
    const capMs = manifestBackoffCapMs(ctx);
    expect(timeline.backoffCapMs === capMs, `the server reports a back-off cap of ${timeline.backoffCapMs} ms, the manifest sets ${capMs}`);
    expect(capMs !== undefined && timeline.longestRoundMs <= capMs, `the cut member waited ${timeline.longestRoundMs} ms between election rounds (cap ${capMs} ms)`);
    const timing = manifestTiming(ensemble.objects);
    const notReadyBound = notReadyBoundMs(timing);
    expect(timeline.notReadyMs <= notReadyBound, `${target.name} stayed Ready for ${s(timeline.notReadyMs)} after the cut (bound ${s(notReadyBound)})`);
    const gapMs = longestGap(acks(everyone), cutAt).ms;
    const gapBound = writeGapBoundMs(timing, c.direction);
    expect(gapMs <= gapBound, `writers went ${s(gapMs)} without an ack (bound ${s(gapBound)})`);
    return figures(c, target, leader, timeline, gapMs, acks(everyone).length + acks(minority).length);
  } finally {
    await Promise.all([everyone.stop(), minority.stop()]).catch(() => undefined);
  }
}

/** Cuts the member off, watches it and the others, heals after the case's length, watches it come back. */
async function cutAndHeal(ctx: Context, c: PartitionCase, target: ExpandedPod, leader: ExpandedPod) {
  const { ensemble, cluster } = ctx;
  const ports = [ensemble.containerPort('quorum')!, ensemble.containerPort('election')!];
  const others = ensemble.members.filter((m) => m !== target);
  const logBefore = await cluster.logs(target.name);
  await partition(cluster, target.name, ports, c.direction);
  const cutAt = Date.now();
  const watch = Math.max(c.seconds * 1000, 30_000);
  const [notServingMs, notReady, newLeaderMs] = await Promise.all([
    waitFor(`${target.name} to stop serving`, watch, 200, async () => (await ensemble.role(target)) === undefined ? Date.now() - cutAt : undefined),
    cluster.probeUntil(target, 'readinessProbe', false, watch),
    c.cut === 'leader'
      ? waitFor('a new leader among the others', watch, 200, async () => ((await ensemble.roles(others)).includes('leader') ? Date.now() - cutAt : undefined))
      : Promise.resolve(undefined),
  ]);
  if (c.cut === 'follower') expect((await ensemble.role(leader)) === 'leader', `${leader.name} stopped leading when a follower was cut off`);
  await sleep(Math.max(0, cutAt + c.seconds * 1000 - Date.now()));
  const logCut = await cluster.logs(target.name);
  await heal(cluster, target.name, ports, c.direction);
  const healAt = Date.now();
  const [serveAgainMs, readyAgain] = await Promise.all([
    waitFor(`${target.name} to serve again`, SERVE_AGAIN_BOUND_MS + 30_000, 200, async () => ((await ensemble.role(target)) !== undefined ? Date.now() - healAt : undefined)),
    cluster.probeUntil(target, 'readinessProbe', true, SERVE_AGAIN_BOUND_MS + 30_000),
  ]);
  const cutLog = logCut.slice(logBefore.length);
  const healedLog = (await cluster.logs(target.name)).slice(logCut.length);
  const rounds = [...cutLog.matchAll(/Notification time out: (\d+) ms/g)].map((m) => Number(m[1]));
  const timeline: Timeline = {
    newLeaderMs, notServingMs, notReadyMs: notReady.ms, serveAgainMs, readyAgainMs: readyAgain.ms,
    rejoinedAs: await ensemble.role(target),
    restartedByWatch: /rejoin-watch: member \d+: in leader election/.test(healedLog),
    logLines: cutLog.split('\n').filter((line) => line.trim()).length,
    electionLogLines: cutLog.split('\n').filter((line) => /FastLeaderElection|QuorumCnxManager/.test(line)).length,
    electionRounds: rounds.length,
    longestRoundMs: Math.max(0, ...rounds),
    backoffCapMs: [...logBefore.matchAll(/zookeeper\.fastleader\.maxNotificationInterval = (\d+) ms/g)].map((m) => Number(m[1])).pop(),
  };
  return { timeline, cutAt, healAt };
}

/** The election back-off cap dist/prod's jvm.options sets, or undefined when it sets none. */
function manifestBackoffCapMs(ctx: Context): number | undefined {
  const options = ctx.ensemble.configMaps.map((c) => c.data?.['jvm.options']).find((text) => text !== undefined) ?? '';
  const value = /^-Dzookeeper\.fastleader\.maxNotificationInterval=(\d+)$/m.exec(options)?.[1];
  return value === undefined ? undefined : Number(value);
}

/** Ack times in ms, in the order the writer printed them. */
function acks(writer: StoppableWriter): number[] {
  return writer.events.filter((e) => e.acked !== undefined).map((e) => e.t * 1000);
}

/**
 * The longest silence between two acks, from the last ack before `from` on, and when it began
 * (the earlier ack). Shared by the scenarios that measure a write gap (partitions, rolls).
 */
export function longestGap(times: number[], from: number): { ms: number; at: number } {
  const sorted = [...times].sort((a, b) => a - b);
  let longest = { ms: 0, at: from };
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i] > from && sorted[i] - sorted[i - 1] > longest.ms) longest = { ms: sorted[i] - sorted[i - 1], at: sorted[i - 1] };
  }
  return longest;
}

/**
 * What the writer's failed attempts in a gap said, by message, first seen first: `2x ConnectionLoss
 * (first at +0.1 s)`. Where a write gap's time went, from the client's side.
 */
export function errorsDuring(events: readonly { acked?: number; error?: string; t: number }[], gap: { ms: number; at: number }): string {
  const seen = new Map<string, { n: number; first: number }>();
  for (const e of events) {
    const at = e.t * 1000;
    if (e.error === undefined || at < gap.at || at > gap.at + gap.ms) continue;
    const key = e.error.length > 80 ? `${e.error.slice(0, 80)}...` : e.error;
    const entry = seen.get(key) ?? { n: 0, first: at };
    entry.n += 1;
    seen.set(key, entry);
  }
  return seen.size === 0 ? 'no failed attempt'
    : [...seen].map(([key, { n, first }]) => `${n}x ${key} (first at +${((first - gap.at) / 1000).toFixed(1)} s)`).join(', ');
}

/** Reads the prefix back through every member; records the acks for the later scenarios. */
async function lostWrites(ctx: Context, prefix: string, events: { acked?: number }[]): Promise<number> {
  const acked = events.filter((e) => e.acked !== undefined).map((e) => e.acked!);
  ctx.acked.set(prefix, acked);
  const stored = new Set(await ctx.client.read(ctx.ensemble.hosts(), prefix));
  return acked.filter((seq) => !stored.has(seq)).length;
}

function figures(c: PartitionCase, target: ExpandedPod, leader: ExpandedPod, t: Timeline, gapMs: number, acked: number): string {
  const perMinute = (n: number) => (n / (c.seconds / 60)).toFixed(0);
  return [
    `${target.name} (${target === leader ? 'leader' : 'follower'}) cut ${c.direction === 'both' ? 'both ways' : 'inbound only'} for ${c.seconds} s`,
    t.newLeaderMs === undefined ? `${leader.name} kept leading` : `new leader after ${s(t.newLeaderMs)}`,
    `cut member not serving after ${s(t.notServingMs)}, NotReady (kubelet) after ${s(t.notReadyMs)}`,
    `longest write gap ${s(gapMs)}`,
    `healed: serving again after ${s(t.serveAgainMs)} (as ${t.rejoinedAs}${t.restartedByWatch ? ', its server restarted by rejoin-watch' : ', by itself'}), Ready after ${s(t.readyAgainMs)}`,
    `back-off cap ${t.backoffCapMs ?? '?'} ms (server log); while cut: ${t.electionRounds} election rounds timed out (longest wait ${t.longestRoundMs} ms), `
      + `${t.electionLogLines} election log lines (${perMinute(t.electionLogLines)}/min) of ${t.logLines} in all (the rest: refused client connections)`,
    `${acked} writes acked, 0 lost, 0 acked by the cut member`,
  ].join('; ');
}
