// The end-to-end scenarios. Each asserts behaviour of the running ensemble and returns the figures
// that go into the summary table. They run in order on one ensemble (the app's production
// environment, dist/prod as shipped, on the default profile; the core ones again on 3.9.4 and the
// Debian image), except 8 and 9.
import { CONFIG_CHECKSUM_ANNOTATION, DeploymentMode } from '../lib';
import { ZooKeeperClient } from './client';
import { mainContainer, PodmanCluster } from './cluster';
import { standInImage, withImage } from './dist';
import { Ensemble, Role, synthesizeToYaml } from './ensemble';
import { find, Manifest } from './expand';
import { FlavourFigures } from './figures';
import { otherEnvironments, PlayedEnvironment, prodEnvironment, shapeOf } from './flavours';
import { waitFor } from './podman';

export interface Context {
  readonly cluster: PodmanCluster;
  readonly ensemble: Ensemble;
  readonly client: ZooKeeperClient;
  /** Every sequence number the client saw acknowledged, by prefix, across scenarios. */
  readonly acked: Map<string, number[]>;
  /** Where this flavour's figures for the side-by-side summary go. */
  readonly figures: FlavourFigures;
}

export const PREFIX = '/e2e';
/** The most a failover writer runs; it is stopped as soon as the run has what it measures. */
const WRITER_SECONDS = 60;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
const expect = (ok: boolean, message: string) => { if (!ok) throw new Error(message); };

export async function quorumForms(ctx: Context): Promise<string> {
  const start = Date.now();
  await ctx.ensemble.start();
  const playedMs = Date.now() - start;
  await ctx.ensemble.waitForQuorum(120_000);
  ctx.figures.quorumMs = Date.now() - start;
  // However many members the environment has (the user's prod may have 5, or observers): one
  // leader, every other member following or observing it.
  const roles = await ctx.ensemble.roles();
  const count = (role: string) => roles.filter((r) => r === role).length;
  expect(count('leader') === 1 && count('leader') + count('follower') + count('observer') === roles.length,
    `expected 1 leader and every other member following or observing, got ${JSON.stringify(roles)}`);
  const observing = count('observer') ? ` + ${count('observer')} observers` : '';
  return `1 leader + ${count('follower')} followers${observing} ${((Date.now() - start) / 1000).toFixed(1)} s after start (pods created in ${(playedMs / 1000).toFixed(1)} s)`;
}

export async function writesVisibleEverywhere(ctx: Context): Promise<string> {
  const acked = await ctx.client.write(ctx.ensemble.hosts(), PREFIX, 100);
  expect(acked.length === 100, `only ${acked.length} of 100 writes were acknowledged`);
  ctx.acked.set(PREFIX, acked);
  const seen = await Promise.all(ctx.ensemble.members.map((m) => ctx.client.read(ctx.ensemble.hosts([m]), PREFIX)));
  seen.forEach((seqs, i) => expect(seqs.length === 100, `${ctx.ensemble.members[i].name} sees ${seqs.length} of 100 znodes`));
  return `100/100 writes acked; each of ${ctx.ensemble.members.length} members serves all 100`;
}

export interface FailoverRun { electionMs?: number; newLeaderMs: number; gapMs: number; rejoinMs: number; rejoinedAs?: string; acked: number }

