// Scenario 14: SASL. A 3-member ensemble with quorum and client SASL (DIGEST-MD5) and a super
// digest, its credentials in a Secret provided the way the kubelet provides Secret volumes.
// Proves: the quorum forms with members authenticating each other; a client with a password
// holding `"` and `\` writes and reads through every member; a client without SASL and one with a
// wrong password get nothing done; the super digest never shows on the java command line; a member
// with a wrong quorum password cannot join while the other two keep their leader and take writes.
import { ZooKeeperClient } from './client';
import { PodmanCluster } from './cluster';
import { Ensemble, synthesizeToYaml } from './ensemble';
import { ExpandedPod } from './expand';
import { sleep } from './podman';
import { e2eProps } from './flavours';

const SECRET = 'zks-sasl';
const USER = 'app';
/** Quotes and backslashes: the JAAS file must escape them, the client sends them as they are. */
const PASSWORDS = { quorum: 'qu"orum\\pass-1', app: 'ap"p\\pass-2' };
/** DigestAuthenticationProvider's digest of `super:e2e-super`. */
const SUPER_DIGEST = 'super:axBFoi3/fSCeEL3wGwKg34IEDHQ=';
const PROPS = e2eProps({
  name: 'zks', quorumSasl: true, clientSasl: true, saslSecretName: SECRET,
  saslClientUsers: { [USER]: 'app-password' }, saslSuperDigestKey: 'super-digest',
});
/** How long a member with the wrong quorum password is watched, at least. */
const REJECT_WATCH_MS = 30_000;
const expect = (ok: boolean, message: string) => { if (!ok) throw new Error(message); };
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const secretData = (quorumPassword: string) => ({
  'quorum-password': Buffer.from(quorumPassword),
  'app-password': Buffer.from(PASSWORDS.app),
  'super-digest': Buffer.from(SUPER_DIGEST),
});

/** `whileServing` runs once authenticated clients are served (scenario 21.6 runs the post-deploy check there). */
export async function saslEndToEnd(cluster: PodmanCluster, client: ZooKeeperClient, whileServing?: (ensemble: Ensemble) => Promise<unknown>): Promise<string> {
  const ensemble = new Ensemble(synthesizeToYaml(PROPS), cluster);
  const hosts = ensemble.hosts();
  const authenticated = ['--sasl-user', USER, '--sasl-password', PASSWORDS.app];
  await cluster.putSecret(SECRET, secretData(PASSWORDS.quorum));
  try {
    // The quorum forms, every member authenticating to the others.
    const start = Date.now();
    await ensemble.start();
    await ensemble.waitForQuorum(180_000);
    const formedMs = Date.now() - start;
    const roles = await ensemble.roles();
    expect(roles.filter((r) => r === 'leader').length === 1 && roles.filter((r) => r === 'follower').length === 2, `roles: ${JSON.stringify(roles)}`);
    const leader = await ensemble.leader();
    const leaderLog = await cluster.logs(leader.name);
    const learnersAuthenticated = (leaderLog.match(/Successfully completed the authentication using SASL\. learner addr/g) ?? []).length;
    expect(learnersAuthenticated >= 2, `the leader logs ${learnersAuthenticated} SASL-authenticated learners, expected both followers`);
    // Liveness (ruok) and readiness (srvr, which waitForQuorum used) are four-letter words: no session, no SASL.
    for (const member of ensemble.members) {
      const live = await cluster.probe(member, 'livenessProbe');
      expect(live.ok, `${member.name} liveness fails under SASL enforcement: ${live.output}`);
    }

    // The super digest reaches the JVM from a file: the command line has only the file's path.
    const cmdline = await ensemble.exec(ensemble.members[0], ['bash', '-c', 'for p in /proc/[0-9]*; do tr "\\0" " " <$p/cmdline 2>/dev/null; echo; done']);
    const java = cmdline.split('\n').find((line) => line.includes('QuorumPeerMain'));
    expect(java !== undefined && !java.includes(SUPER_DIGEST.split(':')[1]) && /@\/run\/sasl\/jvm\.options /.test(java),
      `the java command line shows the digest or not the in-memory options file: ${java}`);

    // An authenticated client writes through every member and reads from each.
    const written = await client.command(['write', '--hosts', hosts.join(','), '--prefix', '/sasl', '--count', '50', ...authenticated]);
    const acked = written.events.filter((e) => e.acked !== undefined).length;
    expect(written.code === 0 && acked === 50, `${acked} of 50 authenticated writes acknowledged: ${written.stderr}`);
    for (const member of ensemble.members) {
      const read = await client.command(['read', '--hosts', ensemble.hosts([member]).join(','), '--prefix', '/sasl', ...authenticated], 60_000);
      const seen = read.events.find((e) => Array.isArray(e.seqs))?.seqs.length;
      expect(seen === 50, `${member.name} serves ${seen} of 50 znodes to the authenticated client`);
    }
    await whileServing?.(ensemble);

    // Unauthenticated and wrongly authenticated clients get nothing done. Each writes to its own
    // prefix through one member, whose log must say why it closed the session.
    const target = ensemble.members[0];
    const refusals: string[] = [];
    for (const [label, args, logged] of [
      ['no SASL', [], /Client authentication scheme\(s\) \[ip\] does not match with any of the expected authentication scheme \[sasl\], closing session/],
      ['wrong password', ['--sasl-user', USER, '--sasl-password', 'not-the-password'], /failed to SASL authenticate/],
    ] as const) {
      const before = (await cluster.logs(target.name)).length;
      const prefix = `/refused-${label.replace(/\W/g, '-')}`;
      const attempt = await client.command(['write', '--hosts', ensemble.hosts([target]).join(','), '--prefix', prefix, '--count', '1', '--timeout', '5', '--connect-timeout', '10', ...args], 60_000);
      const ackedHere = attempt.events.filter((e) => e.acked !== undefined).length;
      expect(attempt.code !== 0 && ackedHere === 0, `a client with ${label} wrote ${ackedHere} znodes (exit ${attempt.code})`);
      const log = (await cluster.logs(target.name)).slice(before);
      const found = logged.exec(log)?.[0];
      expect(found !== undefined, `${target.name} does not log refusing the client with ${label} (${logged})`);
      const read = await client.command(['read', '--hosts', hosts.join(','), '--prefix', prefix, ...authenticated], 60_000);
      const exists = read.events.find((e) => Array.isArray(e.seqs))?.exists;
      expect(exists === false, `${prefix} exists after the refused client's attempt`);
      refusals.push(`${label}: exit ${attempt.code}, 0 writes, "${found!.slice(0, 60)}..."`);
    }

    // A member with the wrong quorum password cannot join; the other two keep serving writes.
    const [rogue, ...survivors] = [...ensemble.members].reverse();
    const rejected = await wrongQuorumPassword(cluster, ensemble, client, rogue, survivors, authenticated);

    // With the right password it joins again.
    const back = Date.now();
    await ensemble.start([rogue]);
    await ensemble.waitForQuorum(120_000);
    const rejoinMs = Date.now() - back;

    return `quorum with SASL ${seconds(formedMs)} after start (1 leader, 2 followers; the leader logs ${learnersAuthenticated} SASL-authenticated learners; `
      + 'liveness and readiness answer); java command line without the super digest; '
      + `50/50 writes by ${USER} (password with " and \\), each member serves them; refused: ${refusals.join('; ')}; `
      + `wrong quorum password: ${rejected}; with the right one: rejoined in ${seconds(rejoinMs)}`;
  } catch (error) {
    await cluster.dumpLogs(120);
    throw error;
  } finally {
    await ensemble.delete().catch(() => undefined);
  }
}

