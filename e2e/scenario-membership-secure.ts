// Scenario 31: dynamic membership (scenario 29's drill) on the most locked-down ensemble the
// library allows: quorum TLS, TLS-only clients, quorum SASL and client SASL required. Its
// certificate is issued as cert-manager would issue the synthesized Certificate, once, at birth:
// in dynamic mode it names the members by one wildcard of the peer Service, so it must serve every
// step unchanged (asserted: the Certificate is the same at every replicas). Reverse lookups are
// played as the cluster DNS answers them (a member accepting a TLS quorum connection checks the
// caller's certificate against the name its address resolves to).
//
// Born with one voter, then 1 -> 3 and 3 -> 1 by one apply each, under a writer that uses TLS and
// SASL like any client. Each step is checked as scenario 29's; then a reconfig without the
// credentials must be refused: from a client with TLS and SASL but not the super user, from a
// TLS client without SASL, and from inside a member over the plaintext loopback port without
// SASL. The members' own reconfig sessions (their scripts) are what moved the voters.
import * as path from 'path';
import { ClientTls, IssuerKind, Membership, ZooKeeperChartProps } from '../lib';
import { ClientTlsFiles, ZooKeeperClient } from './client';
import { PlayOptions, PodmanCluster } from './cluster';
import { standInImage, withImage } from './dist';
import { synthesizeToYaml } from './ensemble';
import { ExpandedPod, find, Manifest } from './expand';
import { MembershipBed, MembershipDrill, MembershipStep } from './scenario-membership';
import { clientMaterial, servedCertificate } from './scenario-tls';
import { TlsMaterial } from './tls-material';

const expect = (ok: boolean, message: string) => { if (!ok) throw new Error(message); };
const SASL_SECRET = 'zkds-sasl';
const USER = 'app';
const PASSWORDS = { quorum: 'quorum-pass-31', app: 'app-pass-31' };
const SETTINGS: ZooKeeperChartProps = {
  namespace: 'zookeeper',
  name: 'zkds',
  membership: Membership.DYNAMIC,
  quorumTls: true,
  clientTls: ClientTls.ONLY,
  tlsIssuer: { name: 'e2e-ca', kind: IssuerKind.CLUSTER_ISSUER },
  quorumSasl: true,
  clientSasl: true,
  saslSecretName: SASL_SECRET,
  saslClientUsers: { [USER]: 'app-password' },
};

/**
 * A reconfig from the client container, over TLS with the client's certificate, with SASL when
 * given: prints COMMITTED, or REFUSED and why. kazoo's reconfig is the wire's. A session without
 * SASL is closed by the server with an error code kazoo 2.9 does not know (its connection thread
 * dies and the call never returns): hence the bounded wait and the hard exit.
 */
const RECONFIG_FROM_CLIENT = `
import os, sys
from kazoo.client import KazooClient
hosts, ca, cert, key, joining, user, password = sys.argv[1:8]
kw = dict(hosts=hosts, timeout=10, use_ssl=True, verify_certs=True, ca=ca, certfile=cert, keyfile=key)
if user:
    kw["sasl_options"] = {"mechanism": "DIGEST-MD5", "username": user, "password": password}
zk = KazooClient(**kw)
try:
    zk.start(timeout=15)
    zk.reconfig_async(joining, None, None, -1).get(timeout=15)
    print("COMMITTED", flush=True)
except Exception as e:
    print("REFUSED", type(e).__name__, e, flush=True)
os._exit(0)
`;
/** What a member logs when it closes a session that did not authenticate by SASL. */
const CLOSED_WITHOUT_SASL = /does not match with any of the expected authentication scheme \[sasl\], closing session/g;

export class SecureMembershipDrill extends MembershipDrill {
  private tls?: ClientTlsFiles;

  constructor(cluster: PodmanCluster, client: ZooKeeperClient, private readonly dir: string) {
    super(cluster, client, dir, 1);
  }

  public override get label(): string {
    return 'membership: dynamic with quorum TLS, TLS-only clients, quorum and client SASL (zkds, born with 1 voter)';
  }