/** Kills the leader's JVM under a running writer, `runs` times; also proves scenario 5 each time. */
export async function leaderFailover(ctx: Context, runs: number): Promise<string> {
  const rejoins = ctx.figures.failovers;
  for (let run = 0; run < runs; run++) {
    const prefix = `${PREFIX}/failover-${run}`;
    const leader = await ctx.ensemble.leader();
    // The writer may run as long as a slow election takes (FastLeaderElection occasionally needs
    // 10+ s to agree); it is stopped once the killed member serves again and acks have resumed.
    const writer = ctx.client.stoppableWriteLoop(ctx.ensemble.hosts(), prefix, WRITER_SECONDS);
    const acks = () => writer.events.filter((e) => e.acked !== undefined);
    await waitFor('the writer to get going', 20_000, 100, async () => ((acks().length >= 20) || undefined));

    const killedAt = await ctx.ensemble.killServer(leader);
    // Usually a survivor wins; if supervisord brings the old leader back before the survivors have
    // agreed, it may win again (highest id): both are correct, the figures say which happened.
    const newLeader = await waitFor('a leader after the kill', 60_000, 100, async () => {
      const roles = await ctx.ensemble.roles();
      return roles.includes('leader') ? ctx.ensemble.members[roles.indexOf('leader')] : undefined;
    });
    const newLeaderMs = Date.now() - killedAt;
    const rejoinMs = await waitFor(`${leader.name} to serve again`, 60_000, 200, async () =>
      (await ctx.ensemble.role(leader)) !== undefined ? Date.now() - killedAt : undefined);
    const rejoinedAs = await ctx.ensemble.role(leader);
    await waitFor('20 acks after the kill', 30_000, 100, async () => (acks().filter((e) => e.t * 1000 > killedAt).length >= 20 || undefined));

    const events = await writer.stop();
    const ackTimes = events.filter((e) => e.acked !== undefined).map((e) => e.t * 1000).sort((a, b) => a - b);
    // The write gap: the silence between the last ack before the kill and the first one after it.
    const after = ackTimes.findIndex((t) => t > killedAt);
    expect(after > 0, `no write was acknowledged ${after === 0 ? 'before' : `in the ${WRITER_SECONDS} s writer window after`} the kill (run ${run + 1})`);
    const gapMs = ackTimes[after] - ackTimes[after - 1];

    const ackedSeqs = events.filter((e) => e.acked !== undefined).map((e) => e.acked!);
    ctx.acked.set(prefix, ackedSeqs);
    const stored = new Set(await ctx.client.read(ctx.ensemble.hosts(), prefix));
    const lost = ackedSeqs.filter((seq) => !stored.has(seq));
    expect(lost.length === 0, `run ${run + 1}: ${lost.length} acknowledged writes are missing: ${lost.slice(0, 10).join(',')}`);
    rejoins.push({ electionMs: await ctx.ensemble.lastElectionMs(newLeader), newLeaderMs, gapMs, rejoinMs, rejoinedAs, acked: ackedSeqs.length });
    await ctx.ensemble.waitForQuorum(60_000);
  }
  const electionMs = rejoins.map((r) => r.electionMs).filter((ms): ms is number => ms !== undefined);
  const totalAcked = rejoins.reduce((sum, r) => sum + r.acked, 0);
  const figure = (values: number[]) => `${median(values).toFixed(0)} ms (max ${Math.max(...values).toFixed(0)})`;
  return `median of ${runs}: election ${electionMs.length ? figure(electionMs) : '?'} (server log), new leader serving (probe) ${figure(rejoins.map((r) => r.newLeaderMs))} after kill, `
    + `write gap ${figure(rejoins.map((r) => r.gapMs))}; ${totalAcked} writes acked, 0 lost`;
}

/**
 * The killed member must come back into the quorum. It normally rejoins as a follower; when the
 * survivors have not agreed on a leader by the time supervisord has restarted it, it can win the
 * election again (highest id). Both are correct, and the figures count each.
 */
export function rejoinFigures(rejoins: readonly FailoverRun[]): string {
  expect(rejoins.length > 0, 'no failover run completed');
  expect(rejoins.every((r) => r.rejoinedAs === 'follower' || r.rejoinedAs === 'leader'), `the killed leader came back as ${rejoins.map((r) => r.rejoinedAs).join(', ')}`);
  const asFollower = rejoins.filter((r) => r.rejoinedAs === 'follower').length;
  return `killed leader serving again after ${median(rejoins.map((r) => r.rejoinMs))} ms (median of ${rejoins.length}), as follower ${asFollower}/${rejoins.length}, `
    + `re-elected leader ${rejoins.length - asFollower}/${rejoins.length}; supervisord restarted the JVM, no container restart`;
}

/** Reads back every write acknowledged so far through `ensemble`; returns how many were checked. */
async function everyAckedWritePresent(ctx: Context, ensemble: Ensemble, when: string): Promise<number> {
  let checked = 0;
  for (const [prefix, acked] of ctx.acked) {
    const stored = new Set(await ctx.client.read(ensemble.hosts(), prefix));
    const missing = acked.filter((seq) => !stored.has(seq));
    expect(missing.length === 0, `${when} ${missing.length} acknowledged writes under ${prefix} are missing`);
    checked += acked.length;
  }
  return checked;
}

export async function wholeEnsembleRestart(ctx: Context): Promise<string> {
  expect(ctx.acked.size > 0, 'no earlier scenario acknowledged a write to check');
  await ctx.ensemble.delete();
  const start = Date.now();
  await ctx.ensemble.start();
  const quorumMs = await ctx.ensemble.waitForQuorum(120_000);
  const checked = await everyAckedWritePresent(ctx, ctx.ensemble, 'after the restart');
  return `all pods deleted and recreated on their volumes; quorum again after ${((Date.now() - start) / 1000).toFixed(1)} s `
    + `(${(quorumMs / 1000).toFixed(1)} s after the pods were created); all ${checked} acknowledged writes present`;
}

