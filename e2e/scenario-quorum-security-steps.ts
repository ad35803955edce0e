// Scenarios 26 and 27: quorum TLS, then quorum SASL, turned on in a running ensemble without an
// outage, in the three rolls their steps make (docs/tls.md, docs/sasl.md): false -> 'accept' ->
// 'prefer' -> true, each one synthesis and one apply rolled by the default roll Job under a writer
// (e2e/roll-job-under-writes.ts: followers first, the leader last). Between neighbouring steps every member accepts what its neighbours
// do, so each roll keeps the quorum: the roll's own checks (every step serving writes, no zxid
// going back, nothing lost) are the proof. Per step, the members show they run it:
// - TLS: each replaced member's log says how it dials and what its quorum ports accept, and from
//   the first step on every election port serves the members' certificate, verified for its name
//   (issued as in scenario 12, before the first step's pods start: on Kubernetes they wait for
//   cert-manager's Secret);
// - SASL: every connection a follower made to the leader after the roll shows in the leader's log:
//   at 'accept' learners do not try yet (they send no credentials) and the leader keeps them
//   anyway; from 'prefer' on, each is authenticated.
import * as path from 'path';
import { IssuerKind, QuorumSecurityStep, ZooKeeperChartProps } from '../lib';
import { ClientTlsFiles, ZooKeeperClient } from './client';
import { PodmanCluster } from './cluster';
import { Ensemble, synthesizeToYaml } from './ensemble';
import { find } from './expand';
import { e2eProps } from './flavours';
import { PlayedPods } from './roll-job';
import { rollByJobUnderWrites } from './roll-job-under-writes';
import { hex } from './zxid';
import { clientMaterial, servedCertificate } from './scenario-tls';
import { waitFor } from './podman';
import { PREFIX } from './scenarios';
import { TlsMaterial } from './tls-material';

type Step = boolean | QuorumSecurityStep;
const STEPS: readonly Step[] = [false, QuorumSecurityStep.ACCEPT, QuorumSecurityStep.PREFER, true];
export type QuorumSecurityKind = 'tls' | 'sasl';

/** What a member started at each TLS step logs: how it dials the others, and what its quorum sockets accept. */
const TLS_LOGGED: Record<string, { dials: RegExp; accepts: RegExp }> = {
  [QuorumSecurityStep.ACCEPT]: { dials: /Using insecure \(non-TLS\) quorum communication/, accepts: /Creating TLS-enabled quorum server socket/ },
  [QuorumSecurityStep.PREFER]: { dials: /Using TLS encrypted quorum communication/, accepts: /Creating TLS-enabled quorum server socket/ },
  true: { dials: /Using TLS encrypted quorum communication/, accepts: /Creating TLS-only quorum server socket/ },
};
const SASL_SECRET = 'zkqs-sasl';
/** What the leader logs for each learner it accepts at a step. */
const LEADER_LOGGED: Record<string, RegExp> = {
  [QuorumSecurityStep.ACCEPT]: /Maintaining learner connection despite SASL authentication failure/g,
  [QuorumSecurityStep.PREFER]: /Successfully completed the authentication using SASL\. learner addr/g,
  true: /Successfully completed the authentication using SASL\. learner addr/g,
};

const expect = (ok: boolean, message: string) => { if (!ok) throw new Error(message); };

/** The settings of each step, under the scenario's own ensemble name. */
function stepProps(kind: QuorumSecurityKind, step: Step): ZooKeeperChartProps {
  if (kind === 'tls') {
    return e2eProps({ name: 'zkq', quorumTls: step, ...(step === false ? {} : { tlsIssuer: { name: 'e2e-ca', kind: IssuerKind.CLUSTER_ISSUER } }) });
  }
  return e2eProps({ name: 'zkqs', quorumSasl: step, ...(step === false ? {} : { saslSecretName: SASL_SECRET }) });
}

export class QuorumSecuritySteps {
  private readonly ensembles: Ensemble[];
  private readonly pods: PlayedPods;
  private tls?: ClientTlsFiles;

  constructor(private readonly kind: QuorumSecurityKind, private readonly cluster: PodmanCluster,
    private readonly client: ZooKeeperClient, private readonly workdir: string) {
    this.ensembles = STEPS.map((step) => new Ensemble(synthesizeToYaml(stepProps(kind, step)), cluster, 'cluster.local', { reverseDns: kind === 'tls' }));
    this.pods = new PlayedPods(cluster, new Date());
    for (const ensemble of this.ensembles) this.pods.add(ensemble);
  }

