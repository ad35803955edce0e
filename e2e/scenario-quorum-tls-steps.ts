// Scenario 26: quorum TLS turned on in a running ensemble without an outage, in the three rolls
// the quorumTls steps make (docs/tls.md): false -> 'accept' -> 'prefer' -> true, each one
// synthesis and one RollingUpdate under a writer (e2e/rolling-update.ts). Between neighbouring
// steps every member accepts what its neighbours dial, so each roll keeps the quorum: the roll's
// own checks (every step serving writes, no zxid going back, nothing lost) are the proof. Per
// step, each replaced member's log says how it connects and what its quorum ports accept, and
// every member's election port serves the members' certificate, verified for its name, from the
// first step on. The certificate is issued as in scenario 12, before the first step's pods start
// (on Kubernetes the pods wait for cert-manager's Secret).
import * as path from 'path';
import { IssuerKind, QuorumTlsStep } from '../lib';
import { ZooKeeperClient } from './client';
import { PodmanCluster } from './cluster';
import { Ensemble, synthesizeToYaml } from './ensemble';
import { find } from './expand';
import { e2eProps } from './flavours';
import { rollFigures, rollUnderWrites } from './rolling-update';
import { clientMaterial, servedCertificate } from './scenario-tls';
import { PREFIX } from './scenarios';
import { TlsMaterial } from './tls-material';

const NAME = 'zkq';
type Step = boolean | QuorumTlsStep;
const STEPS: readonly Step[] = [false, QuorumTlsStep.ACCEPT, QuorumTlsStep.PREFER, true];
/** What a member started at each step logs: how it dials the others, and what its quorum sockets accept. */
const LOGGED: Record<string, { dials: RegExp; accepts: RegExp }> = {
  [QuorumTlsStep.ACCEPT]: { dials: /Using insecure \(non-TLS\) quorum communication/, accepts: /Creating TLS-enabled quorum server socket/ },
  [QuorumTlsStep.PREFER]: { dials: /Using TLS encrypted quorum communication/, accepts: /Creating TLS-enabled quorum server socket/ },
  true: { dials: /Using TLS encrypted quorum communication/, accepts: /Creating TLS-only quorum server socket/ },
};

const expect = (ok: boolean, message: string) => { if (!ok) throw new Error(message); };

export class QuorumTlsSteps {
  private readonly ensembles: Ensemble[];

  constructor(private readonly cluster: PodmanCluster, private readonly client: ZooKeeperClient, private readonly workdir: string) {
    this.ensembles = STEPS.map((quorumTls) => new Ensemble(synthesizeToYaml(e2eProps({
      name: NAME, quorumTls, ...(quorumTls === false ? {} : { tlsIssuer: { name: 'e2e-ca', kind: IssuerKind.CLUSTER_ISSUER } }),
    })), cluster, 'cluster.local', { reverseDns: true }));
  }

  /** 26.1-26.3: the plaintext ensemble, then each step rolled under a writer; one row per roll. */
  public async run(row: (step: number, body: () => Promise<string>) => Promise<boolean>): Promise<void> {
    const [certificate] = find(this.ensembles[1].objects, 'Certificate');
    const { secretName, dnsNames } = certificate.spec;
    const passwordRef = certificate.spec.keystores.pkcs12.passwordSecretRef;
    const material = new TlsMaterial(path.join(this.workdir, 'tls-steps'));
    const ca = material.ca('e2e-ca');
    const password = material.password();
    await this.cluster.putSecret(passwordRef.name, { [passwordRef.key]: password });
    await this.cluster.putSecret(secretName, material.secretData(ca, material.issue(ca, 'members', dnsNames), password, 'members'));
    const tls = await clientMaterial(material, ca, this.client);

    await this.ensembles[0].start();
    await this.ensembles[0].waitForQuorum(120_000);
    for (let i = 1; i < STEPS.length; i++) {
      const [current, target, step] = [this.ensembles[i - 1], this.ensembles[i], STEPS[i]];
      if (!await row(i, async () => {
        const roles = async () => (await target.roles()).map((r) => r ?? 'not serving').join('/');
        const result = await rollUnderWrites(this.cluster, this.client, current, target, `${PREFIX}/quorum-tls-${i}`, roles);
        const logged = LOGGED[String(step)];
        for (const member of target.members) {
          const log = await this.cluster.logs(member.name);
          expect(logged.dials.test(log) && logged.accepts.test(log), `${member.name} at step '${step}' does not log ${logged.dials} and ${logged.accepts}`);
        }
        const election = target.containerPort('election')!;
        for (const member of target.members) {
          const served = await servedCertificate(this.client, tls, member.fqdn, election);
          expect(served.verified, `${member.name}:${election} does not serve the members' certificate verified for its name at step '${step}'`);
        }
        return `quorumTls ${STEPS[i - 1]} -> ${step}: ${rollFigures(target, result)}; roles after each step ${result.states.join(' -> ')}; `
          + `every member logs "${logged.dials.source.replace(/\\/g, '')}" and "${logged.accepts.source}", its election port serves the certificate, verified`;
      })) return;
    }
  }

  public async destroy(): Promise<void> {
    await this.ensembles[STEPS.length - 1].destroy();
  }
}
