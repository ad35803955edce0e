// Scenario 23: rolling the members under a continuous writer, on a fresh ensemble of the
// production environment (dist/prod as shipped). Each roll changes tickTime, which changes the pod
// template; the figures of each: leader elections since the roll started (the "LEADING - LEADER
// ELECTION TOOK" lines, one per new leader, from every log, the deleted pods' included), writes
// acknowledged and lost, the longest write gap, the roll's time, and every member's version, tickTime
// and configuration checksum, as the running servers report them.
//   23.1, 23.2 the StatefulSet's default order (RollingUpdate, highest ordinal down, each Ready
//        first), played as scenario 9 plays it, twice: the second from the leader the first left.
//        The comparison; the elections are reported, not asserted.
//   23.3 the roll Job of the synthesized objects against the harness's API server model: exactly
//        one election, the leader last.
//   23.4 a replacement that never serves (broken by the harness): the roller stops, exits 1 naming
//        it, evicts no second member, and the others keep their quorum.
import * as fs from 'fs';
import { ApiServerModel } from './api-server';
import { StoppableWriter, ZooKeeperClient } from './client';
import { mainContainer, PodmanCluster } from './cluster';
import { withImage } from './dist';
import { Ensemble, synthesizeToYaml } from './ensemble';
import { find, Manifest } from './expand';
import { prodEnvironment } from './flavours';
import { logsSince, apiServerTls, PlayedPods, startRoll } from './roll-job';
import { waitFor } from './podman';
import { errorsDuring, longestGap } from './scenario-partitions';
import { assertMembersRun, describeMembers } from './member-configuration';

const expect = (ok: boolean, message: string) => { if (!ok) throw new Error(message); };
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const PREFIX = '/e2e-roll';
/** A new leader logs this once it leads; a member joining an existing leader logs FOLLOWING instead. */
export const NEW_LEADER = /LEADING - LEADER ELECTION TOOK - (\d+)/g;

/**
 * What the members logged about their peers during the roll, by cause: each failed election
 * connection ("Cannot open channel to N at election address host/ip:port", "None of the addresses
 * (...) are reachable for sid N") and each follower's loss of its leader ("Exception when following
 * the leader"), with the exception on the line after it. Beside the write gap it shows where the
 * time went: a leader whose connections end at once (EOF) against one its followers wait out (a
 * read timeout of syncLimit x tickTime), or a member dialling a replaced peer's old address.
 */
export function peerFailures(logs: string[]): string {
  const causes = new Map<string, number>();
  for (const log of logs) {
    const lines = log.split('\n');
    lines.forEach((line, i) => {
      const what = /Cannot open (?:secure )?channel to \d+ at election address (\S+)/.exec(line)?.[1]
        ?? /None of the addresses \((\S+)\) are reachable for sid \d+/.exec(line)?.[1]
        ?? (/Exception when following the leader/.test(line) ? 'the leader lost' : undefined);
      if (what === undefined) return;
      const cause = /^\s*((?:[\w$]+\.)+[\w$]*(?:Exception|Error))(?::\s*(.*))?/.exec(lines[i + 1] ?? '');
      const key = `${what}: ${cause ? `${cause[1].split('.').pop()}${cause[2] ? ` (${cause[2].trim()})` : ''}` : 'no exception logged'}`;
      causes.set(key, (causes.get(key) ?? 0) + 1);
    });
  }
  return causes.size === 0 ? 'none' : [...causes].map(([key, n]) => `${n}x ${key}`).join(', ');
}

interface RollFigures { elections: number; electionMs: number[]; peers: string; gapErrors: string; acked: number; lost: number; gapMs: number; gapStartMs: number; rollMs: number; order: string[]; start: number }

/**
 * Where each replacement's time went, from the model's pod events and the Job's log: from the
 * eviction to the new pod running, to the kubelet's Ready, to the roller's "back and synced".
 */
