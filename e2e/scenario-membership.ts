// Scenario 29: the number of voters changed by ZooKeeper's dynamic reconfiguration
// (`membership: 'dynamic'`, docs/membership.md), one `kubectl apply` of the new synthesis per
// step, through the test bed's StatefulSet model (Parallel pod management: every missing ordinal
// created at once, every extra one deleted at once, each deletion running the preStop) and the
// API server's StatefulSet GET that the members' scripts make (statefulset-api.ts).
//
// It plays the library's own settings, not the app's environments: one voter at birth, then
// 1 -> 3 -> 5 -> 3 -> 1 -> 3 -> 5, the last two steps re-adding members onto the claims they were removed
// from (kept, so their data and their copies of the membership are stale). During 3 -> 5 the
// leader's server is killed right after the new pods are created. Before 5 -> 3 the leadership is
// moved to a leaving member (the leader's server restarted until one leads), which must remove
// itself from the voters after the other leaving member (leave-ensemble.sh: the leader leaves last).
//
// Each step runs under a writer connected to the members that stay through it, and afterwards
// asserts: no pod of the old template replaced (changing replicas rolls nothing), every
// acknowledged write on every member, the same data on every member, exactly one leader, and
// every member's voters (AdminServer `voting_view`) equal to the StatefulSet's ordinals. Figures:
// the step's time (apply to settled membership), the writer's longest gap, and the elections
// (new epochs of the zxid; a leader handed over by a reconfig raises it too).
import * as fs from 'fs';
import { Membership, ZooKeeperChartProps } from '../lib';
import { StoppableWriter, ZooKeeperClient } from './client';
import { PlayOptions, PodmanCluster } from './cluster';
import { standInImage, withImage } from './dist';
import { Ensemble, synthesizeToYaml } from './ensemble';
import { ExpandedPod, find, Manifest } from './expand';
import { describeTimeline, joinerTimeline, parseTimedLog } from './joiner-timeline';
import { waitFor } from './podman';
import { PlayedStatefulSet } from './played-statefulset';
import { apiServerTls } from './roll-job';
import { errorsDuring, longestGap } from './scenario-partitions';
import { StatefulSetReadApi } from './statefulset-api';
import { scaleTo } from './statefulset-apply';
import { StatefulSetModel } from './statefulset-model';
import { epochOf, lastZxid } from './zxid';

const expect = (ok: boolean, message: string) => { if (!ok) throw new Error(message); };
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
/** The library's defaults in dynamic mode (born with `bootstrapVoters`): the shape the steps below name. */
const SETTINGS: ZooKeeperChartProps = { namespace: 'zookeeper', membership: Membership.DYNAMIC };
/** The most voters any step has: the pods, claims and hosts the harness knows. */
const MOST = 5;
/** Acks to see before a step's apply, and after its membership has settled. */
export const ACKS_AROUND = 20;
export const STEP_TIMEOUT_MS = 240_000;

export interface MembershipStep {
  readonly from: number;
  readonly to: number;
  /** Kill the leader's server once the step's new pods are created. */
  readonly killLeader?: boolean;
  /** Before the apply, move the leadership to a member the step removes (a scale-down). */
  readonly leaderLeaving?: boolean;
}

export class MembershipDrill {
  protected played?: PlayedStatefulSet;
  protected model?: StatefulSetModel;
  private readonly api: StatefulSetReadApi;
  /** Every member's helpers (exec, roles, AdminServer) for ordinals 0..MOST-1, whichever run. */
  protected readonly ensemble: Ensemble;
  /** The objects the ensemble is born from. */
  protected readonly first: Manifest[];
  private steps = 0;
  /** The API servers' TLS (the network's gateway, and the CA the pods trust), once started. */
  protected apiTls?: { gateway: string; ca: string; cert: string; key: string };

