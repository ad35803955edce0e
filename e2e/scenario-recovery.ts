// Scenario 24: recovery from damaged and lost data volumes, on the production environment
// (dist/prod; the default profile). One fresh ensemble serves 24.1 and 24.2 in turn, with every
// acknowledged write tracked from the start; it is destroyed at the end.
//   24.1 every snapshot of a follower truncated while it is down (the newest unreadable, no older
//        one to fall back to): recover-data.sh sets the files aside, the member starts empty,
//        waits for a leader and takes a full copy from it.
//   24.2 two of three volumes destroyed: the runbook's ConfigMap names the survivor, the two lost
//        pods are recreated at once on new volumes, and only one of them starts before there is a
//        leader, which is the survivor.
import * as fs from 'fs';
import * as path from 'path';
import { ZooKeeperClient } from './client';
import { PodmanCluster } from './cluster';
import { Ensemble } from './ensemble';
import { ExpandedPod, Manifest } from './expand';
import { prodEnvironment } from './flavours';
import { podman, sleep, waitFor } from './podman';

const expect = (ok: boolean, message: string) => { if (!ok) throw new Error(message); };
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
/** The most a writer runs; each is stopped as soon as the case has what it needs. */
const WRITER_SECONDS = 300;

export class RecoveryDrill {
  public readonly ensemble: Ensemble;
  public readonly label: string;
  /** Every sequence number acknowledged, by prefix. */
  private readonly acked = new Map<string, number[]>();

  constructor(private readonly cluster: PodmanCluster, private readonly client: ZooKeeperClient) {
    const production = prodEnvironment();
    this.label = production.label;
    this.ensemble = new Ensemble(production.objects(), cluster);
  }

  public async destroy(): Promise<void> {
    await this.ensemble.destroy();
  }

  /** 24.1: a follower's snapshots truncated while it is down; it comes back by itself with everything. */
  public async truncatedSnapshots(): Promise<string> {
    await this.ensemble.start();
    await this.ensemble.waitForQuorum(120_000);
    const first = await this.client.write(this.ensemble.hosts(), '/recovery-acked', 200);
    expect(first.length === 200, `${first.length} of 200 writes acknowledged`);
    this.acked.set('/recovery-acked', first);
    const roles = await this.ensemble.roles();
    const member = this.ensemble.members[roles.indexOf('follower')];

    const writer = this.client.stoppableWriteLoop(this.ensemble.hosts(), '/recovery-writes-1', WRITER_SECONDS);
    try {
      await waitFor('the writer to get going', 20_000, 100, async () => (writer.events.some((e) => e.acked !== undefined) || undefined));
      await this.ensemble.delete([member]);
      const snapshots = await this.files(member, /^snapshot\.[0-9a-f]+$/);
      expect(snapshots.length > 0, `${member.name} has no snapshot on its volume`);
      for (const file of snapshots) fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2));
      const started = Date.now();
      await this.ensemble.start([member]);
      const serveMs = await waitFor(`${member.name} to serve again`, 180_000, 200, async () =>
        ((await this.ensemble.role(member)) !== undefined ? Date.now() - started : undefined));
      const since = writer.events.length;
      await waitFor('10 acks after the member is back', 30_000, 100, async () => (writer.events.slice(since).filter((e) => e.acked !== undefined).length >= 10 || undefined));
      const events = await writer.stop();
      this.acked.set('/recovery-writes-1', events.filter((e) => e.acked !== undefined).map((e) => e.acked!));

