// Scenario 11: the observers of a cluster-mode ensemble (5 voters + 2 observers) in real
// containers. Observers must follow the leader and serve reads, and must not count towards the
// quorum. The pointed case: with 3 of the 5 voters stopped, the leader, one follower and both
// observers still run - 4 of 7 servers, a majority of the servers but not of the voters. If the
// observers counted, writes would go on; they must stop, and resume with nothing lost once the
// voters are back.
import { DeploymentMode } from '../lib';
import { ZOOKEEPER_PROGRAM } from '../lib/render/supervisord-conf';
import { Attempt, StoppableWriter, WriteEvent, ZooKeeperClient } from './client';
import { PodmanCluster } from './cluster';
import { Ensemble, synthesizeToYaml } from './ensemble';
import { ExpandedPod, find, Manifest } from './expand';
import { waitFor } from './podman';
import { e2eProps } from './flavours';

const VOTERS = 5;
const OBSERVERS = 2;
const PROPS = e2eProps({ name: 'obs', mode: DeploymentMode.CLUSTER, replicas: VOTERS, observers: OBSERVERS });
const ROOT = '/observers';
/**
 * An ack can reach the client a moment after the last stopped voter exited (a proposal those voters
 * had acknowledged is committed and answered in flight). Later than this, it would be a write
 * committed without a quorum of voters.
 */
const IN_FLIGHT_GRACE_MS = 1000;
/** How long one write or read through a server without a quorum gets before it counts as failed. */
const ATTEMPT_SECONDS = 8;
/** Acks through the observer after the restart before the writer is ended. */
const ACKS_AFTER_RESTART = 20;

const expect = (ok: boolean, message: string) => { if (!ok) throw new Error(message); };
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const ackedSeqs = (events: WriteEvent[]) => events.filter((e) => e.acked !== undefined).map((e) => e.acked!);

interface Server { readonly id: number; readonly observer: boolean }