  /** @param bootstrapVoters the voters at birth, and the dynamic synthesis' bootstrap list */
  constructor(protected readonly cluster: PodmanCluster, protected readonly client: ZooKeeperClient, private readonly workdir: string,
    protected readonly bootstrapVoters = 1) {
    this.first = this.born();
    this.ensemble = new Ensemble(this.synthesized(MOST), cluster);
    // The members' Role is the dynamic synthesis' (a static birth has none: its pods never call the API).
    const dynamic = this.synthesized(bootstrapVoters);
    const [statefulSet] = find(dynamic, 'StatefulSet');
    this.api = new StatefulSetReadApi(dynamic, statefulSet.spec.template.spec.serviceAccountName, statefulSet.metadata.namespace ?? 'default',
      (name) => this.statefulSetView(name));
  }

  /** What the API server answers for StatefulSet `name`: the voters' model's (a subclass may hold more). */
  protected statefulSetView(_name: string): { statefulSet: Manifest; status: object } {
    return { statefulSet: this.statefulSets.statefulSet, status: this.statefulSets.status() };
  }

  /** The objects of the ensemble's birth: the dynamic synthesis with the bootstrap voters. */
  protected born(): Manifest[] {
    return this.synthesized(this.bootstrapVoters);
  }

  protected get statefulSets(): StatefulSetModel {
    if (!this.model) throw new Error('the drill has not started');
    return this.model;
  }

  /** The API server up, then the ensemble's birth: the bootstrap voters from the bootstrap list. */
  public async start(): Promise<string> {
    const tls = await apiServerTls(this.cluster, this.workdir);
    this.apiTls = tls;
    const port = await this.api.listen(tls);
    // The pods reach the API on the network's gateway, with the CA that signed its certificate.
    const apiServer = { host: tls.gateway, port, caPem: fs.readFileSync(tls.ca), token: this.api.token };
    this.played = new PlayedStatefulSet(this.cluster, this.first, { apiServer, playOptions: this.playOptions() });
    this.model = new StatefulSetModel(find(this.first, 'StatefulSet')[0], this.played, false);
    const start = Date.now();
    await this.model.converge(180_000, 1000);
    await this.ensemble.waitForQuorum(120_000, this.running());
    await this.settled(this.bootstrapVoters, 60_000);
    return `${this.bootstrapVoters} voter(s) born from ${this.bornFrom} in ${s(Date.now() - start)}`;
  }

  /** One step: the new synthesis applied at once, under a writer; checked once the membership settled. */
  public async transition(step: MembershipStep): Promise<string> {
    const { from, to } = step;
    const objects = this.synthesized(to);
    const model = this.statefulSets;
    const revision = model.revision.update;
    const stay = this.ensemble.members.slice(0, Math.min(from, to));
    const prefix = `/e2e-membership-${++this.steps}`;
    const moved = step.leaderLeaving ? await this.leadershipToALeavingMember(from, to) : '';
    const leader = to < from ? (await this.ensemble.leader(this.running())).name : undefined;
    const epochBefore = await this.epoch(this.running());
    const hooksBefore = this.played!.hooks.length;
    const writer = this.client.stoppableWriteLoop(this.clientHosts(stay), prefix, STEP_TIMEOUT_MS / 1000 + 120, this.clientOptions());
    try {
      await acks(writer, ACKS_AROUND, 60_000);
      const applied = Date.now();
      const scaling = scaleTo(model, this.played!, objects, STEP_TIMEOUT_MS, 1000);
      let killed = '';
      if (step.killLeader) killed = await this.killLeaderOnceCreated(from, to);
      await scaling;
      expect(model.revision.update === revision, `${from} -> ${to} changed the pod template (revision ${revision} -> ${model.revision.update}): it would roll every member`);
      const members = this.running();
      expect(members.length === to, `${members.length} pods run after ${from} -> ${to}`);
      const left = to < from ? this.leftInTheirHooks(hooksBefore, to, from, leader) : '';
      await this.settled(to, STEP_TIMEOUT_MS);
      const settledMs = Date.now() - applied;
      const { events, acked, gap, elections } = await this.writesOfTheStep(writer, applied, members, epochBefore);
      await this.assertSameDataEverywhere(members, prefix, acked.map((e) => e.acked!));
      const joiners = to > from ? `; where the joiners' time went: ${await this.joinerTimelines(this.ensemble.members.slice(from, to), applied)}` : '';
      return `${from} -> ${to}${killed}${moved}: settled in ${s(settledMs)};${left} all ${acked.length} acknowledged writes on each of the ${to} member(s), the same data on each; `
        + `longest write gap ${s(gap.ms)} (${errorsDuring(events, gap)}); ${elections} election(s); voters ${this.voterList(to)} on every member${joiners}`;
    } finally {
      await writer.stop().catch(() => undefined);
    }
  }