export async function probeSemantics(ctx: Context): Promise<string> {
  const [first, ...rest] = ctx.ensemble.members;
  await ctx.ensemble.delete(rest);
  // The remaining member is up but alone: the kubelet would mark it NotReady, and never restart it.
  const notReady = await ctx.cluster.probeUntil(first, 'readinessProbe', false, 60_000);
  for (const kind of ['startupProbe', 'livenessProbe'] as const) {
    const result = await ctx.cluster.probe(first, kind);
    expect(result.ok, `${kind} failed on a running member without quorum: ${result.output}`);
  }
  // The others come back with new addresses. The survivor must follow the new leader where it
  // is now: dialling the old address would hold it for initLimit x tickTime (see jvm.dnsCacheSeconds).
  const staleDials = async () => ((await ctx.cluster.logs(first.name)).match(/connectToLeader exceeded/g) ?? []).length;
  const staleBefore = await staleDials();
  const start = Date.now();
  await ctx.ensemble.start(rest);
  const quorumMs = Date.now() - start + await ctx.ensemble.waitForQuorum(120_000);
  await Promise.all(ctx.ensemble.members.map((m) => ctx.cluster.probeUntil(m, 'readinessProbe', true, 120_000)));
  const stale = await staleDials() - staleBefore;
  expect(stale === 0, `${first.name} gave up on a leader ${stale} time(s) after dialling it for initLimit (an address from before the pods were recreated)`);
  return `alone: readiness false after ${(notReady.ms / 1000).toFixed(1)} s ("${notReady.output.slice(0, 60)}"), startup+liveness true; `
    + `others back with new addresses: quorum after ${(quorumMs / 1000).toFixed(1)} s, no leader dialled at a stale address, `
    + `all 3 Ready (kubelet thresholds) after ${((Date.now() - start) / 1000).toFixed(1)} s`;
}

export async function supervisordIsPid1(ctx: Context): Promise<string> {
  const member = ctx.ensemble.members[0];
  const cmdline = (await ctx.ensemble.exec(member, ['bash', '-c', 'tr "\\0" " " </proc/1/cmdline'])).trim();
  expect(/supervisord -c /.test(cmdline), `PID 1 is "${cmdline}"`);
  const uid = /^Uid:\s+(\d+)/m.exec(await ctx.ensemble.exec(member, ['cat', '/proc/1/status']))?.[1];
  expect(uid === '1001', `PID 1 runs as uid ${uid}`);
  const logs = await ctx.cluster.logs(member.name);
  expect(/QuorumPeer|LEADING|FOLLOWING/.test(logs), 'no ZooKeeper log line in the container log');
  const write = await ctx.cluster.exec(member.name, ['bash', '-c', 'touch /should-not-exist']);
  expect(write.code !== 0 && /Read-only file system/.test(write.stderr), `writing to / was not refused: ${write.stderr}`);
  expect(await ctx.ensemble.inspect(member, '{{.HostConfig.ReadonlyRootfs}}') === 'true', 'podman reports a writable root filesystem');
  return `PID 1 = "${cmdline}" as uid ${uid}; ZooKeeper lines in the container log; writes to / refused (read-only)`;
}

/**
 * Every other environment of the app serves as its shape says: a standalone member reports
 * standalone, an ensemble one leader with every other member following or observing, and 20 writes
 * are read back. An app with no single-member environment gets the library's standalone mode played
 * as well, so that mode is proven whatever the app holds. Environments share names with the
 * production one (and may with each other), so each runs alone and is destroyed after.
 */
export async function otherEnvironmentsServe(cluster: PodmanCluster, client: ZooKeeperClient): Promise<string> {
  const { played, needsSecrets } = otherEnvironments();
  const standalone: PlayedEnvironment = {
    label: 'the library\'s standalone mode',
    settings: { namespace: 'zookeeper', mode: DeploymentMode.STANDALONE },
    objects: () => { const o = synthesizeToYaml({ namespace: 'zookeeper', mode: DeploymentMode.STANDALONE }); return withImage(o, standInImage(o)); },
  };
  const environments = played.some((env) => shapeOf(env.settings).standalone) ? played : [...played, standalone];
  const lines: string[] = [];
  for (const env of environments) lines.push(await environmentServes(cluster, client, env));
  const skipped = needsSecrets.length > 0 ? `; not played here (their pods need the cluster's Secrets; scenarios 12 and 14 cover TLS and SASL): ${needsSecrets.join(', ')}` : '';
  return `${lines.join('; ')}${skipped}`;
}

