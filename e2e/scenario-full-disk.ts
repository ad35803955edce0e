// Scenario 28: a member's data volume fills up, on the production environment (dist/prod as
// shipped, 3 members, the default profile's image). That member's claim is a small file system of
// its own (size-limited-claim.ts) instead of the manifest's 20Gi; the kubelet's volume stats come
// from a stand-in (volume-stats.ts) that a real Prometheus scrapes with the members, and which
// evaluates the production PrometheusRule as synthesized. A writer runs throughout and every write
// it had acknowledged must be readable from the member at the end.
//   1. A neighbour's file takes the volume past the alert's threshold: the rule's expression holds
//      and ZooKeeperVolumeNearlyFull goes pending while ZooKeeper still serves. The rule's `for` is
//      5m; a copy of it with `for` shortened to FOR_SHORTENED fires live (promtool's unit test in
//      test/alert-rules.test.ts proves the real 5 minutes).
//   2. The neighbour fills the rest: what ZooKeeper does is recorded (log, exits, supervisord,
//      probes) and the other two keep the quorum and the writes.
//   3. The file is removed: the member must serve again with no hand on it (whether its server or
//      container restarted meanwhile is recorded) and hold every acknowledged write.
import * as fs from 'fs';
import * as path from 'path';
import { ZOOKEEPER_PROGRAM } from '../lib/render/supervisord-conf';
import { ZooKeeperClient, StoppableWriter } from './client';
import { PodmanCluster } from './cluster';
import { Ensemble } from './ensemble';
import { ExpandedPod, find } from './expand';
import { MetricsEndpoint } from './metrics-endpoint';
import { prodEnvironment } from './flavours';
import { podman, sleep, waitFor } from './podman';
import { PrometheusServer } from './prometheus';
import { monitoringUnderTest, writeTargets } from './scrape';
import { VolumeStats } from './volume-stats';

const expect = (ok: boolean, message: string) => { if (!ok) throw new Error(message); };
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const MIB = 1024 * 1024;
/** The member's data claim: small enough to fill in seconds, big enough for the data and a snapshot. */
export const CLAIM_MIB = 64;
const ALERT = 'ZooKeeperVolumeNearlyFull';
const FOR_SHORTENED = '15s';
/** How full the neighbour makes the volume in step 1: past the threshold, clear of ENOSPC. */
const STEP1_USED = 0.9;
/** How long the volume stays full in step 2, to see what supervisord and the probes do. */
const FULL_HOLD_MS = 30_000;
const WRITER_SECONDS = 600;

export class FullDiskDrill {
  public readonly label: string;
  private readonly ensemble: Ensemble;
  private readonly settings = prodEnvironment().settings;
  /** The member whose data claim is size-limited (ordinal 0). */
  private readonly member: ExpandedPod;
  private readonly prometheus: PrometheusServer;
  private stats?: MetricsEndpoint;
  private writer?: StoppableWriter;

  constructor(private readonly cluster: PodmanCluster, private readonly client: ZooKeeperClient, private readonly workdir: string) {
    const production = prodEnvironment();
    this.label = production.label;
    this.ensemble = new Ensemble(production.objects(), cluster);
    this.member = this.ensemble.members[0];
    this.prometheus = new PrometheusServer(path.join(workdir, 'prometheus-full-disk'));
  }

  public async destroy(): Promise<void> {
    await this.writer?.stop().catch(() => undefined);
    await this.prometheus.stop();
    await this.stats?.stop();
    await this.ensemble.destroy();
  }

  public async run(): Promise<string> {
    const { ensemble, member, cluster } = this;
    const claim = member.claims[0].metadata.name;
    cluster.limitClaimSize(claim, CLAIM_MIB);
    await ensemble.start();
    await ensemble.waitForQuorum(180_000);
    const mountpoint = (await podman(['volume', 'inspect', '--format', '{{.Mountpoint}}', claim])).trim();
    const rule = await this.startPrometheus(String(member.pod.metadata.namespace));
    const ratio = `kubelet_volume_stats_used_bytes{persistentvolumeclaim="${claim}"} / kubelet_volume_stats_capacity_bytes{persistentvolumeclaim="${claim}"}`;
    await waitFor(`Prometheus to have the stand-in's series of ${claim}`, 60_000, 1000, async () => ((await this.prometheus.query(ratio)).length === 1 || undefined));
    const role = await ensemble.role(member);
    const writer = this.client.stoppableWriteLoop(ensemble.hosts(), '/full-disk-writes', WRITER_SECONDS);
    this.writer = writer;
    await this.ackedSince(0, 20, 'the writer to get going');
    expect((await this.alerts()).length === 0, `${ALERT} is active on a volume that is not full`);
    const usedBefore = usedShare(mountpoint);
    const filler = path.join(mountpoint, 'neighbour-filler');
    const alert = await this.pastThreshold(claim, rule, filler);
    const full = await this.fillUp(filler);
    const back = await this.freeSpace(filler);
    const asked = member.claims[0].spec.resources.requests.storage;
    return `${member.name} (${role}) on a ${CLAIM_MIB} MiB ext4 claim (the manifest asks ${asked}), ${(usedBefore * 100).toFixed(2)} % used; ${alert}; ${full}; ${back}`;
  }