  public async destroy(): Promise<void> {
    this.model?.stop();
    await this.model?.settled().catch(() => undefined);
    await this.played?.cleanup();
    await this.api.close();
    const configMaps = new Set([...this.first, ...this.synthesized(MOST)].filter((o) => o.kind === 'ConfigMap').map((c) => c.metadata.name));
    await this.cluster.removeVolumes([...this.ensemble.members.map((m) => `data-${m.name}`), ...configMaps]);
  }

  public get label(): string {
    return `the library's defaults with membership: dynamic (${find(this.first, 'StatefulSet')[0].metadata.name}, born with ${this.bootstrapVoters} voter(s))`;
  }

  protected get bornFrom(): string {
    return 'the bootstrap list';
  }

  /** How the pods are played (e.g. reverse lookups for TLS hostname verification). */
  protected playOptions(): PlayOptions {
    return {};
  }

  /** Where the writer and the checks connect to these members: their client port. */
  protected clientHosts(members: ExpandedPod[]): string[] {
    return this.ensemble.hosts(members);
  }

  /** The client's options for every command (credentials); none with the library's defaults. */
  protected clientOptions(): string[] {
    return [];
  }

  /** The dynamic synthesis at `replicas`. */
  protected synthesized(replicas: number): Manifest[] {
    const objects = synthesizeToYaml({ ...SETTINGS, bootstrapVoters: this.bootstrapVoters, replicas });
    return withImage(objects, standInImage(objects));
  }

  /** The members whose pods the model holds and that are not being deleted. */
  protected running(): ExpandedPod[] {
    const states = this.statefulSets.podStates();
    return this.ensemble.members.filter((m) => states[m.name] !== undefined && !states[m.name].terminating);
  }

  protected voterList(n: number): string {
    return `{${Array.from({ length: n }, (_, i) => i + 1).join(',')}}`;
  }

  /** Every running member counts the voters 1..n (myid = ordinal + 1) and is one of them; one leader. */
  protected async settled(n: number, timeoutMs: number): Promise<void> {
    const wanted = this.voterList(n);
    let last = '';
    await waitFor(`every member to count the voters ${wanted}`, timeoutMs, 1000, async () => {
      const members = this.running();
      const views = await Promise.all(members.map(async (m) => {
        const [view, state] = await Promise.all([this.ensemble.adminCommand(m, 'voting_view'), this.ensemble.adminCommand(m, 'zabstate')]);
        const ids = Object.keys(view.body?.current_config ?? {}).map(Number).sort((a, b) => a - b);
        return { name: m.name, voters: `{${ids.join(',')}}`, voting: state.body?.voting === true && state.body?.zabstate === 'broadcast' };
      }).map((p) => p.catch(() => ({ name: '?', voters: 'no answer', voting: false }))));
      const roles = await this.ensemble.roles(members);
      last = JSON.stringify({ views, roles });
      const leaders = roles.filter((r) => r === 'leader').length;
      return members.length === n && leaders === 1 && views.every((v) => v.voters === wanted && v.voting) ? true : undefined;
    }).catch((error) => { throw new Error(`${(error as Error).message}; last seen: ${last}`); });
  }

  /**
   * Each member scaled away ran its preStop hook and was no voter any more when the hook ended,
   * before its SIGTERM: removed by the hook, or already by the leader's membership-watch, which
   * may see the new replicas first. With more than half of the voters going at once (3 -> 1), a
   * member stopped as a voter would leave the rest without a quorum. `leader`: the member that led
   * at the apply, if known.
   */
  protected leftInTheirHooks(since: number, to: number, from: number, leader?: string): string {
    const hooks = this.played!.hooks.slice(since);
    const gone = this.ensemble.members.slice(to, from).map((m) => m.name);
    const took = gone.map((pod) => {
      const hook = hooks.find((h) => h.pod === pod);
      expect(hook !== undefined, `${pod} was deleted without its preStop hook running`);
      const by = /removed from the voters/.test(hook!.output) ? 'by its hook' : /not a voter: nothing to do/.test(hook!.output) ? 'already' : undefined;
      expect(by !== undefined, `${pod} was still a voter when its preStop ended: ${hook!.output.trim().split('\n').slice(-3).join(' | ')}`);
      return `${pod} ${by} in ${s(hook!.ms)}`;
    });
    return ` the leaving members out of the voters before their SIGTERM (${took.join(', ')});${this.leaderLeftLast(hooks, to, from, leader)}`;
  }

