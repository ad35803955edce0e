import { NameFormat, SettingsReader } from './settings-reader';

/** The selector key whose value is the ensemble's name; the monitors copy it into the `ensemble` target label. */
export const INSTANCE_LABEL_KEY = 'app.kubernetes.io/instance';
/**
 * Carried by the metrics Service only. The client and peer Services have the same common labels,
 * so a ServiceMonitor selecting on those alone would scrape every member once per Service.
 */
const METRICS_SERVICE_LABELS = { 'cdk8s-zookeeper/metrics': 'true' };

/** Reads the `labels` setting and derives every label set the objects carry. */
export function readLabels(s: SettingsReader, name: string, zookeeperVersion: string) {
  const selector = {
    'app.kubernetes.io/name': 'zookeeper',
    [INSTANCE_LABEL_KEY]: name,
    'app.kubernetes.io/component': 'server',
  };
  const userLabels = s.stringMap('labels', NameFormat.qualifiedKey, NameFormat.labelValue);
  for (const key of [...Object.keys(selector), ...Object.keys(METRICS_SERVICE_LABELS)].filter((k) => k in userLabels)) {
    s.fail(`labels.${key}`, 'is a label the construct sets itself to select its objects; choose another key');
  }
  return {
    selector,
    common: {
      ...userLabels,
      ...selector,
      'app.kubernetes.io/version': zookeeperVersion,
      'app.kubernetes.io/managed-by': 'cdk8s-zookeeper',
    },
    metricsService: METRICS_SERVICE_LABELS,
  };
}
