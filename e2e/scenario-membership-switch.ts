// Scenario 29.7-29.9: a RUNNING static ensemble switched to `membership: dynamic` by a roll, the
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
// the bootstrap list, the static voters).
//
// Then 3 -> 5 and 5 -> 3 by replicas, each delivered by an Argo CD sync of ALL the new synthesis'
// objects (apply-order.ts: the Sync waves in order, each waited for until healthy, the
// StatefulSet by Argo CD's health, which counts Ready replicas; then the PostSync hooks): the roll
// Job (wave 0) and the post-deploy check (wave 1) that the replicas change re-creates run for
// real, in containers, the roll Job against the StatefulSet model's API (statefulset-roll-api.ts).
// Each step is checked as scenario 29's steps are, and: the roll Job succeeded and evicted no pod,
// the check passed every step, its ensemble step having read the leader's membership with exactly
// the new voters. After 3 -> 5 both hooks are shown to hold back while a follower is no voter
// (scenario-membership-check.ts).
import * as fs from 'fs';
import { ZooKeeperChartProps } from '../lib';
import { ZooKeeperClient } from './client';
import { PodmanCluster } from './cluster';
import { standInImage, withImage } from './dist';
import { synthesizeToYaml } from './ensemble';
import { ExpandedPod, find, Manifest, withEnv } from './expand';
import { acks, ACKS_AROUND, MembershipBed, MembershipDrill, MembershipStep, STEP_TIMEOUT_MS } from './scenario-membership';
import { errorsDuring, longestGap } from './scenario-partitions';
import { argoSync, runSteps } from './apply-order';
import { CHECK_STEPS } from './post-deploy-check';
import { checkFailsWhileAFollowerDoesNotVote, RollRun } from './scenario-membership-check';
import { modelTarget, scaleTo } from './statefulset-apply';
import { StatefulSetRollApi } from './statefulset-roll-api';
import { waitFor, podmanRaw } from './podman';
import { withServiceAccount } from './service-account';

const expect = (ok: boolean, message: string) => { if (!ok) throw new Error(message); };
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
/** The library's defaults: three voters, static membership. */
const STATIC: ZooKeeperChartProps = { namespace: 'zookeeper', replicas: 3 };
const VOTERS = 3;

/** One Job's run, as the Job controller and the kubelet would leave it: exit code, log, time. */
interface JobRun { readonly code: number; readonly log: string; readonly seconds: number }

