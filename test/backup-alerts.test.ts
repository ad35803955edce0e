/**
 * The backup's alerts, run by promtool against kube-state-metrics series of the backup CronJob
 * and its Jobs: a failed run fires until a later run succeeds, and a last success (or, before any,
 * the CronJob's creation) older than backupMaxAgeHours fires.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';
import { resolveEnsemble } from '../lib';
import { renderAlertRules } from '../lib/render/alert-rules';
import { InputSeries } from './fixtures/alerts/ensemble-series';
import { Expectations } from './fixtures/alerts/expected-alerts';
import { requirePrometheusTool, runBounded } from './support/tools';

const promtool = requirePrometheusTool('promtool');
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zk-backup-alerts-'));
afterAll(() => fs.rmSync(workDir, { recursive: true, force: true }));

const model = resolveEnsemble({ namespace: 'zk', backup: true, backupClaimName: 'zk-backups', backupMaxAgeHours: 2 });
const KSM = 'job="kube-state-metrics"';
const CRONJOB = `namespace="zk", cronjob="zookeeper-backup", ${KSM}`;
/** A value for each of `minutes` minutes, `_` where the series is absent. */
const samples = (minutes: number, at: (minute: number) => number | undefined) =>
  Array.from({ length: minutes }, (_, m) => at(m) ?? '_').join(' ');

let run = 0;
async function promtoolTest(series: InputSeries[], expectations: Expectations): Promise<void> {
  const rules = path.join(workDir, `rules-${++run}.yml`);
  fs.writeFileSync(rules, stringify({ groups: expectations.groups }, { lineWidth: 0 }));
  const testFile = path.join(workDir, `test-${run}.yml`);
  fs.writeFileSync(testFile, stringify(expectations.testFile(rules, series), { lineWidth: 0 }));
  const result = await runBounded(promtool, ['test', 'rules', testFile], { env: process.env, timeoutMs: 30_000 });
  if (result.code !== 0) throw new Error(`promtool test rules failed:\n${result.stdout}${result.stderr}`);
}

/** The rules of `model` with only the backup alerts, so the other alerts need no series here. */
const backupOnly = () => new Expectations(renderAlertRules(model).map((g) => ({ ...g, rules: g.rules.filter((r) => r.alert.startsWith('ZooKeeperBackup')) })));

test('without backup there are no backup alerts; with it, both, scoped to this CronJob', () => {
  expect(renderAlertRules(resolveEnsemble({ namespace: 'zk' }))[0].rules.filter((r) => /Backup/.test(r.alert))).toEqual([]);
  const rules = renderAlertRules(model)[0].rules.filter((r) => /Backup/.test(r.alert));
  expect(rules.map((r) => r.alert)).toEqual(['ZooKeeperBackupFailed', 'ZooKeeperBackupTooOld']);
  for (const rule of rules) expect(rule.expr).toMatch(/namespace="zk"/);
});

test('ZooKeeperBackupFailed: a run that failed fires at once, an older failure does not, and a later success ends it', async () => {
  // The CronJob exists from minute 0 and has never succeeded. Its run at minute 5 fails at minute 8;
  // the run at minute 20 succeeds at minute 22, which ends the alert.
  const job = (name: string, start: number, failedAt: number | undefined, from: number) => [
    { series: `kube_job_status_start_time{namespace="zk", job_name="${name}", ${KSM}}`, values: samples(40, (m) => (m >= from ? start : undefined)) },
    { series: `kube_job_status_failed{namespace="zk", job_name="${name}", reason="BackoffLimitExceeded", ${KSM}}`,
      values: samples(40, (m) => (m >= from ? (failedAt !== undefined && m >= failedAt ? 1 : 0) : undefined)) },
  ];
  await promtoolTest([
    { series: `kube_cronjob_created{${CRONJOB}}`, values: samples(40, () => 0) },
    { series: `kube_cronjob_status_last_successful_time{${CRONJOB}}`, values: samples(40, (m) => (m >= 22 ? 22 * 60 : undefined)) },
    ...job('zookeeper-backup-29412305', 5 * 60, 8, 5),
    ...job('zookeeper-backup-29412320', 20 * 60, undefined, 20),
    // Another ensemble's backup failing is not this one's.
    { series: `kube_job_status_start_time{namespace="other", job_name="zookeeper-backup-29412305", ${KSM}}`, values: samples(40, () => 300) },
    { series: `kube_job_status_failed{namespace="other", job_name="zookeeper-backup-29412305", ${KSM}}`, values: samples(40, () => 1) },
  ], backupOnly()
    .silent('ZooKeeperBackupFailed', 4, 7, 23, 30)
    .firing('ZooKeeperBackupFailed', [8, 15, 21], { labels: { namespace: 'zk', job_name: 'zookeeper-backup-29412305', job: 'kube-state-metrics' } }));
});

const tooOldOnly = () => new Expectations(renderAlertRules(model).map((g) => ({ ...g, rules: g.rules.filter((r) => r.alert === 'ZooKeeperBackupTooOld') })));

test('ZooKeeperBackupTooOld: the last success older than backupMaxAgeHours', async () => {
  // Created at minute 0, last success at minute 30: too old from minute 150, two hours later.
  await promtoolTest([
    { series: `kube_cronjob_created{${CRONJOB}}`, values: samples(200, () => 0) },
    { series: `kube_cronjob_status_last_successful_time{${CRONJOB}}`, values: samples(200, (m) => (m >= 31 ? 30 * 60 : undefined)) },
  ], tooOldOnly()
    .silent('ZooKeeperBackupTooOld', 29, 100, 149)
    .firing('ZooKeeperBackupTooOld', 151, { labels: { namespace: 'zk' }, value: '2h 1m 0s' }));
});

test('ZooKeeperBackupTooOld: a CronJob that has never succeeded, counted from its creation', async () => {
  // Created at minute 10, never successful: too old from minute 130.
  await promtoolTest([
    { series: `kube_cronjob_created{${CRONJOB}}`, values: samples(200, () => 600) },
  ], tooOldOnly()
    .silent('ZooKeeperBackupTooOld', 20, 129)
    .firing('ZooKeeperBackupTooOld', 131, { labels: { namespace: 'zk' }, value: '2h 1m 0s' }));
});