      const log = await this.cluster.logs(member.name);
      printRecoverLines(member, log);
      const setAsideLines = log.split('\n').filter((line) => /recover-data: .*set aside into/.test(line));
      expect(setAsideLines.length === snapshots.length + 1, `expected ${snapshots.length} snapshots and the logs set aside, the log says:\n${setAsideLines.join('\n')}`);
      expect(/recover-data: .*leads \(its quorum port \d+ answers\)/.test(log), `${member.name} did not log the leader it waited for`);
      const setAside = await this.files(member, /^(snapshot|log)\.[0-9a-f]+$/, true);
      const names = new Set(setAside.map((file) => path.basename(file)));
      expect(snapshots.every((file) => names.has(path.basename(file))) && setAside.some((file) => /\/log\.[0-9a-f]+$/.test(file)),
        `the set-aside folder holds ${[...names].join(', ')}, not every snapshot and the logs`);
      expect(!/Something is broken|Unable to load database/.test(log), `${member.name}'s server failed to load its data:\n${log.slice(-2000)}`);
      const checked = await this.everyAckedWritePresent([member]);
      return `${member.name} (follower): ${snapshots.length} snapshot(s) truncated to half while it was down; on start ${snapshots.length} set aside and the logs with them `
        + `(one log line each, files kept in set-aside/<time>), the member waited for the leader, took a full copy and served again ${seconds(serveMs)} after its pod was created; `
        + `all ${checked} acknowledged writes (${this.acked.get('/recovery-writes-1')!.length} by a writer running throughout) read from it alone`;
    } finally {
      await writer.stop();
    }
  }

  /**
   * 24.2: two of three volumes destroyed for good. The survivor stops serving; the runbook's
   * recovery ConfigMap names it; the two lost pods are recreated together on new volumes, the
   * second one first (the one that must wait), as a StatefulSet with Parallel pod management would.
   */
  public async majorityLost(): Promise<string> {
    const [lostA, survivor, lostB] = this.ensemble.members;
    const writer = this.client.stoppableWriteLoop(this.ensemble.hosts(), '/recovery-writes-2', WRITER_SECONDS);
    let survivorNotReady: { ms: number; output: string };
    const zxidBefore = await this.zxid(survivor);
    try {
      await waitFor('the writer to get going', 20_000, 100, async () => (writer.events.filter((e) => e.acked !== undefined).length >= 20 || undefined));
      await this.ensemble.delete([lostA, lostB]);
      await this.cluster.removeVolumes([lostA, lostB].flatMap((m) => m.claims.map((c) => c.metadata.name)));
      survivorNotReady = await this.cluster.probeUntil(survivor, 'readinessProbe', false, 60_000);
    } finally {
      await writer.stop();
    }
    const acked = writer.events.filter((e) => e.acked !== undefined).map((e) => e.acked!);
    this.acked.set('/recovery-writes-2', acked);
    const live = await this.cluster.probe(survivor, 'livenessProbe');
    expect(live.ok, `the survivor's liveness failed without a quorum: ${live.output}`);

    const recovery: Manifest = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `${this.ensemble.objects.find((o) => o.kind === 'StatefulSet')!.metadata.name}-recovery`, namespace: survivor.pod.metadata.namespace },
      data: { survivor: survivor.name },
    };
    const play = (member: ExpandedPod) => this.cluster.play(member, [...this.ensemble.configMaps, recovery], { serviceNames: this.ensemble.serviceNames(member) });
    const started = Date.now();
    await play(lostB);
    await sleep(10_000);
    const held = await this.cluster.logs(lostB.name);
    expect(/recover-data: .*waiting for a peer to lead/.test(held), `${lostB.name} did not hold back:\n${held.slice(-1500)}`);
    expect(!/QuorumPeerMain|LOOKING/.test(held), `${lostB.name} started its server before there was a leader`);
    const heldMs = Date.now() - started;
    await play(lostA);
    await this.ensemble.waitForQuorum(180_000);
    const quorumMs = Date.now() - started - heldMs;
    const leader = await this.ensemble.leader();
    expect(leader.name === survivor.name, `${leader.name} leads, not the survivor ${survivor.name}`);
    const zxidAfter = await this.zxid(survivor);
    expect(zxidAfter > zxidBefore, `the zxid went from 0x${zxidBefore.toString(16)} to 0x${zxidAfter.toString(16)}`);
    const perMember = await this.everyAckedWritePresent(this.ensemble.members);
    for (const member of [lostB, lostA]) printRecoverLines(member, await this.cluster.logs(member.name));
    return `writer running, ${lostA.name} and ${lostB.name} deleted with their claims: ${survivor.name} not ready after ${seconds(survivorNotReady.ms)} `
      + `("${survivorNotReady.output.slice(0, 70)}"), liveness still passing; ConfigMap survivor=${survivor.name}, both pods recreated on new volumes: `
      + `${lostB.name} created first and held back (${seconds(heldMs)}, no server started) until ${survivor.name} led, ${lostA.name} started at once; all 3 serving, ${survivor.name} leading, ${seconds(quorumMs)} after ${lostA.name} was created; `
      + `zxid 0x${zxidBefore.toString(16)} before the loss, 0x${zxidAfter.toString(16)} after; all ${perMember} acknowledged writes (${acked.length} by the writer cut off by the loss) read from each member alone`;
  }

  /** Every acknowledged write, read through each of `members` alone; returns how many per member. */
  private async everyAckedWritePresent(members: ExpandedPod[]): Promise<number> {
    let count = 0;
    for (const member of members) {
      count = 0;
      for (const [prefix, acked] of this.acked) {
        const stored = new Set(await this.client.read(this.ensemble.hosts([member]), prefix));
        const missing = acked.filter((seq) => !stored.has(seq));
        expect(missing.length === 0, `${member.name}: ${missing.length} acknowledged writes under ${prefix} are missing: ${missing.slice(0, 5).join(',')}`);
        count += acked.length;
      }
    }
    return count;
  }

  /** The member's last zxid, from `srvr` (it serves). */
  private async zxid(member: ExpandedPod): Promise<bigint> {
    const reply = await this.ensemble.fourLetterWord(member, 'srvr');
    const zxid = /Zxid: (0x[0-9a-f]+)/.exec(reply)?.[1];
    expect(zxid !== undefined, `${member.name} reported no zxid: ${reply}`);
    return BigInt(zxid!);
  }

  /** Files on the member's data claim (a podman volume on this host) whose name matches: those set aside, or the others. */
  private async files(member: ExpandedPod, name: RegExp, setAside = false): Promise<string[]> {
    const claim = member.claims[0].metadata.name;
    const root = (await podman(['volume', 'inspect', '--format', '{{.Mountpoint}}', claim])).trim();
    const found: string[] = [];
    const walk = (dir: string, inSetAside: boolean) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full, inSetAside || entry.name === 'set-aside');
        else if (entry.isFile() && inSetAside === setAside && name.test(entry.name)) found.push(full);
      }
    };
    walk(root, false);
    return found;
  }
}

/** The script's own lines from a member's container log, for the run's output (the runbook quotes them). */
function printRecoverLines(member: ExpandedPod, log: string): void {
  for (const line of log.split('\n').filter((l) => l.startsWith('recover-data: '))) console.log(`e2e: ${member.name}: ${line}`);
}
