// A change rolled out by the project's default roll, under a writer: the apply updates the changed
// ConfigMaps (the kubelet refreshes mounted ones; a member reads them at its next start) and the
// StatefulSet's template, and the roll Job of the new synthesis replaces the voters against the
// harness's API server model (api-server.ts, roll-job.ts), followers first and the leader last.
// Checked: the Job's own verdict (exit 0, every pod of the new revision, no call refused by its
// Role), the leader replaced last, each replaced member back at a zxid no lower than it had, the
// highest zxid served never going down, writes acknowledged between each return and the next
// eviction, and afterwards every acknowledged write present and every member running the release
// its pod is labelled with and the configuration zoo.cfg intends (member-configuration.ts).
// Elections are counted from the zxid's epoch, which each new leader raises; the caller says how
// many it allows.
import * as fs from 'fs';
import { ApiServerModel } from './api-server';
import { StoppableWriter, ZooKeeperClient } from './client';
import { PodmanCluster } from './cluster';
import { Ensemble } from './ensemble';
import { find } from './expand';
import { assertMembersRun, describeMembers, MemberReport } from './member-configuration';
import { waitFor } from './podman';
import { apiServerTls, logsSince, PlayedPods, startRoll } from './roll-job';
import { epochOf, hex, highestZxid, lastZxid } from './zxid';
import { errorsDuring, longestGap } from './scenario-partitions';
import { memberTimeline, NEW_LEADER, peerFailures } from './scenario-roll';

/** Acks to see from the writer before the roll, and after it. */
const ACKS_BEFORE = 20;

const expect = (ok: boolean, message: string) => { if (!ok) throw new Error(message); };
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export interface JobRollContext {
  readonly cluster: PodmanCluster;
  readonly client: ZooKeeperClient;
  /** The pods behind the model, with every ensemble whose template the roll may meet added. */
  readonly pods: PlayedPods;
  /** Where the model's TLS material goes. */
  readonly workdir: string;
}

export interface JobRoll {
  readonly leaderBefore: string;
  /** The members in the order the Job evicted them. */
  readonly order: string[];
  readonly rollMs: number;
  readonly startZxid: bigint;
  readonly endZxid: bigint;
  readonly elections: number;
  /** What each election took, by the new leader's log. */
  readonly electionsTook: string[];
  /** What `describe` said once each replaced member was Ready again, in order. */
  readonly states: string[];
  /** Writes acknowledged between each replaced member's Ready and the next eviction. */
  readonly acksBetween: number[];
  readonly acked: number;
  /** What every member reports after the roll: its version and its configuration's checksum. */
  readonly members: MemberReport[];
  /** Everything above as one line for a scenario's row. */
  readonly figures: string;
}

/**
 * Rolls `current` (running) onto `target` (the same members, the new synthesis) by the roll Job,
 * under a writer through every member writing under `prefix`. `describe` reports the state after
 * each replacement (e.g. the members' versions, or roles); it may also assert.
 */