  /**
   * A leaving member that led removed itself after the other leaving members: the voters its hook
   * saw as it began removing itself hold none of them (one hand-over, to a member that stays).
   */
  private leaderLeftLast(hooks: PlayedStatefulSet['hooks'], to: number, from: number, leader?: string): string {
    if (leader === undefined) return '';
    const gone = this.ensemble.members.slice(to, from).map((m) => m.name);
    if (!gone.includes(leader)) return ` no leaving member led (${leader} did);`;
    const output = hooks.find((h) => h.pod === leader)!.output;
    const seen = /removing itself from the voters \(([\d,]+)\)/.exec(output)?.[1];
    if (seen === undefined) return ` ${leader} led, and was no voter any more when its hook began;`;
    const voters = seen.split(',');
    const still = gone.filter((pod, i) => pod !== leader && voters.includes(String(to + i + 1))); // myid = ordinal + 1
    expect(still.length === 0, `${leader} led and removed itself while ${still.join(', ')} still voted (voters {${seen}}): ${output.trim().split('\n').join(' | ')}`);
    const waited = /it leads: waiting until/.test(output) ? 'waited for them, then' : 'found them gone and';
    return ` ${leader} led: it ${waited} removed itself from the voters {${seen}} last;`;
  }

  /**
   * Restarts the leader's server until a member the step removes leads, at most 3 times: an
   * election among equally up-to-date voters picks the highest myid, a leaving one in a scale-down.
   */
  private async leadershipToALeavingMember(from: number, to: number): Promise<string> {
    const leaving = this.ensemble.members.slice(to, from);
    for (let restarts = 0; ; restarts++) {
      const leader = await this.ensemble.leader(this.running());
      if (leaving.includes(leader) || restarts === 3) return ` (${leader.name} leads after ${restarts} restart(s) of the leader's server)`;
      await this.ensemble.killServer(leader);
      await this.settled(from, 120_000);
    }
  }

  /** Each new member's milestones since the apply, from its log (joiner-timeline.ts). */
  protected async joinerTimelines(joiners: ExpandedPod[], applied: number): Promise<string> {
    const lines = await Promise.all(joiners.map(async (m) => {
      const created = this.statefulSets.events.find((e) => e.pod === m.name && e.what === 'created' && e.at >= applied)?.at;
      return describeTimeline(m.name, created, joinerTimeline(parseTimedLog(await this.cluster.timedLogs(m.name))), applied);
    }));
    return lines.join('; ');
  }

  /** Waits for the model to create the step's first new pod, then kills the leader's server. */
  private async killLeaderOnceCreated(from: number, to: number): Promise<string> {
    expect(to > from, 'the leader is killed in a step that adds members');
    const newPod = this.ensemble.members[from].name;
    await waitFor(`${newPod} to be created`, 60_000, 100, async () => (this.statefulSets.events.some((e) => e.pod === newPod && e.what === 'created') ? true : undefined));
    const leader = await this.ensemble.leader(this.ensemble.members.slice(0, from));
    await this.ensemble.killServer(leader);
    return ` (leader ${leader.name} killed as ${newPod} was created)`;
  }

  /**
   * The end of a step under `writer`: ACKS_AROUND more acknowledged writes, then the writer
   * stopped. Its events and acknowledged writes, its longest gap since `applied`, and the
   * elections since `epochBefore`, as the zxid epoch of `members` counts them.
   */
  protected async writesOfTheStep(writer: StoppableWriter, applied: number, members: ExpandedPod[], epochBefore: bigint) {
    const seen = writer.events.filter((e) => e.acked !== undefined).length;
    await acks(writer, seen + ACKS_AROUND, 60_000);
    const events = await writer.stop();
    const acked = events.filter((e) => e.acked !== undefined);
    const gap = longestGap(acked.map((e) => e.t * 1000), applied);
    const elections = Number(epochOf(await this.epoch(members)) - epochOf(epochBefore));
    return { events, acked, gap, elections };
  }