  /** Step 1: a neighbour's file takes the volume past the threshold; the alert before any failure. */
  private async pastThreshold(claim: string, rule: { expr: string; for: string }, filler: string): Promise<string> {
    const { member, ensemble } = this;
    const mountpoint = path.dirname(filler);
    const startedAt = Date.now();
    fillTo(filler, mountpoint, STEP1_USED);
    const used = usedShare(mountpoint);
    const crossedMs = await waitFor(`the rule's expression to hold for ${claim}`, 60_000, 500, async () =>
      ((await this.prometheus.query(rule.expr)).some((r) => r.metric.persistentvolumeclaim === claim) ? Date.now() - startedAt : undefined));
    const pendingMs = await waitFor(`${ALERT} (for: ${rule.for}) to go pending`, 90_000, 1000, async () =>
      ((await this.alerts()).some((a) => a.labels.e2e_for === undefined && a.state === 'pending') ? Date.now() - startedAt : undefined));
    const firingMs = await waitFor(`the copy with for: ${FOR_SHORTENED} to fire`, 90_000, 1000, async () =>
      ((await this.alerts()).some((a) => a.labels.e2e_for !== undefined && a.state === 'firing') ? Date.now() - startedAt : undefined));
    const firing = (await this.alerts()).find((a) => a.labels.e2e_for !== undefined)!;
    console.log(`e2e: ${ALERT} fired: ${firing.annotations.summary}; ${firing.annotations.description}`);
    const serving = await ensemble.role(member);
    expect(serving !== undefined, `${member.name} stopped serving at ${(used * 100).toFixed(1)} % used, before the disk was full`);
    await this.ackedSince(this.acks(), 10, 'acks after the alert fired');
    return `a neighbour's file to ${(used * 100).toFixed(1)} %: the rule's expression held ${seconds(crossedMs)} later, ${ALERT} pending at ${seconds(pendingMs)} `
      + `(for: ${rule.for}), the copy with for: ${FOR_SHORTENED} firing at ${seconds(firingMs)}, ${member.name} still ${serving} and acknowledging writes`;
  }

  /** Step 2: the neighbour takes the rest; what ZooKeeper, supervisord, the probes and the quorum do. */
  private async fillUp(filler: string): Promise<string> {
    const { member, ensemble, cluster } = this;
    const fullAt = Date.now();
    const fillerBytes = fillToEnd(filler);
    const failure = await this.observeFailure(fullAt);
    console.log(`e2e: full disk, ${member.name}: ${failure.join('; ')}`);
    const acksFull = this.acks();
    await sleep(Math.max(0, FULL_HOLD_MS - (Date.now() - fullAt)));
    const state = await this.describeMember();
    expect(await ensemble.role(member) === undefined, `${member.name} serves again while its volume is still full`);
    const quorumMs = await ensemble.waitForQuorum(60_000, ensemble.members.filter((m) => m !== member));
    expect(this.acks() > acksFull, `no write was acknowledged while ${member.name}'s volume was full`);
    const fullForMs = Date.now() - fullAt;
    const digest = logDigest(await cluster.logs(member.name), fullAt, Date.now());
    printDigest(member, 'while full', digest);
    const counted = (pattern: RegExp) => digest.filter((l) => pattern.test(l.message)).reduce((n, l) => n + l.count, 0);
    const noSpace = counted(/No space left on device/);
    const rejoins = counted(/Exception when following the leader/);
    expect(noSpace > 0, `${member.name} logged no "No space left on device" while its volume was full`);
    return `then filled to the end (${(fillerBytes / MIB).toFixed(1)} MiB in all): ${failure.join(', ')}, ${noSpace} "No space left on device" in its log; `
      + `held full ${seconds(fullForMs)}: ${state}, ${rejoins} attempts to follow the leader failed (${(rejoins / (fullForMs / 1000)).toFixed(0)}/s, a stack trace each); `
      + `the other two kept a quorum (${seconds(quorumMs)} to confirm) and acknowledged ${this.acks() - acksFull} writes meanwhile`;
  }