  /** The Secrets first (the certificate from the Certificate the syntheses share), then the birth. */
  public override async start(): Promise<string> {
    const certificates = [1, 3].map((replicas) => find(this.synthesized(replicas), 'Certificate')[0]);
    expect(certificates[0] !== undefined && JSON.stringify(certificates[0]) === JSON.stringify(certificates[1]),
      'the Certificate differs between 1 and 3 replicas: a scale-up would re-issue it');
    const { secretName, dnsNames } = certificates[0].spec;
    const perMember = (dnsNames as string[]).filter((n) => /^zkds-\d/.test(n));
    expect(perMember.length === 0, `the Certificate names members one by one: ${perMember.join(', ')}`);
    const passwordRef = certificates[0].spec.keystores.pkcs12.passwordSecretRef;
    const material = new TlsMaterial(path.join(this.dir, 'tls-31'));
    const ca = material.ca('e2e-ca-31');
    const password = material.password();
    await this.cluster.putSecret(passwordRef.name, { [passwordRef.key]: password });
    await this.cluster.putSecret(secretName, material.secretData(ca, material.issue(ca, 'members-31', dnsNames), password, 'members-31'));
    await this.cluster.putSecret(SASL_SECRET, { 'quorum-password': Buffer.from(PASSWORDS.quorum), 'app-password': Buffer.from(PASSWORDS.app) });
    this.tls = await clientMaterial(material, ca, this.client);
    const born = await super.start();
    return `${born}; one certificate for every step, its member names ${(dnsNames as string[]).filter((n) => n.startsWith('*.zkds-headless')).join(', ')}`;
  }

  /** Scenario 29's step and checks, then the proof that the TLS and SASL held, and that reconfig needs the credentials. */
  public override async transition(step: MembershipStep): Promise<string> {
    const figures = await super.transition(step);
    const members = this.running();
    const quorum = await this.quorumSecured(members);
    const refused = await this.reconfigRefused(members, step.to);
    // Nothing of that changed the voters.
    await this.settled(step.to, 30_000);
    return `${figures}; ${quorum}; ${refused}`;
  }

  protected override playOptions(): PlayOptions {
    return { reverseDns: true };
  }

  protected override clientHosts(members: ExpandedPod[]): string[] {
    return this.ensemble.hosts(members, this.securePort);
  }

  protected override clientOptions(): string[] {
    const tls = this.clientTls;
    return ['--ca', tls.ca, '--certfile', tls.certfile, '--keyfile', tls.keyfile, '--sasl-user', USER, '--sasl-password', PASSWORDS.app];
  }

  protected override synthesized(replicas: number): Manifest[] {
    const objects = synthesizeToYaml({ ...SETTINGS, bootstrapVoters: this.bootstrapVoters, replicas });
    return withImage(objects, standInImage(objects));
  }

  private get clientTls(): ClientTlsFiles {
    if (!this.tls) throw new Error('the drill has not started');
    return this.tls;
  }

  private get securePort(): number {
    const port = this.ensemble.containerPort('client-tls');
    expect(port !== undefined && this.ensemble.containerPort('client') === undefined, 'TLS-only clients: the pod must declare the TLS client port and not the plaintext one');
    return port!;
  }

  /**
   * Every member runs its quorum over TLS, serves the certificate verified for its own name (the
   * wildcard) on its election port, and with more than one voter the leader has SASL-authenticated
   * every follower.
   */
  private async quorumSecured(members: ExpandedPod[]): Promise<string> {
    const election = this.ensemble.containerPort('election')!;
    for (const member of members) {
      expect(/Using TLS encrypted quorum communication/.test(await this.cluster.logs(member.name)), `${member.name} does not log TLS quorum communication`);
      const served = await servedCertificate(this.client, this.clientTls, member.fqdn, election);
      expect(served.verified, `${member.name}:${election} served a certificate not verified for ${member.fqdn}: ${served.seen}`);
    }
    if (members.length === 1) return 'quorum over TLS';
    const leader = await this.ensemble.leader(members);
    const log = await this.cluster.logs(leader.name);
    const learners = new Set([...log.matchAll(/Successfully completed the authentication using SASL\. learner addr: \/?([\d.]+)/g)].map((m) => m[1]));
    expect(learners.size >= members.length - 1, `the leader ${leader.name} logs ${learners.size} SASL-authenticated learner address(es), expected ${members.length - 1}`);
    return `quorum over TLS, with hostname verification against the wildcard; the leader authenticated ${members.length - 1} learners by SASL`;
  }

