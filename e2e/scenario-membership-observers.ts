// Scenario 30: observers added and removed by ZooKeeper's dynamic reconfiguration
// (`membership: 'dynamic'` in mode cluster, docs/membership.md), one `kubectl apply` of the new
// synthesis per step, through two StatefulSet models (the voters' and the observers' `<name>-observer`)
// and the API server's StatefulSet GETs the members' scripts make.
//
// Five voters (mode cluster's fewest) are born from the bootstrap list, with the observers'
// StatefulSet at 0 replicas; then observers 0 -> 2 -> 0. Each step runs under a writer connected
// to the voters and afterwards asserts: no pod replaced (neither template changed), every
// acknowledged write on every member, observers included, the same data everywhere, one leader,
// and every member's /zookeeper/config equal to the wanted membership (the five voters as
// participants, the wanted observers as observers); on 2 -> 0, each leaving observer out of the
// membership before its SIGTERM (its preStop). Figures: the step's time (apply to settled
// membership), the writer's longest gap, the elections (new epochs of the zxid).
import { DeploymentMode, Membership } from '../lib';
import { ZooKeeperClient } from './client';
import { PodmanCluster } from './cluster';
import { standInImage, withImage } from './dist';
import { Ensemble, synthesizeToYaml } from './ensemble';
import { ExpandedPod, find, Manifest } from './expand';
import { waitFor } from './podman';
import { errorsDuring } from './scenario-partitions';
import { acks, ACKS_AROUND, MembershipBed, MembershipDrill, STEP_TIMEOUT_MS } from './scenario-membership';
import { StatefulSetModel } from './statefulset-model';

const expect = (ok: boolean, message: string) => { if (!ok) throw new Error(message); };
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
/** Mode cluster's fewest voters: born from the bootstrap list, never changed here. */
const VOTERS = 5;
/** The most observers a step has. */
const MOST_OBSERVERS = 2;
/** ZooKeeper's line of a server in a dynamic file or /zookeeper/config: id and role. */
const SERVER_LINE = /^server\.(\d+)=[^:]+:\d+:\d+:(participant|observer)(;.*)?$/;


export class ObserverDrill extends MembershipDrill {
  private observerModel?: StatefulSetModel;
  /** The observers the next synthesis has (the base class synthesizes by voters only). */
  private observerCount = 0;
  /** Voters and the most observers: the helpers (exec, roles, hosts) of every pod that may run. */
  private readonly everyone: Ensemble;
  private observerSteps = 0;

  constructor(cluster: PodmanCluster, client: ZooKeeperClient, workdir: string) {
    super(cluster, client, workdir, VOTERS);
    this.everyone = new Ensemble(this.withObservers(MOST_OBSERVERS), cluster);
  }

  public override get label(): string {
    return `mode cluster with membership: dynamic, ${VOTERS} voters born from the bootstrap list, observers 0 -> ${MOST_OBSERVERS} -> 0`;
  }

  public override async start(): Promise<string> {
    const born = await super.start();
    const [, observers] = find(this.first, 'StatefulSet');
    expect(observers !== undefined && observers.spec.replicas === 0, 'the dynamic cluster-mode synthesis has no observers\' StatefulSet at 0 replicas');
    this.observerModel = new StatefulSetModel(observers, this.played!, false);
    await this.observerModel.converge(30_000, 1000);
    await this.membershipSettled([], 60_000);
    return `${born}; the observers' StatefulSet ${observers.metadata.name} at 0 replicas`;
  }

  /** Observers `from` -> `to` by one apply of the new synthesis, under a writer to the voters. */
  public async observersTo(from: number, to: number): Promise<string> {
    const objects = this.withObservers(to);
    const voterModel = this.statefulSets;
    const observerModel = this.observers;
    const revisions = [voterModel.revision.update, observerModel.revision.update];
    const voters = this.everyone.members.slice(0, VOTERS);
    const prefix = `/e2e-observers-${++this.observerSteps}`;
    const epochBefore = await this.epoch(voters);
    const hooksBefore = this.played!.hooks.length;
    const writer = this.client.stoppableWriteLoop(this.everyone.hosts(voters), prefix, STEP_TIMEOUT_MS / 1000 + 120);
    try {
      await acks(writer, ACKS_AROUND, 60_000);
      const applied = Date.now();
      // kubectl apply: every object at once, then both controllers work.
      const changed = this.played!.applyConfigMaps(objects);
      expect(changed.length === 0, `observers ${from} -> ${to} changed the ConfigMaps ${changed.join(', ')}: the members would see new files`);
      for (const model of [voterModel, observerModel]) {
        model.apply(find(objects, 'StatefulSet').find((o) => o.metadata.name === model.statefulSet.metadata.name)!);
      }
      await Promise.all([voterModel.converge(STEP_TIMEOUT_MS, 1000), observerModel.converge(STEP_TIMEOUT_MS, 1000)]);
      expect(voterModel.revision.update === revisions[0] && observerModel.revision.update === revisions[1],
        `observers ${from} -> ${to} changed a pod template (revisions ${revisions.join(', ')} -> ${voterModel.revision.update}, ${observerModel.revision.update})`);
      const replaced = voterModel.events.filter((e) => e.at >= applied && (e.what === 'created' || e.what === 'deleting'));
      expect(replaced.length === 0, `voters' pods created or deleted by observers ${from} -> ${to}: ${replaced.map((e) => `${e.pod} ${e.what}`).join(', ')}`);
      const wanted = this.observerMembers().slice(0, to);
      expect(this.runningObservers().length === to, `${this.runningObservers().length} observer pods run after ${from} -> ${to}`);
      const left = to < from ? this.observersLeftInTheirHooks(hooksBefore, to, from) : '';
      await this.membershipSettled(wanted, STEP_TIMEOUT_MS);
      const settledMs = Date.now() - applied;
      const { events, acked, gap, elections } = await this.writesOfTheStep(writer, applied, voters, epochBefore);
      const members = [...voters, ...this.runningObservers()];
      await this.everyAckEverywhere(members, prefix, acked.map((e) => e.acked!));
      const config = await this.sameConfigEverywhere(members, wanted);
      return `observers ${from} -> ${to}: settled in ${s(settledMs)};${left} all ${acked.length} acknowledged writes on each of the ${members.length} members, the same data on each; `
        + `longest write gap ${s(gap.ms)} (${errorsDuring(events, gap)}); ${elections} election(s); /zookeeper/config on every member: ${config}`;
    } finally {
      await writer.stop().catch(() => undefined);
    }
  }