/** The synthesis' Job of one component (`roll`, `post-deploy-check`). */
const jobOf = (objects: Manifest[], component: string) => find(objects, 'Job').find((j) => j.metadata.labels?.['app.kubernetes.io/component'] === component);

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
      const { events, acked, gap, elections } = await this.writesOfTheStep(writer, applied, members, epochBefore);
      const times = acked.map((e) => e.t * 1000);
      // Each replacement: from its deletion until it is back with one leader, and the writer's longest
      // gap from its deletion until the next one (writes may resume only after the member is back).
      const replaced = rolled.map((r, i) => {
        const until = rolled[i + 1]?.deleted ?? Infinity;
        return `${r.pod}${r.leader ? ' (the leader)' : ''} back in ${s(r.back - r.deleted)}, write gap ${s(longestGap(times.filter((t) => t <= until), r.deleted).ms)}`;
      });
      await this.assertSameDataEverywhere(members, prefix, acked.map((e) => e.acked!));
      return `apply (${changed.join(', ')} changed); ${restart}; roll done in ${s(settledMs)} (${replaced.join('; ')}); every member runs from a dynamic file `
        + `(${sources.join('; ')}) with the voters ${this.voterList(VOTERS)}, one leader; all ${acked.length} acknowledged writes on each member, the same data on each; `
        + `longest write gap ${s(gap.ms)} (${errorsDuring(events, gap)}); ${elections} election(s)`;
    } finally {
      await writer.stop().catch(() => undefined);
    }
  }

  /**
   * One step delivered by an Argo CD sync of every object of the new synthesis, under a writer:
   * the waves in order with the StatefulSet's health waited for, then the PostSync hooks run for
   * real. Checked as `transition` checks a step, plus the hooks' verdicts.
   */
  public async argoTransition(step: MembershipStep): Promise<string> {
    const { from, to } = step;
    const objects = this.synthesized(to);
    const model = this.statefulSets;
    const revision = model.revision.update;
    const stay = this.ensemble.members.slice(0, Math.min(from, to));
    const prefix = `/e2e-membership-argo-${from}-${to}`;
    const epochBefore = await this.epoch(this.running());
    const hooksBefore = this.played!.hooks.length;
    const eventsBefore = model.events.length;
    const rollApi = new StatefulSetRollApi(objects, model);
    const port = await rollApi.listen(this.apiTls!);
    const runs = new Map<string, JobRun & { started: number; votersAtStart: string }>();
    const target = modelTarget(model, this.played!, async (job) => {
      const started = Date.now();
      // What the membership was when the hook started: whether it had to wait for the change.
      const votersAtStart = await this.votersSeenBy(stay[0]);
      const run = await this.runJob(job, find(objects, 'ConfigMap'), { host: this.apiTls!.gateway, port, caPem: fs.readFileSync(this.apiTls!.ca), token: rollApi.token });
      runs.set(job.metadata.name, { ...run, started, votersAtStart });
      // The sync fails on a failed hook: its output is what says why.
      if (run.code !== 0) console.log(`e2e: ${job.metadata.name} exited ${run.code} after ${run.seconds.toFixed(1)} s (started with the voters ${votersAtStart}):\n${run.log.trim().split('\n').slice(-30).join('\n')}`);
      return run.code === 0;
    });
    const writer = this.client.stoppableWriteLoop(this.ensemble.hosts(stay), prefix, (2 * STEP_TIMEOUT_MS) / 1000 + 120);
    // The controller and the kubelet work in the background while Argo CD waits on health.
    model.start(1000);
    try {
      await acks(writer, ACKS_AROUND, 60_000);
      const applied = Date.now();
      const steps = argoSync(objects);
      const started = await runSteps(steps, target, { pollMs: 1000, timeoutMs: STEP_TIMEOUT_MS });
      const synced = Date.now();
      model.stop();
      await model.converge(STEP_TIMEOUT_MS, 1000);
      expect(model.revision.update === revision, `${from} -> ${to} changed the pod template (revision ${revision} -> ${model.revision.update}): it would roll every member`);
      const members = this.running();
      expect(members.length === to, `${members.length} pods run after ${from} -> ${to}`);
      const replaced = model.events.slice(eventsBefore).filter((e) => e.what === 'deleting' && stay.some((m) => m.name === e.pod));
      expect(replaced.length === 0, `the sync deleted ${replaced.map((e) => e.pod).join(', ')}, which stay members`);
      const left = to < from ? this.leftInTheirHooks(hooksBefore, to, from) : '';
      await this.settled(to, STEP_TIMEOUT_MS);
      const settledMs = Date.now() - applied;
      const hooks = this.judgeHooks(objects, runs, rollApi, to);
      const { events, acked, gap, elections } = await this.writesOfTheStep(writer, applied, members, epochBefore);
      await this.assertSameDataEverywhere(members, prefix, acked.map((e) => e.acked!));
      const at = (label: string) => started.find((x) => x.label === label)?.at;
      const postSync = at('PostSync wave 0');
      const healthy = postSync === undefined ? '' : `, the StatefulSet healthy (PostSync started) ${s(postSync - applied)} after the sync began`;
      return `${from} -> ${to} by an Argo CD sync (${steps.map((x) => x.label).join(', ')}): synced in ${s(synced - applied)}${healthy}; ${hooks}; `
        + `settled in ${s(settledMs)};${left} all ${acked.length} acknowledged writes on each of the ${to} member(s), the same data on each; `
        + `longest write gap ${s(gap.ms)} (${errorsDuring(events, gap)}); ${elections} election(s); voters ${this.voterList(to)} on every member`;
    } finally {
      model.stop();
      await writer.stop().catch(() => undefined);
      await rollApi.close();
    }
  }

  /**
   * The post-deploy check fails, and the roll Job stops, while one member follows without voting;
   * both pass once it votes again (scenario-membership-check.ts).
   */
  public async checkFailsWhileAFollowerDoesNotVote(): Promise<string> {
    const members = this.running();
    return checkFailsWhileAFollowerDoesNotVote(this.cluster, this.ensemble, members, () => this.settled(members.length, STEP_TIMEOUT_MS),
      (env) => this.rollJob(members.length, env));
  }

  /** The roll Job of the synthesis with `voters`, run once more (`env` replacing its values) against the StatefulSet model's API. */
  private async rollJob(voters: number, env: Record<string, string>): Promise<RollRun> {
    const objects = this.synthesized(voters);
    const job = structuredClone(jobOf(objects, 'roll'));
    expect(job !== undefined, `the synthesis with ${voters} voters holds no roll Job`);
    withEnv(job!.spec.template.spec.containers[0], env);
    const rollApi = new StatefulSetRollApi(objects, this.statefulSets);
    const port = await rollApi.listen(this.apiTls!);
    try {
      const run = await this.runJob(job!, find(objects, 'ConfigMap'), { host: this.apiTls!.gateway, port, caPem: fs.readFileSync(this.apiTls!.ca), token: rollApi.token });
      return { ...run, evictions: [...rollApi.evictions] };
    } finally {
      await rollApi.close();
    }
  }

  /** The roll Job succeeded and evicted nothing; the check passed every step and read exactly the new voters in the leader's membership. */
  private judgeHooks(objects: Manifest[], runs: Map<string, JobRun & { started: number; votersAtStart: string }>, rollApi: StatefulSetRollApi, to: number): string {
    const roll = jobOf(objects, 'roll');
    const check = jobOf(objects, 'post-deploy-check');
    expect(roll !== undefined && check !== undefined, 'the synthesis holds no roll Job or no post-deploy check Job');
    const rolled = runs.get(roll!.metadata.name);
    const checked = runs.get(check!.metadata.name);
    expect(rolled !== undefined && checked !== undefined, `the sync ran ${[...runs.keys()].join(', ') || 'no Job'}, not both hooks`);
    expect(rolled!.code === 0 && /roll: DONE every voter of revision \S+ \(0 replaced\)/.test(rolled!.log),
      `the roll Job exited ${rolled!.code} without finding every voter current:\n${rolled!.log}`);
    expect(rollApi.evictions.length === 0, `the roll Job evicted ${rollApi.evictions.join(', ')}`);
    const steps = [...checked!.log.matchAll(/^post-deploy-check: ((?:PASS|FAIL) [\w-]+)/gm)].map((m) => m[1]);
    const wanted = [...CHECK_STEPS, 'cleanup'].map((x) => `PASS ${x}`);
    expect(checked!.code === 0 && JSON.stringify(steps) === JSON.stringify(wanted), `the check exited ${checked!.code} with steps ${JSON.stringify(steps)}:\n${checked!.log}`);
    const ensemble = /^post-deploy-check: PASS ensemble: (.*)$/m.exec(checked!.log)![1];
    expect(new RegExp(`membership \\(version \\w+\\) lists exactly the ${to} voters`).test(ensemble),
      `the check passed without reading the new membership: ${ensemble}`);
    const rollDone = /roll: DONE (.*)$/m.exec(rolled!.log)![1];
    return `roll Job ${s(rolled!.seconds * 1000)} (started with the voters ${rolled!.votersAtStart}; "${rollDone}", no eviction), `
      + `post-deploy check ${s(checked!.seconds * 1000)} (started with the voters ${checked!.votersAtStart}; every step passed; ensemble: "${ensemble}")`;
  }

  /** The voters a member counts (AdminServer `voting_view`), as `{1,2,3}`. */
  private async votersSeenBy(member: ExpandedPod): Promise<string> {
    const view = await this.ensemble.adminCommand(member, 'voting_view').catch(() => undefined);
    return `{${Object.keys(view?.body?.current_config ?? {}).map(Number).sort((a, b) => a - b).join(',')}}`;
  }

  /**
   * The Job controller's part for one Job: its pod from the template as it is (the token mounted
   * when it automounts one, against `api`), run once on the ensemble's network with the ConfigMaps
   * it mounts (the sync's), until it exits or its deadline passes; its log kept, the pod removed. An earlier
   * pod of the same name goes first, as Argo CD's BeforeHookCreation deletes the earlier Job.
   */
  private async runJob(job: Manifest, configMapsOfTheSync: Manifest[], api: { host: string; port: number; caPem: Buffer; token: string }): Promise<JobRun> {
    const name = job.metadata.name;
    const namespace = job.metadata.namespace ?? 'default';
    const spec = await withServiceAccount(this.cluster, job.spec.template.spec, namespace, api, `${name}-token`);
    const mounted = new Set((spec.volumes ?? []).filter((v: Manifest) => v.configMap).map((v: Manifest) => v.configMap.name));
    const configMaps = configMapsOfTheSync.filter((c) => mounted.has(c.metadata.name));
    const pod: ExpandedPod = {
      ordinal: 0, name, fqdn: `${name}.${namespace}.pod`, claims: [],
      pod: { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, labels: job.spec.template.metadata.labels }, spec },
    };
    const container = spec.containers[0].name;
    await this.cluster.deletePod(name).catch(() => undefined);
    const start = Date.now();
    await this.cluster.play(pod, configMaps);
    const waited = await podmanRaw(['wait', this.cluster.containerName(name, container)], job.spec.activeDeadlineSeconds * 1000);
    const seconds = (Date.now() - start) / 1000;
    const log = await this.cluster.logs(name, container);
    await this.cluster.deletePod(name);
    return { code: waited.code === 0 ? Number(waited.stdout.trim()) : -1, log, seconds };
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