export function memberTimeline(api: ApiServerModel, log: string): string {
  const synced = new Map([...log.matchAll(/^roll: (\S+) is back and synced in ([\d.]+) s/gm)].map((m) => [m[1], Number(m[2]) * 1000]));
  const evictions = api.events.filter((e) => e.what === 'evicted');
  return evictions.map((e) => {
    const after = (what: string) => api.events.find((x) => x.pod === e.pod && x.what === what && x.at >= e.at)?.at;
    const [running, ready] = [after('running'), after('ready')];
    const rel = (at: number | undefined) => (at === undefined ? '?' : s(at - e.at));
    const whole = synced.get(e.pod);
    return `${e.pod} running ${rel(running)}, Ready ${rel(ready)}, synced ${whole === undefined ? '?' : s(whole)} after its eviction`;
  }).join('; ');
}

export class RollDrill {
  public readonly label: string;
  private readonly settings: ReturnType<typeof prodEnvironment>['settings'];
  private readonly image: string;
  private ensemble: Ensemble;
  private readonly pods: PlayedPods;

  constructor(private readonly cluster: PodmanCluster, private readonly client: ZooKeeperClient, private readonly workdir: string) {
    const prod = prodEnvironment();
    this.label = prod.label;
    this.settings = prod.settings;
    this.ensemble = new Ensemble(prod.objects(), cluster);
    this.image = mainContainer(this.ensemble.members[0]).image;
    this.pods = new PlayedPods(cluster, new Date());
    this.pods.add(this.ensemble);
  }

  public async start(): Promise<string> {
    await this.ensemble.start();
    const ms = await this.ensemble.waitForQuorum(180_000);
    const leader = await this.ensemble.leader();
    return `${this.label}: ${this.ensemble.members.length} members, quorum in ${s(ms)}, leader ${leader.name}`;
  }

  /** The objects of the production settings with another tickTime, on the image dist/prod is played with. */
  private objectsWith(tickTime: number): Manifest[] {
    return withImage(synthesizeToYaml({ ...this.settings, tickTime }), this.image);
  }

  /** Applies the ConfigMaps as `kubectl apply` would: at once, read by each member at its next start. */
  private async applyConfigMaps(next: Ensemble): Promise<void> {
    const dataOf = (name: string) => JSON.stringify(this.ensemble.configMaps.find((c) => c.metadata.name === name)?.data);
    await this.cluster.updateConfigMaps(next.configMaps.filter((c) => JSON.stringify(c.data) !== dataOf(c.metadata.name) && dataOf(c.metadata.name) !== undefined));
  }

  /**
   * 23.1 and 23.2: RollingUpdate's order, each pod Ready before the next (the StatefulSet
   * controller's part). The second starts from whichever leader the first left.
   */
  public async statefulSetOrder(tickTime: number): Promise<string> {
    const next = new Ensemble(this.objectsWith(tickTime), this.cluster);
    const leader = (await this.ensemble.leader()).name;
    const deleted: number[] = [];
    const figures = await this.underWriter(`statefulset-${tickTime}`, async () => {
      await this.applyConfigMaps(next);
      const order: string[] = [];
      for (const member of [...next.members].reverse()) {
        this.pods.removedLogs.push(await logsSince(this.cluster, member.name, this.pods.since));
        deleted.push(Date.now());
        await this.cluster.deletePod(member.name);
        await next.start([member]);
        await this.cluster.probeUntil(member, 'readinessProbe', true, 180_000);
        order.push(member.name);
      }
      return order;
    });
    const members = await this.adopt(next, tickTime);
    const deletions = figures.order.map((name, i) => `${name} at ${s(deleted[i] - figures.start)}`);
    return `${this.report(figures, leader)}; deleted ${deletions.join(', ')} (the StatefulSet's order; the leader was ${leader}); every member after the roll: ${members}`;
  }