  public override async destroy(): Promise<void> {
    this.observerModel?.stop();
    await this.observerModel?.settled().catch(() => undefined);
    await super.destroy();
    await this.cluster.removeVolumes(this.observerMembers().map((m) => `data-${m.name}`));
  }

  /** The observers' StatefulSet's name when asked for, else the voters'. */
  protected override statefulSetView(name: string): { statefulSet: Manifest; status: object } {
    const model = this.observerModel;
    if (model !== undefined && model.statefulSet.metadata.name === name) return { statefulSet: model.statefulSet, status: model.status() };
    return super.statefulSetView(name);
  }

  /** The base class's synthesis (by voters), with this drill's current observers. */
  protected override synthesized(replicas: number): Manifest[] {
    const objects = synthesizeToYaml({
      namespace: 'zookeeper', membership: Membership.DYNAMIC, mode: DeploymentMode.CLUSTER, replicas, bootstrapVoters: VOTERS,
      observers: this.observerCount ?? 0, memoryLimitMiB: 1024, cpuRequestMillicores: 250,
    });
    return withImage(objects, standInImage(objects));
  }

  private withObservers(observers: number): Manifest[] {
    this.observerCount = observers;
    return this.synthesized(VOTERS);
  }

  private get observers(): StatefulSetModel {
    if (!this.observerModel) throw new Error('the drill has not started');
    return this.observerModel;
  }

  private observerMembers(): ExpandedPod[] {
    return this.everyone.members.slice(VOTERS);
  }

  private runningObservers(): ExpandedPod[] {
    const states = this.observers.podStates();
    return this.observerMembers().filter((m) => states[m.name] !== undefined && !states[m.name].terminating);
  }

  private myid(member: ExpandedPod): number {
    const env = member.pod.spec.containers[0].env as { name: string; value?: string }[];
    const first = Number(env.find((e) => e.name === 'ZK_FIRST_MYID')!.value);
    return first + Number(/-(\d+)$/.exec(member.name)![1]);
  }

  /** `{1,2,...}` participants and `{...}` observers, as the lines of a membership list them. */
  private describe(lines: string[]): string {
    const ids = (role: string) => lines.map((l) => SERVER_LINE.exec(l)).filter((m) => m !== null && m[2] === role).map((m) => Number(m![1])).sort((a, b) => a - b);
    return `participants {${ids('participant').join(',')}} observers {${ids('observer').join(',')}}`;
  }

  private wantedMembership(observers: ExpandedPod[]): string {
    return `participants {${Array.from({ length: VOTERS }, (_, i) => i + 1).join(',')}} observers {${observers.map((m) => this.myid(m)).join(',')}}`;
  }

