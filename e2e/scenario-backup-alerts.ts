// Scenarios 22.10 to 22.12: the backup's alerts live. A real Prometheus loads the production
// PrometheusRule as synthesized and scrapes the kube-state-metrics stand-in (cronjob-metrics.ts),
// which serves the runs of the backup CronJob that 22.1 to 22.5 play (22.1 succeeds, 22.2 fails,
// 22.4 and 22.5 succeed). ZooKeeperBackupFailed has no `for` and is shown as is. The real bound of
// ZooKeeperBackupTooOld is backupMaxAgeHours (at least 1 h): the production rule is shown silent
// while the backups are that fresh, and a copy labelled `e2e_bound` with the bound shortened to
// BOUND_SHORTENED_SECONDS is shown firing and resolving (promtool's unit test in
// test/backup-alerts.test.ts proves the real bound).
import * as path from 'path';
import { ZooKeeperChartProps } from '../lib';
import { CronJobHistory, KubeStateMetrics } from './cronjob-metrics';
import { find, Manifest } from './expand';
import { MetricsEndpoint } from './metrics-endpoint';
import { waitFor } from './podman';
import { ActiveAlert, PrometheusServer } from './prometheus';
import { monitoringUnderTest } from './scrape';

const expect = (ok: boolean, message: string) => { if (!ok) throw new Error(message); };
const FAILED = 'ZooKeeperBackupFailed';
const TOO_OLD = 'ZooKeeperBackupTooOld';
const BOUND_SHORTENED_SECONDS = 60;

export class BackupAlertsLive {
  private readonly prometheus: PrometheusServer;
  private stateMetrics?: MetricsEndpoint;
  private boundSeconds = 0;

  constructor(private readonly history: CronJobHistory, private readonly objects: Manifest[], private readonly settings: ZooKeeperChartProps, workdir: string) {
    this.prometheus = new PrometheusServer(path.join(workdir, 'prometheus-backup-alerts'));
  }

  /** 22.10: after a successful run, both rules are evaluated on the stand-in's series and neither is active. */
  public async quietAfterSuccess(): Promise<string> {
    const last = this.history.lastSuccessfulSeconds();
    expect(last !== undefined, '22.1 recorded no successful run');
    await this.start();
    const age = `time() - max(kube_cronjob_status_last_successful_time{cronjob="${this.history.cronJob}"})`;
    const seen = await waitFor('Prometheus to have the stand-in\'s last successful time', 60_000, 500, async () => {
      const [r] = await this.prometheus.query(age);
      return r === undefined ? undefined : Number(r.value[1]);
    });
    // Every rule of the two evaluated, without error, after the series had arrived.
    const seenAt = Date.now();
    await waitFor('the backup rules to be evaluated on the stand-in\'s series', 30_000, 500, async () => {
      const rules = (await this.prometheus.alertingRules()).filter((r) => r.name === FAILED || r.name === TOO_OLD);
      const bad = rules.find((r) => r.health === 'err');
      if (bad) throw new Error(`${bad.name} does not evaluate: ${bad.lastError}`);
      return rules.length === 3 && rules.every((r) => r.health === 'ok' && Date.parse(r.lastEvaluation) > seenAt) || undefined;
    });
    const active = await this.alerts();
    expect(active.length === 0, `after a successful backup these are active: ${describe(active)}`);
    return `Prometheus on the stand-in: last success ${seen.toFixed(0)} s old (real bound ${this.boundSeconds} s, copy ${BOUND_SHORTENED_SECONDS} s); `
      + `${FAILED}, ${TOO_OLD} and its shortened copy evaluated, none active`;
  }