/** `whileServing` runs once voters and observers serve (scenario 21.10 runs the post-deploy check there). */
export async function observersServeReadsWithoutVoting(cluster: PodmanCluster, client: ZooKeeperClient,
  whileServing?: (ensemble: Ensemble) => Promise<unknown>): Promise<string> {
  const objects = synthesizeToYaml(PROPS);
  const ensemble = new Ensemble(objects, cluster);
  // Roles as ZooKeeper assigns them: from each member's own line in the rendered server list.
  const servers = serverList(objects);
  const server = (member: ExpandedPod) => {
    const found = servers.get(member.fqdn);
    if (!found) throw new Error(`${member.name} (${member.fqdn}) has no line in the server list`);
    return found;
  };
  const voters = ensemble.members.filter((m) => !server(m).observer);
  const observers = ensemble.members.filter((m) => server(m).observer);
  expect(voters.length === VOTERS && observers.length === OBSERVERS && servers.size === VOTERS + OBSERVERS,
    `expected ${VOTERS} voters and ${OBSERVERS} observers among the pods and in the server list, got ${voters.length} + ${observers.length} pods, ${servers.size} lines`);
  // Without a quorum a server serves nothing unless read-only mode is on (a JVM flag). The outage
  // assertions below are for the configuration as rendered; with read-only mode they would differ.
  expect(!/readonlymode\.enabled\W+true/.test(JSON.stringify(objects)),
    'the manifests enable readonlymode: observers would serve reads without a quorum, which this scenario asserts they do not');

  const acked = new Map<string, number[]>();
  let writer: StoppableWriter | undefined;
  try {
    const start = Date.now();
    await ensemble.start();
    // Voters and observers are timed apart: an observer that found no leader in its first election
    // rounds only asks again when its notification back-off expires (FastLeaderElection doubles it,
    // up to 60 s), and no voter tells it when a leader is elected.
    await ensemble.waitForQuorum(180_000, voters);
    const votersMs = Date.now() - start;
    await ensemble.waitForQuorum(180_000);
    const quorumMs = Date.now() - start;
    const roles = await ensemble.roles();
    const voterRoles = voters.map((m) => roles[ensemble.members.indexOf(m)]);
    const observerRoles = observers.map((m) => roles[ensemble.members.indexOf(m)]);
    expect(voterRoles.filter((r) => r === 'leader').length === 1 && voterRoles.filter((r) => r === 'follower').length === VOTERS - 1,
      `voters report ${JSON.stringify(voterRoles)}: expected 1 leader and ${VOTERS - 1} followers`);
    expect(observerRoles.every((r) => r === 'observer'), `observers report ${JSON.stringify(observerRoles)} (srvr Mode), expected observer`);
    await whileServing?.(ensemble);
    const leaderView = await leaderCountsObserversApart(ensemble, await ensemble.leader(voters));
    for (const observer of observers) {
      const mntr = await ensemble.mntr(observer);
      expect(mntr.get('zk_server_state') === 'observer' && /^observing\b/.test(mntr.get('zk_peer_state') ?? ''),
        `${observer.name}: mntr zk_server_state=${mntr.get('zk_server_state')} zk_peer_state=${mntr.get('zk_peer_state')}`);
    }

    // Observers hold the tree: writes through the voters are read through each observer alone,
    // and a write through an observer (forwarded to the leader) is read through a voter.
    const viaVoters = `${ROOT}/via-voters`;
    acked.set(viaVoters, await client.write(ensemble.hosts(voters), viaVoters, 100));
    expect(acked.get(viaVoters)!.length === 100, `${acked.get(viaVoters)!.length} of 100 writes through the voters acknowledged`);
    for (const observer of observers) {
      const seen = await client.read(ensemble.hosts([observer]), viaVoters);
      expect(seen.length === 100, `${observer.name} alone serves ${seen.length} of the 100 znodes written through the voters`);
    }
    const viaObserver = `${ROOT}/via-observer`;
    acked.set(viaObserver, await client.write(ensemble.hosts([observers[0]]), viaObserver, 50));
    expect(acked.get(viaObserver)!.length === 50, `${acked.get(viaObserver)!.length} of 50 writes through ${observers[0].name} acknowledged`);
    for (const reader of [voters[0], observers[1]]) {
      const seen = await client.read(ensemble.hosts([reader]), viaObserver);
      expect(seen.length === 50, `${reader.name} serves ${seen.length} of the 50 znodes written through ${observers[0].name}`);
    }

    // A writer with a session through an observer keeps trying while three followers are stopped.
    const acrossOutage = `${ROOT}/across-outage`;
    writer = client.stoppableWriteLoop(ensemble.hosts([observers[0]]), acrossOutage, 300);
    const events = writer.events;
    await waitFor('the writer through the observer to get going', 30_000, 100, async () => (ackedSeqs(events).length >= 20 || undefined));
    const leader = await ensemble.leader(voters);
    const followers = voters.filter((m) => m !== leader);
    const stopped = followers.slice(0, VOTERS - 2);
    const survivor = followers[VOTERS - 2];
    const running = [leader, survivor, ...observers];
    const conf = ensemble.supervisordConf();
    const stopAt = Date.now();
    await Promise.all(stopped.map((m) => ensemble.exec(m, ['supervisorctl', '-c', conf, 'stop', ZOOKEEPER_PROGRAM], 60_000)));
    const stoppedAt = Date.now();
    const lostMs = await waitFor('every running member to stop serving', 60_000, 100, async () =>
      ((await ensemble.roles(running)).every((r) => r === undefined) ? Date.now() - stopAt : undefined));

    // The leader's own account of stepping down names the voters it still had, and no observer.
    const reason = [...(await cluster.logs(leader.name)).matchAll(/only synced with sids: \[ (.*?) \]\s*$/gm)].pop()?.[1];
    expect(reason !== undefined, `${leader.name}'s log does not say why it stopped leading ("Not sufficient followers synced")`);
    const syncedIds = (reason!.match(/\d+/g) ?? []).map(Number).sort((a, b) => a - b);
    const expectedIds = [server(leader).id, server(survivor).id].sort((a, b) => a - b);
    expect(JSON.stringify(syncedIds) === JSON.stringify(expectedIds),
      `${leader.name} stepped down synced with sids [${syncedIds}], expected the running voters [${expectedIds}] and no observer`);

    // New sessions get nowhere either: no write through the other observer or the surviving voter,
    // and no read through an observer (read-only mode is off). The same attempts run again once the
    // quorum is back, where they must succeed: they fail for the outage, not on their own.
    const freshAttempts = () => Promise.all([
      client.attempt('write', ensemble.hosts([observers[1]]), `${ROOT}/new-session-via-observer`, ATTEMPT_SECONDS),
      client.attempt('write', ensemble.hosts([survivor]), `${ROOT}/new-session-via-voter`, ATTEMPT_SECONDS),
      client.attempt('read', ensemble.hosts([observers[0]]), viaVoters, ATTEMPT_SECONDS),
    ]);
    const [observerWrite, voterWrite, observerRead] = await freshAttempts();
    failed(observerWrite, `a write through ${observers[1].name}`);
    failed(voterWrite, `a write through the surviving voter ${survivor.name}`);
    failed(observerRead, `a read through ${observers[0].name}`);
    const srvr = await ensemble.fourLetterWord(observers[0], 'srvr');
    expect(/not currently serving requests/.test(srvr), `${observers[0].name} answers srvr without a quorum with: ${srvr.trim()}`);

    // The stopped voters come back: the voters elect a leader, the observers follow it again and
    // the writer's session through the observer gets acks again.
    const restartAt = Date.now();
    const starting = Promise.all(stopped.map((m) => ensemble.exec(m, ['supervisorctl', '-c', conf, 'start', ZOOKEEPER_PROGRAM], 60_000)));
    starting.catch(() => undefined);
    await ensemble.waitForQuorum(120_000, voters);
    const votersBackMs = Date.now() - restartAt;
    const observersBackMs = await waitFor('the observers to serve again', 120_000, 200, async () =>
      ((await ensemble.roles(observers)).every((r) => r === 'observer') ? Date.now() - restartAt : undefined));
    const afterRestart = () => events.filter((e) => e.acked !== undefined && e.t * 1000 >= restartAt);
    await waitFor(`${ACKS_AFTER_RESTART} acks through ${observers[0].name} after the restart`, 120_000, 100, async () =>
      (afterRestart().length >= ACKS_AFTER_RESTART || undefined));
    const resumeMs = afterRestart()[0].t * 1000 - restartAt;
    await starting;
    const all = await writer.stop();

    // Not one ack while the voters were short; the writer kept trying all along.
    const inOutage = all.filter((e) => e.t * 1000 > stoppedAt + IN_FLIGHT_GRACE_MS && e.t * 1000 < restartAt);
    const outageAcks = ackedSeqs(inOutage);
    expect(outageAcks.length === 0, `${outageAcks.length} writes were acknowledged without a quorum of voters: seqs ${outageAcks.slice(0, 10)}`);
    expect(inOutage.length > 0, 'the writer made no attempt during the outage: its silence proves nothing');
    const ackedBefore = all.filter((e) => e.acked !== undefined && e.t * 1000 <= stoppedAt + IN_FLIGHT_GRACE_MS).length;
    acked.set(acrossOutage, ackedSeqs(all));

    // Nothing acknowledged is lost: every member that was away and each observer has all of it.
    let checked = 0;
    for (const reader of [...stopped, ...observers]) {
      for (const [prefix, seqs] of acked) {
        const stored = new Set(await client.read(ensemble.hosts([reader]), prefix));
        const missing = seqs.filter((seq) => !stored.has(seq));
        expect(missing.length === 0, `${reader.name} lacks ${missing.length} acknowledged writes under ${prefix}: ${missing.slice(0, 10)}`);
      }
    }
    for (const seqs of acked.values()) checked += seqs.length;
    const leaderViewAfter = await leaderCountsObserversApart(ensemble, await ensemble.leader(voters));
    const [observerWriteNow, voterWriteNow, observerReadNow] = await freshAttempts();
    expect(observerWriteNow.code === 0 && observerWriteNow.acked.length === 1 && voterWriteNow.code === 0 && voterWriteNow.acked.length === 1
      && observerReadNow.code === 0 && observerReadNow.seqs?.length === 100,
    `with the quorum back, the outage's attempts still fail: ${JSON.stringify([observerWriteNow, voterWriteNow, { ...observerReadNow, seqs: observerReadNow.seqs?.length }])}`);

    const failures = inOutage.length;
    return `voters' quorum ${seconds(votersMs)} and all ${VOTERS + OBSERVERS} serving ${seconds(quorumMs)} after start; observers report Mode: observer; `
      + `leader mntr ${leaderView}; 100 writes through the voters read back through each observer alone, 50 through an observer read back through a voter; `
      + `3 followers stopped in ${seconds(stoppedAt - stopAt)} (leader, 1 follower, 2 observers = 4 of 7 servers left): none serving ${seconds(lostMs)} after the stop began, `
      + `leader stepped down "synced with sids [${syncedIds}]" (observers are ${observers.map((m) => server(m).id)}); `
      + `new sessions through the other observer and the surviving voter (write) and an observer (read) got none within ${ATTEMPT_SECONDS} s, srvr "not currently serving"; `
      + `restarted: voters' quorum after ${seconds(votersBackMs)}, observers serving after ${seconds(observersBackMs)}, `
      + `writes through the observer's session resumed after ${seconds(resumeMs)}; its acks ${ackedBefore} before, 0 during (${failures} failed attempt${failures === 1 ? '' : 's'}), `
      + `${afterRestart().length} after; leader mntr again ${leaderViewAfter}; `
      + `lost 0 of ${checked} acknowledged writes (read through the 3 restarted voters and both observers)`;
  } catch (error) {
    // The pods are deleted below, before the harness would print their logs.
    await cluster.dumpLogs(120, ensemble.members.map((m) => m.name));
    throw error;
  } finally {
    await writer?.stop().catch(() => undefined);
    await ensemble.delete();
  }
}