export async function rollByJobUnderWrites(ctx: JobRollContext, current: Ensemble, target: Ensemble, prefix: string,
  describe: () => Promise<string>): Promise<JobRoll> {
  const { cluster, client, pods } = ctx;
  await current.waitForQuorum(120_000);
  const leaderBefore = (await current.leader()).name;
  pods.since = new Date();
  pods.removedLogs.length = 0;
  const api = new ApiServerModel(current.objects, pods);
  const tls = await apiServerTls(cluster, ctx.workdir);
  const endpoint = { host: tls.gateway, port: await api.listen(tls), caPem: fs.readFileSync(tls.ca) };
  const writer: StoppableWriter = client.stoppableWriteLoop(current.hosts(), prefix, 900);
  const ackTimes = () => writer.events.filter((e) => e.acked !== undefined).map((e) => e.t * 1000);
  try {
    await waitFor('the writer to get going', 30_000, 100, async () => ackTimes().length >= ACKS_BEFORE || undefined);
    const startZxid = await highestZxid(current);
    const steps = watchSteps(ctx, current, target, startZxid, describe);
    const start = Date.now();
    // The apply: changed ConfigMaps reach the running pods' volumes, the StatefulSet gets the new template.
    const dataOf = (name: string) => JSON.stringify(current.configMaps.find((c) => c.metadata.name === name)?.data);
    await cluster.updateConfigMaps(target.configMaps.filter((c) => JSON.stringify(c.data) !== dataOf(c.metadata.name)));
    const { finished } = await startRoll(cluster, target, api, endpoint);
    api.apply(find(target.objects, 'StatefulSet')[0]);
    const { code, log, seconds } = await finished;
    await api.settled();
    const states = await Promise.all(steps);
    pods.watch = undefined;
    const rollMs = Date.now() - start;
    expect(code === 0, `the roll Job exited ${code}:\n${log}`);
    const order = [...log.matchAll(/^roll: evicting (\S+)/gm)].map((m) => m[1]);
    expect(order.length === target.members.length && order[order.length - 1] === leaderBefore, `the leader ${leaderBefore} was not replaced last: ${order.join(', ')}`);
    const outdated = Object.entries(api.podRevisions()).filter(([, r]) => r !== api.updateRevision).map(([n]) => n);
    expect(outdated.length === 0, `pods not of the new revision after the roll: ${outdated.join(', ')}`);
    const refused = api.calls.filter((c) => c.code === 403 || c.code === 401);
    expect(refused.length === 0, `the roller made calls its Role does not grant: ${JSON.stringify(refused)}`);
    await target.waitForQuorum(60_000);
    const members = await assertMembersRun(target);
    const endZxid = await highestZxid(target);
    const elections = Number(epochOf(endZxid) - epochOf(startZxid));
    const acksBetween = acksBetweenSteps(api, ackTimes());
    await waitFor('acks after the roll', 30_000, 100, async () => ackTimes().filter((t) => t > start + rollMs).length >= ACKS_BEFORE || undefined);
    const events = await writer.stop();
    const acked = events.filter((e) => e.acked !== undefined).map((e) => e.acked!);
    const stored = new Set(await client.read(target.hosts(), prefix));
    const lost = acked.filter((seq) => !stored.has(seq)).length;
    expect(lost === 0, `${lost} of ${acked.length} acknowledged writes are missing after the roll`);
    const gap = longestGap(ackTimes(), start);
    const logs = [...pods.removedLogs, ...await Promise.all(target.members.map((m) => logsSince(cluster, m.name, pods.since)))];
    const electionsTook = logs.flatMap((l) => [...l.matchAll(NEW_LEADER)].map((m) => `${m[1]} ms`));
    const peers = peerFailures(logs);
    const figures = `the roll Job (leader ${leaderBefore} last) replaced ${order.join(', ')} in ${s(rollMs)} (Job ${seconds.toFixed(1)} s): `
      + `${elections} election(s) (took ${electionsTook.join(', ') || '-'} by the new leader's log; zxid epoch ${epochOf(startZxid)} -> ${epochOf(endZxid)}), `
      + `longest write gap ${s(gap.ms)} (from ${s(gap.at - start)} into the roll; the writer's failed attempts in it: ${errorsDuring(events, gap)}), ${acked.length} writes acked, 0 lost; `
      + `no member back below its zxid, highest zxid ${hex(startZxid)} -> ${hex(endZxid)}; per member ${memberTimeline(api, log)}; `
      + `every member after the roll: ${describeMembers(members)}; peer failures logged during the roll: ${peers}`;
    return { leaderBefore, order, rollMs, startZxid, endZxid, elections, electionsTook, states, acksBetween, acked: acked.length, members, figures };
  } finally {
    pods.watch = undefined;
    await writer.stop().catch(() => undefined);
    await api.close();
  }
}

/**
 * Watches each replacement the roll Job causes: the member's zxid before its pod goes, and once
 * its replacement is Ready (its own probe, on the probe's period) its zxid again, `describe`, and
 * the highest zxid served, which must never go down. Resolved (or rejected) once the roll is over.
 */
function watchSteps(ctx: JobRollContext, current: Ensemble, target: Ensemble, startZxid: bigint, describe: () => Promise<string>): Promise<string>[] {
  const before = new Map<string, bigint | undefined>();
  const watched: Promise<string>[] = [];
  let highest = startZxid;
  ctx.pods.watch = {
    going: async (name) => { before.set(name, await lastZxid(current, current.members.find((m) => m.name === name)!).catch(() => undefined)); },
    started: (name) => {
      const step = (async () => {
        const member = target.members.find((m) => m.name === name)!;
        await ctx.cluster.probeUntil(member, 'readinessProbe', true, 180_000);
        const after = await lastZxid(target, member).catch(() => undefined);
        const had = before.get(name);
        expect(after !== undefined && had !== undefined && after >= had, `${name} came back at zxid ${after === undefined ? 'none' : hex(after)}, below the ${had === undefined ? '?' : hex(had)} it had`);
        const state = await describe();
        // The roll goes on meanwhile: the next member may be going already, and does not answer;
        // when it was the leader, none does until the others have elected.
        const now = await waitFor('a member to report its zxid', 60_000, 200, async () => {
          const served = (await Promise.all(target.members.map((m) => lastZxid(target, m).catch(() => undefined)))).filter((z): z is bigint => z !== undefined);
          return served.length === 0 ? undefined : served.reduce((a, b) => (b > a ? b : a));
        });
        expect(now >= highest, `the highest zxid served went down from ${hex(highest)} to ${hex(now)} after ${name} was replaced`);
        highest = now;
        return state;
      })();
      // Awaited once the roll is over; a failure meanwhile must not end the process.
      step.catch(() => undefined);
      watched.push(step);
    },
  };
  return watched;
}

/**
 * Writes acknowledged while every member served, between each replaced member's Ready (the
 * kubelet's verdict in the model) and the next eviction. Each window must have some.
 */
function acksBetweenSteps(api: ApiServerModel, acks: number[]): number[] {
  const evictions = api.events.filter((e) => e.what === 'evicted');
  return evictions.slice(0, -1).map((e, i) => {
    const ready = api.events.find((x) => x.pod === e.pod && x.what === 'ready' && x.at >= e.at)?.at;
    const next = evictions[i + 1].at;
    const count = ready === undefined ? 0 : acks.filter((t) => t >= ready && t <= next).length;
    expect(count > 0, `no write was acknowledged between ${e.pod}'s return (Ready) and the next eviction`);
    return count;
  });
}