async function environmentServes(cluster: PodmanCluster, client: ZooKeeperClient, env: PlayedEnvironment): Promise<string> {
  const ensemble = new Ensemble(env.objects(), cluster);
  const shape = shapeOf(env.settings);
  const start = Date.now();
  try {
    await ensemble.start();
    await ensemble.waitForQuorum(180_000);
    const roles = await ensemble.roles();
    const expected = shape.standalone ? ['standalone']
      : ['leader', ...Array<Role>(shape.voters - 1).fill('follower'), ...Array<Role>(shape.observers).fill('observer')];
    expect(JSON.stringify([...roles].sort()) === JSON.stringify([...expected].sort()), `${env.label}: roles ${roles.join(', ')}, expected ${expected.join(', ')}`);
    const readyMs = Date.now() - start;
    const prefix = `/env-${env.label.replace(/[^a-z0-9]+/gi, '-')}`;
    const acked = await client.write(ensemble.hosts(), prefix, 20);
    const seen = await client.read(ensemble.hosts(), prefix);
    expect(acked.length === 20 && seen.length === 20, `${env.label}: wrote ${acked.length}, read ${seen.length}`);
    return `${env.label}: ${shape.standalone ? 'standalone' : roles.length + ' members, one leader'}, serving ${(readyMs / 1000).toFixed(1)} s after start, 20/20 writes read back`;
  } finally {
    await ensemble.destroy();
  }
}

/**
 * A configuration change rolls out as on Kubernetes. environments/prod.yaml synthesizes dist/prod's
 * pod template checksum; with tickTime 3000 the checksum changes, which is what makes the pods be
 * replaced. The changed ConfigMap is updated in place (the kubelet refreshes mounted ConfigMaps),
 * then the pods are replaced one at a time from the highest ordinal, each Ready before the next, as
 * RollingUpdate does (rollStrategy 'statefulset'; dist/prod's OnDelete voters are replaced by the
 * roll Job instead, which scenario 23 plays). Every member then runs with the new tickTime (its
 * AdminServer reports it) and every acknowledged write is still there.
 */
export async function configChangeRollsOut(ctx: Context): Promise<string> {
  const prod = prodEnvironment();
  const settingsOf = prod.label.startsWith('dist/') ? `environments/${prod.label.slice(5)}` : prod.label;
  const checksumOf = (objects: Manifest[]) => find(objects, 'StatefulSet')[0].spec.template.metadata.annotations[CONFIG_CHECKSUM_ANNOTATION];
  const committed = checksumOf(ctx.ensemble.objects);
  const base = checksumOf(synthesizeToYaml(prod.settings));
  expect(base === committed, `${settingsOf} synthesizes checksum ${base}, the played ${prod.label} holds ${committed}`);
  const image = mainContainer(ctx.ensemble.members[0]).image;
  const changedObjects = withImage(synthesizeToYaml({ ...prod.settings, tickTime: 3000 }), image);
  const changed = checksumOf(changedObjects);
  expect(changed !== base, 'tickTime 2000 -> 3000 left the pod template checksum unchanged');

  const rolled = new Ensemble(changedObjects, ctx.cluster);
  const dataOf = (name: string) => JSON.stringify(ctx.ensemble.configMaps.find((c) => c.metadata.name === name)?.data);
  const changedMaps = rolled.configMaps.filter((c) => JSON.stringify(c.data) !== dataOf(c.metadata.name));
  await ctx.cluster.updateConfigMaps(changedMaps);
  const start = Date.now();
  for (const member of [...rolled.members].reverse()) {
    await ctx.cluster.deletePod(member.name);
    await rolled.start([member]);
    await ctx.cluster.probeUntil(member, 'readinessProbe', true, 120_000);
  }
  const rolledMs = Date.now() - start;
  await rolled.waitForQuorum(60_000);
  for (const member of rolled.members) {
    const { body } = await rolled.adminCommand(member, 'configuration');
    expect(body?.tick_time === 3000, `${member.name} runs with tick_time ${body?.tick_time} after the roll`);
  }
  const checked = await everyAckedWritePresent(ctx, rolled, 'after the roll');
  return `${settingsOf} gives ${prod.label}'s checksum ${base.slice(0, 8)}; tickTime 2000 -> 3000 changes it to ${changed.slice(0, 8)} `
    + `and ${changedMaps.map((c) => c.metadata.name).join(', ')}; pods replaced ${[...rolled.members].reverse().map((m) => m.name).join(', ')} one at a time, each Ready, `
    + `in ${(rolledMs / 1000).toFixed(1)} s; every member's AdminServer reports tick_time 3000; all ${checked} acknowledged writes present`;
}