  /** 23.3: the roll Job of the new objects, against the API server model. */
  public async rollJob(): Promise<string> {
    const nextObjects = this.objectsWith(4000);
    const next = new Ensemble(nextObjects, this.cluster);
    const leader = (await this.ensemble.leader()).name;
    const { api, endpoint } = await this.apiServer(this.ensemble.objects, next);
    let code = -1;
    let log = '';
    try {
      const figures = await this.underWriter('roller', async () => {
        await this.applyConfigMaps(next);
        // As `kubectl apply -k` creates the Job beside the StatefulSet: the Job may start first.
        const { finished } = await startRoll(this.cluster, next, api, endpoint);
        await new Promise((r) => setTimeout(r, 3000));
        api.apply(find(nextObjects, 'StatefulSet')[0]);
        ({ code, log } = await finished);
        await api.settled();
        return [...log.matchAll(/^roll: evicting (\S+)/gm)].map((m) => m[1]);
      });
      expect(code === 0, `the roll Job exited ${code}:\n${log}`);
      expect(figures.elections === 1, `the roll cost ${figures.elections} elections, not 1:\n${log}`);
      expect(figures.order[figures.order.length - 1] === leader, `the leader ${leader} was not rolled last: ${figures.order.join(', ')}`);
      const outdated = Object.entries(api.podRevisions()).filter(([, r]) => r !== api.updateRevision).map(([n]) => n);
      expect(outdated.length === 0, `pods not of the new revision after the roll: ${outdated.join(', ')}`);
      const refused = api.calls.filter((c) => c.code === 403 || c.code === 401);
      expect(refused.length === 0, `the roller made calls its Role does not grant: ${JSON.stringify(refused)}`);
      const members = await this.adopt(next, 4000);
      const evictions = api.calls.filter((c) => c.path.endsWith('/eviction'));
      // When each accepted eviction was answered, beside when the longest gap began: where the gap comes from.
      const evicted = evictions.filter((c) => c.code === 201).map((c) => `${c.path.split('/')[6]} at ${s(c.at - figures.start)}`);
      return `${this.report(figures, leader)}; evictions ${evicted.join(', ')}; per member ${memberTimeline(api, log)}; ${api.calls.length} API calls (${evictions.length} evictions, `
        + `${evictions.filter((c) => c.code === 429).length} refused by the budget), none refused by RBAC; every member after the roll: ${members}; the Job's last line: ${log.trim().split('\n').pop()}`;
    } finally {
      await api.close();
    }
  }

  /** 23.4: the first replacement never serves: the roll stops there and the quorum holds. */
  public async brokenMember(): Promise<string> {
    const nextObjects = this.objectsWith(5000);
    const next = new Ensemble(nextObjects, this.cluster);
    const { api, endpoint } = await this.apiServer(this.ensemble.objects, next);
    try {
      await this.applyConfigMaps(next);
      this.pods.breakNext = true;
      const bound = 45;
      const { finished } = await startRoll(this.cluster, next, api, endpoint, { ZK_ROLL_MEMBER_SECONDS: String(bound) });
      api.apply(find(nextObjects, 'StatefulSet')[0]);
      const { code, log, seconds } = await finished;
      await api.settled();
      const broken = this.pods.brokenPod;
      const stopped = log.trim().split('\n').pop() ?? '';
      expect(broken !== undefined, `the roller evicted no member:\n${log}`);
      expect(code === 1, `the roll Job exited ${code}, not 1:\n${log}`);
      expect(stopped.includes(`${broken} did not come back within ${bound} s`), `the roller's last line does not name ${broken}: ${stopped}`);
      const accepted = api.calls.filter((c) => c.path.endsWith('/eviction') && c.code === 201);
      expect(accepted.length === 1, `the roller evicted ${accepted.length} members: ${JSON.stringify(accepted)}`);
      const others = this.ensemble.members.filter((m) => m.name !== broken);
      await this.ensemble.waitForQuorum(30_000, others);
      const acked = await this.client.write(this.ensemble.hosts(others), `${PREFIX}/after-broken`, 20);
      expect(acked.length === 20, `the two serving members acknowledged ${acked.length} of 20 writes`);
      // The harness's fault is repaired as the user would: the member's pod from the current template.
      await this.cluster.deletePod(broken!);
      await next.start([next.members.find((m) => m.name === broken)!]);
      await this.ensemble.waitForQuorum(120_000);
      return `${broken} broken on purpose: the roll Job exited 1 after ${seconds.toFixed(1)} s with "${stopped}"; 1 eviction, no second member taken down; `
        + `${others.map((m) => m.name).join(' and ')} kept their quorum and acked 20/20 writes`;
    } finally {
      await api.close();
    }
  }

