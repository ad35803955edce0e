// A stand-in for kube-state-metrics' CronJob and Job series, the only source of what the backup's
// alerts (ZooKeeperBackupFailed, ZooKeeperBackupTooOld) read: the test bed has no API server and no
// kube-state-metrics. It serves, on 127.0.0.1, the series kube-state-metrics has for one CronJob and
// the Jobs it created, with its metric names, labels (cronjob/job_name, namespace) and units (Unix
// seconds, whole), from what the harness did when it played the CronJob controller: each run of the
// CronJob's pod is recorded as a Job named `<cronjob>-<minutes since the epoch>`, started when its
// pod was created, failed or succeeded when the pod exited.
// Where it departs from kube-state-metrics and the controllers:
//   - a Job has exactly one pod (the harness retries nothing; a real Job retries up to its
//     backoffLimit before it fails), so kube_job_status_failed is 0 or 1;
//   - two runs started within one minute are named by consecutive minutes (a real CronJob never
//     starts two Jobs for one scheduled minute);
//   - it serves only the series the alerts read plus kube_job_status_succeeded and
//     kube_job_status_completion_time, and no `reason` label on kube_job_status_failed;
//   - Jobs past the CronJob's successfulJobsHistoryLimit / failedJobsHistoryLimit are dropped at
//     once (the real CronJob controller removes them on its next sync).
import { Manifest } from './expand';
import { MetricsEndpoint } from './metrics-endpoint';

export interface RecordedJob {
  readonly name: string;
  readonly startSeconds: number;
  readonly completionSeconds: number;
  readonly succeeded: boolean;
}

/** What the CronJob controller and the Job controller would have recorded for one CronJob. */
export class CronJobHistory {
  public readonly namespace: string;
  public readonly cronJob: string;
  private readonly successfulLimit: number;
  private readonly failedLimit: number;
  private readonly runs: RecordedJob[] = [];
  private lastSuccessful?: number;

  /** `cronJob` as applied at `createdMs` (its creationTimestamp). */
  constructor(cronJob: Manifest, public readonly createdSeconds: number) {
    this.namespace = String(cronJob.metadata.namespace);
    this.cronJob = String(cronJob.metadata.name);
    this.successfulLimit = cronJob.spec.successfulJobsHistoryLimit ?? 3;
    this.failedLimit = cronJob.spec.failedJobsHistoryLimit ?? 1;
  }

  /** Records a run of the CronJob's pod; returns its Job's name. */
  public record(startMs: number, endMs: number, succeeded: boolean): string {
    let minute = Math.floor(startMs / 60_000);
    while (this.runs.some((r) => r.name === `${this.cronJob}-${minute}`)) minute++;
    const job: RecordedJob = { name: `${this.cronJob}-${minute}`, startSeconds: Math.floor(startMs / 1000), completionSeconds: Math.floor(endMs / 1000), succeeded };
    this.runs.push(job);
    // The CronJob controller sets lastSuccessfulTime to the completion time of a Job that succeeded.
    if (succeeded) this.lastSuccessful = Math.max(this.lastSuccessful ?? 0, job.completionSeconds);
    return job.name;
  }

  /** The Jobs that still exist: the newest of each outcome, within the CronJob's history limits. */
  public jobs(): RecordedJob[] {
    const kept = (succeeded: boolean, limit: number) => this.runs.filter((r) => r.succeeded === succeeded).slice(-limit);
    return [...kept(true, this.successfulLimit), ...kept(false, this.failedLimit)].sort((a, b) => a.startSeconds - b.startSeconds);
  }

  public lastSuccessfulSeconds(): number | undefined {
    return this.lastSuccessful;
  }
}

/** kube-state-metrics' exposition of the CronJob's and its Jobs' series, in the text format. */
export function renderCronJobMetrics(history: CronJobHistory): string {
  const lines: string[] = [];
  const family = (name: string, help: string, samples: [string, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, ...samples.map(([labels, value]) => `${name}{${labels}} ${value}`));
  };
  const cron = `cronjob="${history.cronJob}",namespace="${history.namespace}"`;
  family('kube_cronjob_created', 'When the CronJob was created, in Unix seconds.', [[cron, history.createdSeconds]]);
  const last = history.lastSuccessfulSeconds();
  // Absent until the first success, as kube-state-metrics has it while status.lastSuccessfulTime is unset.
  family('kube_cronjob_status_last_successful_time', 'When a Job of the CronJob last succeeded (status.lastSuccessfulTime), in Unix seconds.',
    last === undefined ? [] : [[cron, last]]);
  const jobs = history.jobs();
  const job = (j: RecordedJob) => `job_name="${j.name}",namespace="${history.namespace}"`;
  family('kube_job_status_start_time', 'When the Job started (status.startTime), in Unix seconds.', jobs.map((j) => [job(j), j.startSeconds]));
  family('kube_job_status_succeeded', 'How many of the Job\'s pods succeeded.', jobs.map((j) => [job(j), j.succeeded ? 1 : 0]));
  family('kube_job_status_failed', 'How many of the Job\'s pods failed.', jobs.map((j) => [job(j), j.succeeded ? 0 : 1]));
  // Kubernetes sets a Job's completionTime only when it succeeded.
  family('kube_job_status_completion_time', 'When the Job succeeded (status.completionTime), in Unix seconds.',
    jobs.filter((j) => j.succeeded).map((j) => [job(j), j.completionSeconds]));
  return `${lines.join('\n')}\n`;
}

/** kube-state-metrics' stand-in: serves `history` as it stands at each scrape. */
export const KubeStateMetrics = {
  start: (history: CronJobHistory): Promise<MetricsEndpoint> => MetricsEndpoint.start('kube-state-metrics', () => renderCronJobMetrics(history)),
};