/**
 * A running static ensemble switched to dynamic membership by a roll, then scaled by replicas
 * (scenario-membership-switch.ts), after scenario 29's drill is destroyed: the same names.
 */
export async function membershipSwitch(bed: MembershipBed, wanted: (scenario: string) => boolean): Promise<void> {
  const { cluster, client, run } = bed;
  if (!wanted('29')) return;
  const drill = new MembershipSwitchDrill(cluster, client, bed.workdir);
  console.log(`e2e: the membership switch plays ${drill.label}`);
  try {
    if (!await run('29.7 membership switch: 3 static voters born, then switched to dynamic by a roll (followers first, the leader last), under writes', async () => {
      const born = await drill.start();
      return `${born}; ${await drill.switchToDynamic()}`;
    })) return;
    if (!await run('29.8 membership switch: the switched ensemble 3 -> 5, under writes, by an Argo CD sync with its hooks (the roll Job, the post-deploy check); then the check fails, and the roll Job stops, while a follower is no voter', async () =>
      `${await drill.argoTransition({ from: 3, to: 5 })}; ${await drill.checkFailsWhileAFollowerDoesNotVote()}`)) return;
    await run('29.9 membership switch: 5 -> 3, under writes, by an Argo CD sync with its hooks (preStops, the roll Job, the post-deploy check)', () => drill.argoTransition({ from: 5, to: 3 }));
  } finally {
    await drill.destroy();
  }
}