  /**
   * 22.11: after 22.2's failed run, ZooKeeperBackupFailed fires naming its Job; the production
   * ZooKeeperBackupTooOld stays silent while the shortened copy fires once no backup succeeded for its bound.
   */
  public async firesAfterFailure(failedJob: string, failedAtMs: number): Promise<string> {
    const failed = await waitFor(`${FAILED} to fire for ${failedJob}`, 60_000, 500, async () =>
      ((await this.alerts()).find((a) => a.labels.alertname === FAILED && a.state === 'firing') ? Date.now() - failedAtMs : undefined));
    const firing = (await this.alerts()).filter((a) => a.labels.alertname === FAILED);
    expect(firing.length === 1 && firing[0].labels.job_name === failedJob, `${FAILED} names ${describe(firing)}, expected Job ${failedJob} alone`);
    const lastSuccess = this.history.lastSuccessfulSeconds()!;
    const copyFired = await waitFor(`the shortened ${TOO_OLD} to fire`, (BOUND_SHORTENED_SECONDS + 60) * 1000, 500, async () =>
      ((await this.alerts()).some((a) => a.labels.alertname === TOO_OLD && a.labels.e2e_bound !== undefined && a.state === 'firing') ? Date.now() / 1000 - lastSuccess : undefined));
    const real = (await this.alerts()).filter((a) => a.labels.alertname === TOO_OLD && a.labels.e2e_bound === undefined);
    expect(real.length === 0, `the production ${TOO_OLD} (bound ${this.boundSeconds} s) is active on a backup ${copyFired.toFixed(0)} s old`);
    return `${FAILED} firing ${(failed / 1000).toFixed(1)} s after the failed run ended, for Job ${failedJob}; the ${TOO_OLD} copy (bound ${BOUND_SHORTENED_SECONDS} s) firing `
      + `${copyFired.toFixed(0)} s after the last success, the production rule (bound ${this.boundSeconds} s) not active`;
  }

  /** 22.12: after the next successful run (22.4), both alerts resolve. */
  public async resolveAfterSuccess(succeededAtMs: number): Promise<string> {
    const resolved = await waitFor(`${FAILED} and ${TOO_OLD} to resolve`, 60_000, 500, async () =>
      ((await this.alerts()).length === 0 ? Date.now() - succeededAtMs : undefined));
    return `${FAILED} and the shortened ${TOO_OLD} resolved ${(resolved / 1000).toFixed(1)} s after the successful run ended; the failed Job is still listed `
      + `(${this.history.jobs().filter((j) => !j.succeeded).length} failed of ${this.history.jobs().length} kept)`;
  }

  public async stop(): Promise<void> {
    await this.prometheus.stop();
    await this.stateMetrics?.stop();
  }

  /** The stand-in and Prometheus with the production rule groups plus the shortened copy. */
  private async start(): Promise<void> {
    const groups = find(monitoringUnderTest(this.objects, this.settings), 'PrometheusRule').flatMap((r) => r.spec.groups);
    const rules = groups.flatMap((g: any) => g.rules);
    expect(rules.some((r: any) => r.alert === FAILED && r.for === undefined), `the production PrometheusRule has no ${FAILED} without \`for\``);
    const tooOld = rules.find((r: any) => r.alert === TOO_OLD);
    const bound = / > (\d+)$/.exec(String(tooOld?.expr))?.[1];
    expect(bound !== undefined, `the production PrometheusRule has no ${TOO_OLD} ending in its bound: ${tooOld?.expr}`);
    this.boundSeconds = Number(bound);
    const copy = {
      ...tooOld,
      expr: String(tooOld.expr).replace(/ > \d+$/, ` > ${BOUND_SHORTENED_SECONDS}`),
      labels: { ...tooOld.labels, e2e_bound: `shortened from ${bound} s to ${BOUND_SHORTENED_SECONDS} s` },
    };
    this.stateMetrics = await KubeStateMetrics.start(this.history);
    await this.prometheus.start([this.stateMetrics.scrapeConfig()],
      [...groups, { name: 'e2e-backup-shortened-bound', interval: '5s', rules: [copy] }], 5);
  }

  private async alerts(): Promise<ActiveAlert[]> {
    return (await this.prometheus.alerts()).filter((a) => a.labels.alertname === FAILED || a.labels.alertname === TOO_OLD);
  }
}

function describe(alerts: ActiveAlert[]): string {
  return alerts.map((a) => `${a.labels.alertname}(${a.labels.job_name ?? a.labels.e2e_bound ?? ''}, ${a.state})`).join(', ') || 'none';
}