  /** The plaintext ensemble, then each step rolled under a writer; `row` reports one roll each. */
  public async run(row: (step: number, body: () => Promise<string>) => Promise<boolean>): Promise<void> {
    await this.provideSecrets();
    await this.ensembles[0].start();
    await this.ensembles[0].waitForQuorum(120_000);
    for (let i = 1; i < STEPS.length; i++) {
      const [current, target] = [this.ensembles[i - 1], this.ensembles[i]];
      const ok = await row(i, async () => {
        const roles = async () => (await target.roles()).map((r) => r ?? 'not serving').join('/');
        const ctx = { cluster: this.cluster, client: this.client, pods: this.pods, workdir: this.workdir };
        const roll = await rollByJobUnderWrites(ctx, current, target, `${PREFIX}/quorum-${this.kind}-${i}`, roles);
        expect(roll.elections === 1, `the roll cost ${roll.elections} leader elections (zxid ${hex(roll.startZxid)} -> ${hex(roll.endZxid)}), not 1`);
        const shown = this.kind === 'tls' ? await this.tlsShown(target, STEPS[i]) : await this.saslShown(target, STEPS[i]);
        return `quorum${this.kind === 'tls' ? 'Tls' : 'Sasl'} ${STEPS[i - 1]} -> ${STEPS[i]}: ${roll.figures}; `
          + `roles after each replacement ${roll.states.join(' -> ')}, writes acked between replacements ${roll.acksBetween.join(', ')}; ${shown}`;
      });
      if (!ok) return;
    }
  }

  public async destroy(): Promise<void> {
    await this.ensembles[STEPS.length - 1].destroy();
  }

  /** What the user creates (and cert-manager writes) before the first step. */
  private async provideSecrets(): Promise<void> {
    if (this.kind === 'sasl') {
      await this.cluster.putSecret(SASL_SECRET, { 'quorum-password': Buffer.from('steps-quorum-password') });
      return;
    }
    const [certificate] = find(this.ensembles[1].objects, 'Certificate');
    const { secretName, dnsNames } = certificate.spec;
    const passwordRef = certificate.spec.keystores.pkcs12.passwordSecretRef;
    const material = new TlsMaterial(path.join(this.workdir, 'tls-steps'));
    const ca = material.ca('e2e-ca');
    const password = material.password();
    await this.cluster.putSecret(passwordRef.name, { [passwordRef.key]: password });
    await this.cluster.putSecret(secretName, material.secretData(ca, material.issue(ca, 'members', dnsNames), password, 'members'));
    this.tls = await clientMaterial(material, ca, this.client);
  }

  private async tlsShown(target: Ensemble, step: Step): Promise<string> {
    const logged = TLS_LOGGED[String(step)];
    for (const member of target.members) {
      const log = await this.cluster.logs(member.name);
      expect(logged.dials.test(log) && logged.accepts.test(log), `${member.name} at step '${step}' does not log ${logged.dials} and ${logged.accepts}`);
    }
    const election = target.containerPort('election')!;
    // Bounded, not once: at 'accept' a member is Ready on plaintext alone. Two full CI runs (never a
    // run of scenario 26 alone) saw the last-replaced member not serve a verified certificate, once
    // at the first try and once for 30 s; the cause is not known yet, so a failure now says what
    // openssl saw, where the name resolved and what the member logged about quorum connections.
    for (const member of target.members) {
      await waitFor(`${member.name}:${election} to serve the members' certificate, verified for its name, at step '${step}'`, 60_000, 2_000,
        async () => {
          // By the pod's address: the check is of the certificate, and a name the client container
          // resolves late (see the message when it fails) is the test bed's, not the member's.
          const address = await this.cluster.podIp(member.name);
          const served = await servedCertificate(this.client, this.tls!, member.fqdn, election, address);
          if (!served.verified) {
            const listener = (await this.cluster.logs(member.name)).split('\n').filter((l) => /QuorumCnxManager|UnifiedServerSocket/.test(l) && /WARN|ERROR/.test(l)).slice(-2);
            throw new Error(`pod address ${address}; ${served.seen}; its last quorum connection warnings: ${listener.join(' | ').slice(0, 600) || 'none'}`);
          }
          return true;
        });
    }
    return `every member logs "${logged.dials.source.replace(/\\/g, '')}" and "${logged.accepts.source}", its election port serves the certificate, verified`;
  }

  private async saslShown(target: Ensemble, step: Step): Promise<string> {
    const leader = await target.leader();
    const followers = (await target.roles()).filter((r) => r === 'follower').length;
    const logged = LEADER_LOGGED[String(step)];
    const seen = ((await this.cluster.logs(leader.name)).match(logged) ?? []).length;
    expect(seen >= followers, `the leader ${leader.name} logs ${seen} times ${logged.source}, expected once for each of its ${followers} followers`);
    return `the leader ${leader.name} logs "${logged.source.replace(/\\/g, '')}" ${seen} time(s) for its ${followers} followers`;
  }
}