  /** Step 3: the file removed; the member serves again and holds every acknowledged write. */
  private async freeSpace(filler: string): Promise<string> {
    const { member, ensemble, cluster } = this;
    fs.rmSync(filler);
    const freedAt = Date.now();
    const role = await waitFor(`${member.name} to serve again`, 120_000, 500, async () => ensemble.role(member));
    const servingMs = Date.now() - freedAt;
    const state = await this.describeMember();
    printDigest(member, 'after the space was freed', logDigest(await cluster.logs(member.name), freedAt, Date.now(), RECOVERY_LINES));
    await this.ackedSince(this.acks(), 10, '10 acks after the member is back');
    const events = await this.writer!.stop();
    const acked = events.filter((e) => e.acked !== undefined).map((e) => e.acked!);
    const errors = events.filter((e) => e.error !== undefined).length;
    const stored = new Set(await this.client.read(ensemble.hosts([member]), '/full-disk-writes'));
    const missing = acked.filter((seq) => !stored.has(seq));
    expect(missing.length === 0, `${member.name}: ${missing.length} of ${acked.length} acknowledged writes missing: ${missing.slice(0, 5).join(',')}`);
    const resolvedMs = await waitFor(`${ALERT} to resolve`, 90_000, 1000, async () => ((await this.alerts()).length === 0 ? Date.now() - freedAt : undefined));
    return `file removed: ${member.name} ${role} again by itself ${seconds(servingMs)} later (${state}); `
      + `all ${acked.length} acknowledged writes read from ${member.name} alone (${errors} write errors reported to the client); alert resolved ${seconds(resolvedMs)} after the space was freed`;
  }

  private acks(): number {
    return this.writer!.events.filter((e) => e.acked !== undefined).length;
  }

  private ackedSince(since: number, count: number, what: string): Promise<true> {
    return waitFor(what, 30_000, 100, async () => (this.acks() >= since + count || undefined));
  }

  /** Prometheus on the members (their monitor) and the stand-in; the rule group as synthesized plus the shortened copy. Returns the rule. */
  private async startPrometheus(namespace: string): Promise<{ expr: string; for: string }> {
    const monitoring = monitoringUnderTest(this.ensemble.objects, this.settings);
    const [monitor] = [...find(monitoring, 'ServiceMonitor'), ...find(monitoring, 'PodMonitor')];
    const groups = find(monitoring, 'PrometheusRule').flatMap((r) => r.spec.groups);
    const rule = groups.flatMap((g: any) => g.rules).find((r: any) => r.alert === ALERT);
    expect(rule !== undefined, `the production PrometheusRule has no ${ALERT}`);
    const copy = { ...rule, for: FOR_SHORTENED, labels: { ...rule.labels, e2e_for: `shortened from ${rule.for} to ${FOR_SHORTENED}` } };
    this.stats = await VolumeStats.start(this.ensemble.members.flatMap((m) => m.claims.map((c) => ({ namespace, claim: c.metadata.name }))));
    const dir = path.join(this.workdir, 'prometheus-full-disk');
    fs.mkdirSync(dir, { recursive: true });
    const setup = await writeTargets(this.ensemble, this.cluster, monitor, path.join(dir, 'targets.yaml'));
    await this.prometheus.start([...setup.scrapeConfigs, this.stats.scrapeConfig()],
      [...groups, { name: 'e2e-full-disk-shortened-for', interval: '5s', rules: [copy] }], 5);
    return { expr: rule.expr, for: rule.for };
  }

  private async alerts() {
    return (await this.prometheus.alerts()).filter((a) => a.labels.alertname === ALERT);
  }