/**
 * Replaces `rogue` by the same member mounting a Secret with another quorum password, checks every
 * 2 s that it never serves while the others keep one leader and accept writes, and removes it.
 */
async function wrongQuorumPassword(cluster: PodmanCluster, ensemble: Ensemble, client: ZooKeeperClient, rogue: ExpandedPod,
  survivors: ExpandedPod[], authenticated: string[]): Promise<string> {
  await ensemble.delete([rogue]);
  await ensemble.waitForQuorum(60_000, survivors);
  const wrongSecret = `${SECRET}-wrong`;
  await cluster.putSecret(wrongSecret, secretData('not-the-quorum-password'));
  const pod = structuredClone(rogue.pod);
  pod.spec.volumes.find((v: any) => v.secret?.secretName === SECRET).secret.secretName = wrongSecret;
  const logged = await Promise.all(survivors.map(async (m) => (await cluster.logs(m.name)).length));
  const since = Date.now();
  await cluster.play({ ...rogue, pod }, ensemble.configMaps);
  let checks = 0;
  let writes = 0;
  // At least three checks: each takes a few seconds (probes, a client's session and writes).
  while (Date.now() - since < REJECT_WATCH_MS || checks < 3) {
    const [rogueRole, ...others] = await ensemble.roles([rogue, ...survivors]);
    expect(rogueRole === undefined, `${rogue.name} with the wrong quorum password serves as ${rogueRole}`);
    expect(others.every((r) => r !== undefined) && others.filter((r) => r === 'leader').length === 1, `the others lost their quorum: ${JSON.stringify(others)}`);
    const write = await client.command(['write', '--hosts', ensemble.hosts(survivors).join(','), '--prefix', `/during-rogue-${checks}`, '--count', '5', '--timeout', '10', ...authenticated]);
    writes += write.events.filter((e) => e.acked !== undefined).length;
    expect(write.code === 0, `the other two took no writes while ${rogue.name} tried to join: ${write.stderr}`);
    checks++;
    await sleep(2000);
  }
  const rogueLog = await cluster.logs(rogue.name);
  expect(!/Peer state changed: (following|leading)/.test(rogueLog), `${rogue.name} became a follower or leader`);
  const survivorLogs = (await Promise.all(survivors.map(async (m, i) => (await cluster.logs(m.name)).slice(logged[i])))).join('\n');
  const theirs = /Failed to authenticate using SASL[^\n]*/.exec(survivorLogs)?.[0];
  const its = /(Failed to authenticate using SASL|Authentication failed against server addr)[^\n]*/.exec(rogueLog)?.[0];
  expect(theirs !== undefined || its !== undefined, `neither ${rogue.name} nor the others log a failed quorum SASL authentication`);
  await ensemble.delete([rogue]);
  return `${rogue.name} not serving for ${seconds(Date.now() - since)} (${checks} checks) while the other 2 kept a leader and took ${writes}/${checks * 5} writes; `
    + `the others' log: "${(theirs ?? 'none').slice(0, 80)}", its log: "${(its ?? 'none').slice(0, 80)}"`;
}
