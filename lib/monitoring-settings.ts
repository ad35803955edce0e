// The settings of an ensemble's monitoring: how Prometheus finds the members, the alert rules
// and the Grafana dashboard. Part of ZooKeeperEnsembleProps.

/** How the Prometheus Operator finds the members' metrics endpoints. */
export enum PrometheusMonitor {
  /** A ServiceMonitor on the metrics Service (`<name>-metrics`). */
  SERVICE_MONITOR = 'ServiceMonitor',
  /** A PodMonitor on the members' `metrics` container port, for Prometheus set up to select PodMonitors. */
  POD_MONITOR = 'PodMonitor',
  /** Neither: for clusters without the Prometheus Operator (the metrics Service is still created). */
  NONE = 'none',
}

/**
 * Where the alert rules fire. Every member is optional; the defaults suit an ensemble on ordinary
 * SSD-backed volumes.
 */
export interface AlertThresholds {
  /** Requests queued on one member, sustained for 5 minutes. @default 10 */
  readonly outstandingRequests?: number;
  /** Average request latency (reads and writes together) over 5 minutes, in milliseconds. @default 100 */
  readonly requestLatencyMs?: number;
  /** Average transaction-log fsync time over 5 minutes, in milliseconds. @default 100 */
  readonly fsyncLatencyMs?: number;
  /** Open file descriptors as a percentage of the process limit. @default 85 */
  readonly fileDescriptorsPercent?: number;
  /** JVM heap in use as a percentage of the maximum heap, sustained for 10 minutes. @default 90 */
  readonly jvmHeapPercent?: number;
  /** Used space of a data or transaction-log volume, as a percentage. @default 85 */
  readonly volumeUsedPercent?: number;
  /** Leader elections within 15 minutes that raise the election alert (1: any election). @default 1 */
  readonly elections?: number;
  /** Restarts of a member's container or of ZooKeeper inside it within 15 minutes. @default 1 */
  readonly restarts?: number;
}

/** Names of the alert thresholds, checked against the interface like SETTING_NAMES. */
export const ALERT_THRESHOLD_NAMES = [
  'outstandingRequests', 'requestLatencyMs', 'fsyncLatencyMs', 'fileDescriptorsPercent',
  'jvmHeapPercent', 'volumeUsedPercent', 'elections', 'restarts',
] as const satisfies readonly (keyof AlertThresholds)[];

/** Metrics, alerts and dashboard settings of an ensemble. */
export interface MonitoringSettings {
  /**
   * The Prometheus Operator object that scrapes the members.
   * @default PrometheusMonitor.SERVICE_MONITOR
   */
  readonly prometheusMonitor?: PrometheusMonitor;
  /** Seconds between scrapes of each member. @default 30 */
  readonly scrapeIntervalSeconds?: number;
  /**
   * Labels for the ServiceMonitor or PodMonitor and the PrometheusRule only, so a Prometheus that
   * selects them by label finds them (e.g. `{ release: 'kube-prometheus-stack' }`).
   * @default - none
   */
  readonly monitoringLabels?: Record<string, string>;
  /**
   * Create a PrometheusRule with this ensemble's alerts.
   * @default true
   */
  readonly alertRules?: boolean;
  /** Where the alerts fire. @default - the defaults of each AlertThresholds member */
  readonly alertThresholds?: AlertThresholds;
  /**
   * Seconds between evaluations of the alert rules.
   * @default - Prometheus' global evaluation interval
   */
  readonly alertEvaluationIntervalSeconds?: number;
  /**
   * Create a ConfigMap holding a Grafana dashboard for the ensemble.
   * @default true
   */
  readonly grafanaDashboard?: boolean;
  /**
   * Labels the Grafana sidecar looks for on dashboard ConfigMaps.
   * @default { grafana_dashboard: '1' } (the kube-prometheus-stack default)
   */
  readonly grafanaDashboardLabels?: Record<string, string>;
}

/** The setting names, checked against the interface like SETTING_NAMES. */
export const MONITORING_SETTING_NAMES = [
  'prometheusMonitor', 'scrapeIntervalSeconds', 'monitoringLabels', 'alertRules', 'alertThresholds',
  'alertEvaluationIntervalSeconds', 'grafanaDashboard', 'grafanaDashboardLabels',
] as const satisfies readonly (keyof MonitoringSettings)[];

// Compile-time proof that the name lists and the interfaces list the same keys.
type MissingMonitoring = Exclude<keyof MonitoringSettings, (typeof MONITORING_SETTING_NAMES)[number]>;
const monitoringNamesComplete: [MissingMonitoring] extends [never] ? true : MissingMonitoring = true;
void monitoringNamesComplete;
type MissingThreshold = Exclude<keyof AlertThresholds, (typeof ALERT_THRESHOLD_NAMES)[number]>;
const thresholdNamesComplete: [MissingThreshold] extends [never] ? true : MissingThreshold = true;
void thresholdNamesComplete;
