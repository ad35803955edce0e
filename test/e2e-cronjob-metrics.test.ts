import { execFileSync } from 'child_process';
import { CronJobHistory, renderCronJobMetrics } from '../e2e/cronjob-metrics';
import { requirePrometheusTool } from './support/tools';

// The stand-in for kube-state-metrics' CronJob and Job series (e2e 22.10 to 22.12): the backup's
// alerts read them, so they must say what the runs given to it did, as kube-state-metrics would.
const CRONJOB = {
  apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'zookeeper-backup', namespace: 'zookeeper' },
  spec: { successfulJobsHistoryLimit: 2, failedJobsHistoryLimit: 1 },
};
const CREATED = 1_700_000_000;

/** The samples of the exposition, `name{labels}` to value. */
function samples(text: string): Map<string, number> {
  const lines = text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
  return new Map(lines.map((line) => {
    const at = line.lastIndexOf(' ');
    return [line.slice(0, at), Number(line.slice(at + 1))];
  }));
}

describe('the kube-state-metrics stand-in for the backup CronJob', () => {
  test('before any success it has the creation time and no last successful time, as the alerts expect', () => {
    const history = new CronJobHistory(CRONJOB, CREATED);
    const s = samples(renderCronJobMetrics(history));
    expect(s.get('kube_cronjob_created{cronjob="zookeeper-backup",namespace="zookeeper"}')).toBe(CREATED);
    expect([...s.keys()].some((k) => k.startsWith('kube_cronjob_status_last_successful_time'))).toBe(false);
  });

  test('each run is a Job named by its start minute, with its start, outcome and the last success', () => {
    // GIVEN a success, a failure in the same minute, and a success later
    const history = new CronJobHistory(CRONJOB, CREATED);
    const t0 = (CREATED + 600) * 1000;
    const first = history.record(t0, t0 + 4_500, true);
    const second = history.record(t0 + 10_000, t0 + 13_000, false);
    const third = history.record(t0 + 300_000, t0 + 305_900, true);
    const minute = Math.floor(t0 / 60_000);
    // THEN the names are the CronJob controller's, the second bumped off the taken minute
    expect([first, second, third]).toEqual([`zookeeper-backup-${minute}`, `zookeeper-backup-${minute + 1}`, `zookeeper-backup-${minute + 5}`]);
    const s = samples(renderCronJobMetrics(history));
    const job = (name: string) => `{job_name="${name}",namespace="zookeeper"}`;
    expect(s.get(`kube_job_status_start_time${job(second)}`)).toBe(CREATED + 610);
    expect(s.get(`kube_job_status_failed${job(second)}`)).toBe(1);
    expect(s.get(`kube_job_status_failed${job(third)}`)).toBe(0);
    expect(s.get(`kube_job_status_succeeded${job(third)}`)).toBe(1);
    // Only a Job that succeeded has a completion time; the last success is the newest one's, in whole seconds.
    expect(s.has(`kube_job_status_completion_time${job(second)}`)).toBe(false);
    expect(s.get('kube_cronjob_status_last_successful_time{cronjob="zookeeper-backup",namespace="zookeeper"}')).toBe(CREATED + 905);
  });

  test('Jobs past the CronJob\'s history limits are gone, the last success stays', () => {
    const history = new CronJobHistory(CRONJOB, CREATED);
    const t0 = CREATED * 1000;
    for (let i = 0; i < 3; i++) history.record(t0 + i * 60_000, t0 + i * 60_000 + 1000, true);
    history.record(t0 + 200_000, t0 + 201_000, false);
    const latestFailure = history.record(t0 + 260_000, t0 + 261_000, false);
    const kept = history.jobs();
    expect(kept.filter((j) => j.succeeded)).toHaveLength(2);
    expect(kept.filter((j) => !j.succeeded).map((j) => j.name)).toEqual([latestFailure]);
    expect(history.lastSuccessfulSeconds()).toBe(CREATED + 121);
  });

  test('its exposition passes promtool check metrics', () => {
    const history = new CronJobHistory(CRONJOB, CREATED);
    history.record(CREATED * 1000 + 5000, CREATED * 1000 + 9000, false);
    // promtool check metrics exits non-zero on a parse error and on a lint finding.
    execFileSync(requirePrometheusTool('promtool'), ['check', 'metrics'], { input: renderCronJobMetrics(history), stdio: ['pipe', 'pipe', 'pipe'] });
  });
});