  /** The highest zxid the members serve: its epoch counts the leaders so far. */
  protected async epoch(members: ExpandedPod[]): Promise<bigint> {
    const zxids = (await Promise.all(members.map((m) => lastZxid(this.ensemble, m).catch(() => undefined)))).filter((z): z is bigint => z !== undefined);
    expect(zxids.length > 0, 'no member reports a zxid');
    return zxids.reduce((a, b) => (a > b ? a : b));
  }

  /** Every acknowledged write is on every member, and every member holds the same znodes. */
  protected async assertSameDataEverywhere(members: ExpandedPod[], prefix: string, acked: number[]): Promise<void> {
    const seen = await Promise.all(members.map(async (m) => {
      const read = await this.client.command(['read', '--hosts', this.clientHosts([m]).join(','), '--prefix', prefix, ...this.clientOptions()], 60_000);
      const seqs = read.events.find((e) => Array.isArray(e.seqs))?.seqs as number[] | undefined;
      expect(read.code === 0 && seqs !== undefined, `reading ${prefix} from ${m.name} failed: ${read.stderr.trim().split('\n').pop()}`);
      return seqs!;
    }));
    const reference = JSON.stringify([...seen[0]].sort((a, b) => a - b));
    seen.forEach((seqs, i) => {
      const held = new Set(seqs);
      const missing = acked.filter((seq) => !held.has(seq));
      expect(missing.length === 0, `${members[i].name} lacks ${missing.length} of ${acked.length} acknowledged writes (first: ${missing.slice(0, 5).join(', ')})`);
      expect(JSON.stringify([...seqs].sort((a, b) => a - b)) === reference, `${members[i].name} holds other znodes under ${prefix} than ${members[0].name}`);
    });
  }
}

export async function acks(writer: StoppableWriter, count: number, timeoutMs: number): Promise<void> {
  await waitFor(`${count} acknowledged writes`, timeoutMs, 100, async () => (writer.events.filter((e) => e.acked !== undefined).length >= count ? true : undefined));
}

/** What the membership scenarios need of run.ts: the bed, and `run`, which records one row. */
export interface MembershipBed {
  readonly cluster: PodmanCluster;
  readonly client: ZooKeeperClient;
  readonly workdir: string;
  readonly run: (scenario: string, body: () => Promise<string> | string) => Promise<boolean>;
}

/**
 * Changing the number of voters by dynamic reconfiguration, through the StatefulSet model, under a
 * writer (scenario-membership.ts). Each step builds on the one before: a failed step ends the chain.
 */
export async function membershipChanges(bed: MembershipBed, wanted: (scenario: string) => boolean): Promise<void> {
  const { cluster, client, run } = bed;
  if (!wanted('29')) return;
  const drill = new MembershipDrill(cluster, client, bed.workdir);
  console.log(`e2e: the membership scenarios play ${drill.label}`);
  const steps: MembershipStep[] = [{ from: 1, to: 3 }, { from: 3, to: 5, killLeader: true }, { from: 5, to: 3, leaderLeaving: true }, { from: 3, to: 1 }, { from: 1, to: 3 }, { from: 3, to: 5 }];
  try {
    if (!await run('29.0 membership: one voter born from the bootstrap list', () => drill.start())) return;
    for (const [i, step] of steps.entries()) {
      const what = `${step.from} -> ${step.to}${step.killLeader ? ', the leader killed as the new pods start' : ''}${step.leaderLeaving ? ', a leaving member leading' : ''}${i >= steps.length - 2 ? ', members back on the stale claims they were removed from' : ''}`;
      if (!await run(`29.${i + 1} membership: ${what}, under writes, by one apply`, () => drill.transition(step))) return;
    }
  } finally {
    await drill.destroy();
  }
}
