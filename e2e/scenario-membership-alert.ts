// Scenario 10.1: ZooKeeperMembershipDiffers live, on scenario 10's ensemble and Prometheus. What the
// members count is real: each serving member's quorum_size, scraped through the monitor. What the
// voters' StatefulSet asks for comes from the kube-state-metrics stand-in (statefulset-replicas.ts):
// the applied replicas, then two more, as after a change of replicas whose new members and roll
// have not come yet, then the applied number again. The rule's bound is the roll Job's deadline
// (42 minutes for 5 voters): the production rule is shown pending and not firing, and a copy
// labelled `e2e_for`, with `for` shortened to FOR_SHORTENED, is shown firing for every member and
// resolving (promtool's unit tests in test/alert-rules.test.ts prove the real bound).
import { Ensemble } from './ensemble';
import { find, Manifest } from './expand';
import { MetricsEndpoint } from './metrics-endpoint';
import { waitFor } from './podman';
import { ActiveAlert, PrometheusServer } from './prometheus';
import { StatefulSetKey, StatefulSetReplicas } from './statefulset-replicas';

const ALERT = 'ZooKeeperMembershipDiffers';
const FOR_SHORTENED = '30s';
const expect = (ok: boolean, message: string) => { if (!ok) throw new Error(message); };
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export class MembershipAlertLive {
  private readonly replicas: StatefulSetReplicas;
  private readonly rule: any;
  private readonly voters: StatefulSetKey;
  private readonly ensembleName: string;
  private endpoint?: MetricsEndpoint;

  /** `objects`: the ensemble's, with its PrometheusRule. */
  constructor(objects: Manifest[]) {
    this.replicas = new StatefulSetReplicas(objects);
    this.rule = find(objects, 'PrometheusRule').flatMap((r) => r.spec.groups).flatMap((g: any) => g.rules).find((r: any) => r.alert === ALERT);
    expect(this.rule !== undefined, `the PrometheusRule has no ${ALERT}`);
    const statefulSet = /statefulset="([^"]+)"/.exec(String(this.rule.expr))?.[1];
    expect(statefulSet !== undefined, `${ALERT} selects no StatefulSet: ${this.rule.expr}`);
    this.voters = { namespace: String(this.rule.labels.namespace), name: statefulSet! };
    this.ensembleName = String(this.rule.labels.ensemble);
    expect(this.replicas.get(this.voters) !== undefined, `${ALERT} selects StatefulSet ${statefulSet}, which the objects do not hold`);
  }

  /** Starts the stand-in; returns its scrape config and the rule group of the shortened copy, for Prometheus. */
  public async start(): Promise<{ scrapeConfig: unknown; ruleGroup: unknown }> {
    this.endpoint = await this.replicas.serve();
    const copy = { ...this.rule, for: FOR_SHORTENED, labels: { ...this.rule.labels, e2e_for: `shortened from ${this.rule.for} to ${FOR_SHORTENED}` } };
    return { scrapeConfig: this.endpoint.scrapeConfig(), ruleGroup: { name: 'e2e-membership-shortened-for', interval: '5s', rules: [copy] } };
  }

  /** 10.1: silent while the counts agree; pending, then the copy firing for every member while they differ; resolved once they agree. */
  public async differsAndResolves(prometheus: PrometheusServer, ensemble: Ensemble): Promise<string> {
    const applied = this.replicas.get(this.voters)!;
    const members = ensemble.members.map((m) => m.name).sort();
    const counted = await waitFor('every member\'s quorum_size and the stand-in\'s replicas in Prometheus', 60_000, 1000, async () => {
      const rows = await prometheus.query(`quorum_size{namespace="${this.voters.namespace}", ensemble="${this.ensembleName}"}`);
      const desired = await prometheus.query(`kube_statefulset_replicas{namespace="${this.voters.namespace}", statefulset="${this.voters.name}"}`);
      return rows.length === members.length && desired.length === 1 ? rows : undefined;
    });
    const counts = counted.map((r) => `${r.metric.pod}=${r.value[1]}`).sort();
    expect(counted.every((r) => Number(r.value[1]) === applied), `the members count other than the ${applied} voters applied: ${counts.join(', ')}`);
    const before = await this.alerts(prometheus);
    expect(before.length === 0, `${ALERT} active while every member counts ${applied} voters, as the StatefulSet asks: ${describe(before)}`);

    const asked = applied + 2;
    const changedAt = Date.now();
    this.replicas.set(this.voters, asked);
    try {
      const pendingMs = await waitFor(`${ALERT} (for: ${this.rule.for}) to go pending`, 60_000, 500, async () =>
        ((await this.alerts(prometheus)).some((a) => a.labels.e2e_for === undefined && a.state === 'pending') ? Date.now() - changedAt : undefined));
      const firingMs = await waitFor(`the copy with for: ${FOR_SHORTENED} to fire for every member`, 120_000, 500, async () => {
        const firing = (await this.alerts(prometheus)).filter((a) => a.labels.e2e_for !== undefined && a.state === 'firing');
        return firing.length === members.length ? Date.now() - changedAt : undefined;
      });
      const active = await this.alerts(prometheus);
      const copies = active.filter((a) => a.labels.e2e_for !== undefined);
      expect(copies.map((a) => a.labels.pod).sort().join() === members.join(), `the copy fires for ${copies.map((a) => a.labels.pod)}, not for the members ${members}`);
      expect(copies.every((a) => a.annotations.description.includes(`has counted ${applied} voting members`)), `the description does not say what the members count: ${copies[0]?.annotations.description}`);
      const production = active.filter((a) => a.labels.e2e_for === undefined);
      expect(production.length === members.length && production.every((a) => a.state === 'pending'),
        `the production rule (for: ${this.rule.for}) is not pending for every member ${firingMs / 1000} s after the change: ${describe(production)}`);
      console.log(`e2e: ${ALERT} fired: ${copies[0].annotations.summary}; ${copies[0].annotations.description}`);

      const restoredAt = Date.now();
      this.replicas.set(this.voters, applied);
      const resolvedMs = await waitFor(`${ALERT} to resolve`, 60_000, 500, async () =>
        ((await this.alerts(prometheus)).length === 0 ? Date.now() - restoredAt : undefined));
      return `every member's quorum_size ${counts.join(', ')}, as StatefulSet ${this.voters.name} asks (stand-in): nothing active; `
        + `the stand-in at ${asked}: the production rule (for: ${this.rule.for}) pending ${seconds(pendingMs)} later and still only pending, `
        + `the copy with for: ${FOR_SHORTENED} firing for all ${members.length} members ${seconds(firingMs)} later ("has counted ${applied} voting members"); `
        + `back at ${applied}: both resolved ${seconds(resolvedMs)} later`;
    } finally {
      this.replicas.set(this.voters, applied);
    }
  }

  public async stop(): Promise<void> {
    await this.endpoint?.stop();
  }

  private async alerts(prometheus: PrometheusServer): Promise<ActiveAlert[]> {
    return (await prometheus.alerts()).filter((a) => a.labels.alertname === ALERT);
  }
}

function describe(alerts: ActiveAlert[]): string {
  return alerts.map((a) => `${a.labels.pod}${a.labels.e2e_for ? ' (copy)' : ''} ${a.state}`).join(', ') || 'none';
}