  /** Waits for the member to stop serving after the disk filled up; what was seen, in words. */
  private async observeFailure(fullAt: number): Promise<string[]> {
    const { member, ensemble } = this;
    const notServingMs = await waitFor(`${member.name} to stop serving on a full disk`, 120_000, 200, async () =>
      ((await ensemble.role(member)) === undefined ? Date.now() - fullAt : undefined));
    const readiness = await this.cluster.probe(member, 'readinessProbe');
    const liveness = await this.cluster.probe(member, 'livenessProbe');
    const said = (probe: { ok: boolean; output: string }) => (probe.ok ? 'passing' : `failing ("${probe.output.slice(0, 80)}")`);
    return [`not serving ${seconds(notServingMs)} after the disk was full`, `readiness ${said(readiness)}`, `liveness ${said(liveness)}`];
  }

  /** The member's container and server state, in words. */
  private async describeMember(): Promise<string> {
    const container = (await podman(['inspect', '--format', '{{.State.Status}} (restarts {{.RestartCount}})', this.cluster.containerName(this.member.name)]).catch((e) => String(e))).trim();
    const program = await this.cluster.exec(this.member.name, ['supervisorctl', '-c', this.ensemble.supervisordConf(), 'status', ZOOKEEPER_PROGRAM]).catch((e) => ({ stdout: String(e), stderr: '', code: 1 }));
    const exits = (await this.cluster.logs(this.member.name)).split('\n').filter((l) => /exited: zookeeper|gave up: zookeeper|entered FATAL/.test(l)).length;
    return `container ${container}, supervisord: ${program.stdout.trim().replace(/\s+/g, ' ')}, ${exits} server exit(s) logged by supervisord`;
  }
}

/** Used share of the file system as the kubelet reports it (used / capacity). */
function usedShare(dir: string): number {
  const s = fs.statfsSync(dir);
  return (s.blocks - s.bfree) / s.blocks;
}

/** Writes to `file` until the file system holding `dir` is `share` used. */
function fillTo(file: string, dir: string, share: number): void {
  const s = fs.statfsSync(dir);
  const bytes = Math.floor((share * s.blocks - (s.blocks - s.bfree)) * s.bsize);
  expect(bytes > 0, `the volume is already ${(usedShare(dir) * 100).toFixed(1)} % used`);
  const fd = fs.openSync(file, 'a');
  try {
    const chunk = Buffer.alloc(MIB, 0x5a);
    for (let left = bytes; left > 0; left -= chunk.length) fs.writeSync(fd, chunk, 0, Math.min(left, chunk.length));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Appends to `file` until the file system says ENOSPC; returns the file's size. */
function fillToEnd(file: string): number {
  const fd = fs.openSync(file, 'a');
  try {
    for (const size of [MIB, 4096, 512]) {
      const chunk = Buffer.alloc(size, 0x5a);
      try {
        for (;;) fs.writeSync(fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      }
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return fs.statSync(file).size;
}

/** ZooKeeper's INFO lines that tell how a member came back. */
const RECOVERY_LINES = /Peer state changed|Getting a (diff|snapshot)|Snapshotting|LOOKING|FOLLOWING|LEADING/;

interface DigestLine { readonly message: string; readonly count: number }

/**
 * A member's log between two times, condensed: its WARN and ERROR lines (and those matching
 * `also`) and the exceptions under them, without time and thread, each once with a count.
 * Server lines carry the container's clock, which is UTC like the host's.
 */
function logDigest(log: string, fromMs: number, toMs: number, also?: RegExp): DigestLine[] {
  const counts = new Map<string, number>();
  let inWindow = false;
  for (const line of log.split('\n')) {
    const stamp = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) /.exec(line);
    if (stamp) {
      const t = Date.parse(`${stamp[1].replace(' ', 'T')}.${stamp[2]}Z`);
      inWindow = t >= fromMs && t <= toMs;
    }
    if (!inWindow) continue;
    const keep = / (WARN|ERROR) /.test(line) || /^(java|org)\.[\w.]+(Exception|Error)/.test(line) || (also?.test(line) ?? false);
    if (!keep) continue;
    const message = line.replace(/^\S+ \S+ \[myid:\d*\] /, '').replace(/\[[^\]]*\] /, '').slice(0, 200);
    counts.set(message, (counts.get(message) ?? 0) + 1);
  }
  return [...counts].map(([message, count]) => ({ message, count }));
}

function printDigest(member: ExpandedPod, when: string, lines: DigestLine[]): void {
  for (const { message, count } of lines.slice(0, 25)) console.log(`e2e: ${member.name} log ${when}: ${count}x ${message}`);
}