  /**
   * Every running member, voters and observers, holds the wanted membership (read from the dynamic
   * file its zoo.cfg on its volume names, which ZooKeeper rewrites at each commit) and is in sync
   * (zabstate broadcast); the voters vote, the observers observe (srvr Mode), one leads.
   */
  private async membershipSettled(observers: ExpandedPod[], timeoutMs: number): Promise<void> {
    const wanted = this.wantedMembership(observers);
    let last = '';
    await waitFor(`every member to hold ${wanted}`, timeoutMs, 1000, async () => {
      const members = [...this.everyone.members.slice(0, VOTERS), ...this.runningObservers()];
      const views = await Promise.all(members.map(async (m) => {
        const [held, state] = await Promise.all([
          this.everyone.exec(m, ['bash', '-c', 'f=$(sed -n "s/^dynamicConfigFile=//p" "$(sed -n "s/^dataDir=//p" "$ZK_ZOO_CFG")/zoo.cfg"); grep "^server\\." "$f"']),
          this.everyone.adminCommand(m, 'zabstate'),
        ]);
        return { name: m.name, held: this.describe(held.split('\n')), synced: state.body?.zabstate === 'broadcast' };
      }).map((p) => p.catch((error) => ({ name: '?', held: `no answer: ${String(error).slice(0, 80)}`, synced: false }))));
      const roles = await this.everyone.roles(members);
      last = JSON.stringify({ views, roles });
      const observing = roles.slice(VOTERS).every((r) => r === 'observer');
      const leaders = roles.filter((r) => r === 'leader').length;
      return members.length === VOTERS + observers.length && leaders === 1 && observing && views.every((v) => v.held === wanted && v.synced) ? true : undefined;
    }).catch((error) => { throw new Error(`${(error as Error).message}; last seen: ${last}`); });
  }

  /** `zk-cli.sh config` on each member (its server's /zookeeper/config): the same lines everywhere, the wanted membership. */
  private async sameConfigEverywhere(members: ExpandedPod[], observers: ExpandedPod[]): Promise<string> {
    const configs = await Promise.all(members.map(async (m) => (await this.everyone.exec(m, ['bash', '/scripts/zk-cli.sh', 'config'], 60_000))
      .split('\n').filter((l) => /^(server\.\d+=|version=)/.test(l)).sort().join('\n')));
    configs.forEach((config, i) => {
      expect(config === configs[0], `${members[i].name}'s /zookeeper/config differs from ${members[0].name}'s:\n${config}\n---\n${configs[0]}`);
    });
    const held = this.describe(configs[0].split('\n'));
    expect(held === this.wantedMembership(observers), `/zookeeper/config holds ${held}, wanted ${this.wantedMembership(observers)}`);
    return `${held}, ${/version=(\w+)/.exec(configs[0])?.[0] ?? 'no version'}`;
  }

  /** Every acknowledged write on every member and the same znodes on each; an observer may apply the last commits a moment later. */
  private async everyAckEverywhere(members: ExpandedPod[], prefix: string, acked: number[]): Promise<void> {
    let last = '';
    await waitFor('every acknowledged write on every member', 15_000, 500, async () => {
      const seen = await Promise.all(members.map((m) => this.client.read(this.everyone.hosts([m]), prefix)));
      const reference = JSON.stringify([...seen[0]].sort((a, b) => a - b));
      const problems = seen.flatMap((seqs, i) => {
        const held = new Set(seqs);
        const missing = acked.filter((seq) => !held.has(seq));
        return [
          ...(missing.length > 0 ? [`${members[i].name} lacks ${missing.length} of ${acked.length} acknowledged writes (first: ${missing.slice(0, 5).join(', ')})`] : []),
          ...(JSON.stringify([...seqs].sort((a, b) => a - b)) !== reference ? [`${members[i].name} holds other znodes under ${prefix} than ${members[0].name}`] : []),
        ];
      });
      last = problems.join('; ');
      return problems.length === 0 ? true : undefined;
    }).catch(() => { throw new Error(last); });
  }

  /** Each observer scaled away ran its preStop, and was out of the membership when it ended (by its hook, or already by the leader). */
  private observersLeftInTheirHooks(since: number, to: number, from: number): string {
    const hooks = this.played!.hooks.slice(since);
    const took = this.observerMembers().slice(to, from).map((m) => {
      const hook = hooks.find((h) => h.pod === m.name);
      expect(hook !== undefined, `${m.name} was deleted without its preStop hook running`);
      const by = /removed from the membership/.test(hook!.output) ? 'by its hook' : /not listed: nothing to do/.test(hook!.output) ? 'already' : undefined;
      expect(by !== undefined, `${m.name} was still listed when its preStop ended: ${hook!.output.trim().split('\n').slice(-3).join(' | ')}`);
      return `${m.name} ${by} in ${s(hook!.ms)}`;
    });
    return ` the leaving observers out of the membership before their SIGTERM (${took.join(', ')});`;
  }
}

/** Scenario 30, registered from run.ts: each step builds on the one before, a failed step ends the chain. */
export async function membershipObservers(bed: MembershipBed, wanted: (scenario: string) => boolean): Promise<void> {
  const { cluster, client, run } = bed;
  if (!wanted('30')) return;
  const drill = new ObserverDrill(cluster, client, bed.workdir);
  console.log(`e2e: the observers' membership scenario plays ${drill.label}`);
  try {
    if (!await run(`30.0 membership observers: ${VOTERS} voters born from the bootstrap list, the observers' StatefulSet at 0`, () => drill.start())) return;
    if (!await run('30.1 membership observers: 0 -> 2 observers, under writes, by one apply', () => drill.observersTo(0, MOST_OBSERVERS))) return;
    await run('30.2 membership observers: 2 -> 0 observers, under writes, by one apply', () => drill.observersTo(MOST_OBSERVERS, 0));
  } finally {
    await drill.destroy();
  }
}
