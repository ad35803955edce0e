import { ImageProfileProps } from '../image-profile';
import { ALERT_THRESHOLD_NAMES, PrometheusMonitor } from '../monitoring-settings';
import { EnsembleModel } from './ensemble-model';
import { INSTANCE_LABEL_KEY } from './resolve-labels';
import { SettingsReader } from './settings-reader';

/** The label the Grafana sidecar of kube-prometheus-stack looks for by default. */
const DEFAULT_DASHBOARD_LABELS = { grafana_dashboard: '1' };

/**
 * Reads the monitoring settings: metrics source, monitor, alert rules and dashboard.
 * `longestRollSeconds` is the longest a roll of every voter can take (the roll Job's deadline).
 */
export function readMonitoring(
  s: SettingsReader,
  image: ImageProfileProps,
  commonLabels: Readonly<Record<string, string>>,
  longestRollSeconds: number,
): Pick<EnsembleModel, 'monitoring' | 'alerts' | 'dashboard'> {
  // Alert windows are 5 minutes: longer intervals leave too few samples in them for rate().
  const scrapeIntervalSeconds = s.int('scrapeIntervalSeconds', 30, { min: 5, max: 120 });
  const monitoringLabels = s.labelMap('monitoringLabels');
  for (const key of Object.keys(monitoringLabels).filter((k) => k in commonLabels)) {
    s.fail(`monitoringLabels.${key}`, 'is already set on every object (selector, recommended or labels setting); choose another key');
  }

  const t = s.group('alertThresholds', ALERT_THRESHOLD_NAMES);
  const percent = (key: string, fallback: number) => t.int(key, fallback, { min: 1, max: 99 });
  const thresholds = {
    outstandingRequests: t.int('outstandingRequests', 10, { min: 1, max: 1000000 }),
    requestLatencyMs: t.int('requestLatencyMs', 100, { min: 1, max: 600000 }),
    fsyncLatencyMs: t.int('fsyncLatencyMs', 100, { min: 1, max: 600000 }),
    fileDescriptorsPercent: percent('fileDescriptorsPercent', 85),
    jvmHeapPercent: percent('jvmHeapPercent', 90),
    volumeUsedPercent: percent('volumeUsedPercent', 85),
    elections: t.int('elections', 1, { min: 1, max: 1000 }),
    restarts: t.int('restarts', 1, { min: 1, max: 1000 }),
  };
  const alertRules = s.bool('alertRules', true);
  const evaluationIntervalSeconds = s.int('alertEvaluationIntervalSeconds', undefined, { min: 1, max: 3600 });

  const grafanaDashboard = s.bool('grafanaDashboard', true);
  const dashboardLabels = s.has('grafanaDashboardLabels')
    ? s.labelMap('grafanaDashboardLabels', 'the Grafana sidecar loads dashboards by label, so it would never load this one; to leave the dashboard out, set grafanaDashboard: false')
    : DEFAULT_DASHBOARD_LABELS;
  if (!grafanaDashboard && s.has('grafanaDashboardLabels')) {
    s.fail('grafanaDashboardLabels', 'has no effect with grafanaDashboard: false; remove it, or turn the dashboard on');
  }
  if (!alertRules) {
    for (const key of ['alertThresholds', 'alertEvaluationIntervalSeconds'].filter((k) => s.has(k))) {
      s.fail(key, 'has no effect with alertRules: false; remove it, or turn the alert rules on');
    }
  }
  for (const key of Object.keys(dashboardLabels).filter((k) => k in commonLabels)) {
    s.fail(`grafanaDashboardLabels.${key}`, 'is already set on every object (selector, recommended or labels setting); choose another key');
  }

  return {
    monitoring: {
      exporter: image.nativePrometheusMetrics ? 'native' : 'mntr-exporter',
      monitor: s.oneOf('prometheusMonitor', PrometheusMonitor.SERVICE_MONITOR, PrometheusMonitor),
      metricsPath: '/metrics',
      scrapeIntervalSeconds,
      // A scrape must end before the next one starts; 10 s is plenty for either exporter.
      scrapeTimeoutSeconds: Math.min(10, scrapeIntervalSeconds),
      ensembleLabel: 'ensemble',
      ensembleLabelSource: INSTANCE_LABEL_KEY,
      objectLabels: { ...commonLabels, ...monitoringLabels },
    },
    // A change of replicas reaches the running members only by a roll of every member: until the
    // longest such roll is over, a membership that differs may still be on its way.
    alerts: alertRules ? { evaluationIntervalSeconds, thresholds, membershipSettleSeconds: longestRollSeconds } : undefined,
    dashboard: grafanaDashboard ? { labels: dashboardLabels } : undefined,
  };
}