  public async destroy(): Promise<void> {
    await this.ensemble.destroy();
  }

  /** The model, serving the objects the members run now; `next` plays the new template's pods. */
  private async apiServer(objects: Manifest[], next: Ensemble) {
    this.pods.add(next);
    const api = new ApiServerModel(objects, this.pods);
    const tls = await apiServerTls(this.cluster, this.workdir);
    const port = await api.listen(tls);
    return { api, endpoint: { host: tls.gateway, port, caPem: fs.readFileSync(tls.ca) } };
  }

  /** Runs a roll under a writer and measures it. */
  private async underWriter(name: string, roll: () => Promise<string[]>): Promise<RollFigures> {
    const prefix = `${PREFIX}/${name}`;
    const writer: StoppableWriter = this.client.stoppableWriteLoop(this.ensemble.hosts(), prefix, 900);
    const acks = () => writer.events.filter((e) => e.acked !== undefined);
    await waitFor('the writer to get going', 20_000, 100, async () => ((acks().length >= 20) || undefined));
    this.pods.since = new Date();
    this.pods.removedLogs.length = 0;
    const start = Date.now();
    const order = await roll();
    const rollMs = Date.now() - start;
    await waitFor('20 acks after the roll', 60_000, 100, async () => (acks().filter((e) => e.t * 1000 > start + rollMs).length >= 20 || undefined));
    const events = await writer.stop();
    const gap = longestGap(events.filter((e) => e.acked !== undefined).map((e) => e.t * 1000), start);
    const [gapMs, gapStartMs] = [gap.ms, gap.at - start];
    const gapErrors = errorsDuring(events, gap);
    const acked = events.filter((e) => e.acked !== undefined).map((e) => e.acked!);
    const stored = new Set(await this.client.read(this.ensemble.hosts(), prefix));
    const lost = acked.filter((seq) => !stored.has(seq)).length;
    const logs = [...this.pods.removedLogs, ...await Promise.all(this.ensemble.members.map((m) => logsSince(this.cluster, m.name, this.pods.since)))];
    // What each new leader logged its election took: beside the write gap, the part that is the ensemble's.
    const electionMs = logs.flatMap((log) => [...log.matchAll(NEW_LEADER)].map((m) => Number(m[1])));
    const elections = electionMs.length;
    const peers = peerFailures(logs);
    expect(lost === 0, `${lost} of ${acked.length} acknowledged writes are missing after the ${name} roll`);
    return { elections, electionMs, peers, gapErrors, acked: acked.length, lost, gapMs, gapStartMs, rollMs, order, start };
  }

  /**
   * The new objects become the current ones; every member must run the new tickTime, the release
   * its pod is labelled with, and the same configuration. Says what each member reports.
   */
  private async adopt(next: Ensemble, tickTime: number): Promise<string> {
    this.ensemble = next;
    await this.ensemble.waitForQuorum(60_000);
    const members = await assertMembersRun(this.ensemble);
    for (const r of members) expect(r.configuration?.tick_time === tickTime, `${r.name} runs with tick_time ${r.configuration?.tick_time} after the roll, not ${tickTime}`);
    return describeMembers(members);
  }

  private report(f: RollFigures, leader: string): string {
    return `tickTime rolled on ${f.order.join(', ')} in ${s(f.rollMs)}: ${f.elections} election${f.elections === 1 ? '' : 's'} (took ${f.electionMs.map((ms) => `${ms} ms`).join(', ') || '-'}), `
      + `longest write gap ${s(f.gapMs)} (from ${s(f.gapStartMs)} into the roll; the writer's failed attempts in it: ${f.gapErrors}), ${f.acked} writes acked, ${f.lost} lost (leader before: ${leader}); `
      + `peer failures logged during the roll: ${f.peers}`;
  }
}