/** The server ids and roles of the rendered server list, by host name. */
function serverList(objects: Manifest[]): Map<string, Server> {
  const zooCfg: string | undefined = find(objects, 'ConfigMap').map((c) => c.data?.['zoo.cfg']).find((text) => text !== undefined);
  if (!zooCfg) throw new Error('no ConfigMap holds zoo.cfg');
  const servers = new Map<string, Server>();
  for (const [, id, host, observer] of zooCfg.matchAll(/^server\.(\d+)=([^:\s]+):\d+:\d+(:observer)?$/gm)) {
    servers.set(host, { id: Number(id), observer: observer !== undefined });
  }
  return servers;
}

/**
 * The leader's mntr: the quorum is the voters alone, and its synced followers exclude the
 * observers, which it counts on their own. Waits briefly, as a learner counts once it has synced.
 */
async function leaderCountsObserversApart(ensemble: Ensemble, leader: ExpandedPod): Promise<string> {
  const wanted: Record<string, string> = {
    zk_quorum_size: String(VOTERS),
    zk_synced_followers: String(VOTERS - 1),
    zk_synced_observers: String(OBSERVERS),
    zk_learners: String(VOTERS - 1 + OBSERVERS),
  };
  let last = '';
  return waitFor(`${leader.name}'s mntr to count ${VOTERS - 1} followers and ${OBSERVERS} observers`, 15_000, 500, async () => {
    const mntr = await ensemble.mntr(leader);
    last = Object.keys(wanted).map((key) => `${key}=${mntr.get(key)}`).join(' ');
    return Object.entries(wanted).every(([key, value]) => mntr.get(key) === value) ? last : undefined;
  }).catch((error) => { throw new Error(`${(error as Error).message}; last: ${last}`); });
}

/** The attempt got no session at all: the server took none (not serving, and not read-only). */
function failed(attempt: Attempt, what: string): void {
  expect(attempt.code !== 0 && attempt.acked.length === 0 && attempt.seqs === undefined,
    `${what} without a quorum of voters succeeded (exit ${attempt.code}, acked ${attempt.acked}, read ${attempt.seqs?.length ?? '-'} znodes)`);
  expect(/accepted a session/.test(attempt.why), `${what} without a quorum of voters failed, but not for want of a session: ${attempt.why}`);
}