  /**
   * A reconfig sent without the credentials that allow it is refused every way a client could
   * send it, and nothing commits. It re-declares the leader's own server line: valid in every
   * state (removing the only voter is not), so it reaches the authorization check, which
   * ZooKeeper's leader makes after validating the new configuration.
   */
  private async reconfigRefused(members: ExpandedPod[], voters: number): Promise<string> {
    const leader = await this.ensemble.leader(members);
    const leaderId = this.ensemble.members.indexOf(leader) + 1;
    // The line as the members' scripts write it (own_line in membership-common.sh).
    const line = `server.${leaderId}=${leader.fqdn}:${this.ensemble.containerPort('quorum')}:${this.ensemble.containerPort('election')}:participant;127.0.0.1:${this.ensemble.clientPort}`;
    const tls = this.clientTls;
    const hosts = this.clientHosts(members).join(',');
    const fromClient = async (sasl: boolean) => {
      const result = await this.client.run(['python3', '-c', RECONFIG_FROM_CLIENT, hosts, tls.ca, tls.certfile, tls.keyfile, line,
        sasl ? USER : '', sasl ? PASSWORDS.app : ''], 60_000);
      const answer = result.stdout.split('\n').find((l) => /^(COMMITTED|REFUSED)/.test(l)) ?? `no answer: ${result.stderr.trim().split('\n').pop()}`;
      expect(answer.startsWith('REFUSED'), `a reconfig over TLS ${sasl ? 'as the SASL client user' : 'without SASL'} was not refused: ${answer}`);
      return answer.replace(/^REFUSED /, '');
    };
    const asClientUser = await fromClient(true);
    expect(/NoAuth/.test(asClientUser), `the client user's reconfig was refused, but not for its authority: ${asClientUser}`);
    const closed = async () => (await Promise.all(members.map((m) => this.cluster.logs(m.name)))).join('\n').match(CLOSED_WITHOUT_SASL)?.length ?? 0;
    const closedBefore = await closed();
    const withoutSaslAnswer = await fromClient(false);
    const closedAfter = await closed();
    expect(closedAfter > closedBefore, `the TLS session without SASL was not closed for its missing SASL (the client saw: ${withoutSaslAnswer})`);
    const withoutSasl = `the session closed: no SASL`;
    // Inside a member: the plaintext port, bound to loopback, without SASL and without the super password.
    const closedOnLoopbackBefore = await closed();
    const loopback = await this.ensemble.exec(members[0], ['bash', '-c',
      `printf 'reconfig -add ${line}\\nquit\\n' | timeout 30 "$ZK_JAVA" -XX:-UsePerfData -Xmx64m "$ZK_TOOL_LOGGING_OPTION" -cp "$ZK_CLASSPATH" `
      + 'org.apache.zookeeper.ZooKeeperMain -server "127.0.0.1:$ZK_CLIENT_PORT" 2>&1; true'], 60_000);
    expect(!/Committed new configuration/.test(loopback), `a plaintext reconfig over ${members[0].name}'s loopback without SASL committed: ${loopback}`);
    expect(await closed() > closedOnLoopbackBefore, `${members[0].name} did not close the loopback session without SASL; the client saw: ${loopback.slice(-500)}`);
    const loopbackWhy = /KeeperErrorCode = [A-Za-z ]+|Insufficient permission[^\n]*/.exec(loopback)?.[0] ?? loopback.trim().split('\n').filter((l) => !/^\s*at /.test(l)).pop()?.slice(0, 120);
    return `reconfig -add of the leader's own line (server.${leaderId}) refused as the SASL client user (${asClientUser.slice(0, 80)}), over TLS without SASL (${withoutSasl.slice(0, 80)}), `
      + `and over ${members[0].name}'s plaintext loopback without SASL (${loopbackWhy}); still ${voters} voter(s)`;
  }
}

/** Scenario 31's registration: birth, then 1 -> 3 and 3 -> 1; a failed step ends the chain. */
export async function membershipSecure(bed: MembershipBed, wanted: (scenario: string) => boolean): Promise<void> {
  const { cluster, client, run } = bed;
  if (!wanted('31')) return;
  const drill = new SecureMembershipDrill(cluster, client, bed.workdir);
  console.log(`e2e: scenario 31 plays ${drill.label}`);
  try {
    if (!await run('31.0 secure membership: one voter born from the bootstrap list, with quorum TLS and SASL', () => drill.start())) return;
    if (!await run('31.1 secure membership: 1 -> 3 under a TLS + SASL writer, by one apply', () => drill.transition({ from: 1, to: 3 }))) return;
    await run('31.2 secure membership: 3 -> 1 under a TLS + SASL writer, by one apply', () => drill.transition({ from: 3, to: 1 }));
  } finally {
    await drill.destroy();
  }
}
