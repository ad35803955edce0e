import { MemberRole } from './ensemble-model';
import { SettingsReader } from './settings-reader';

/** The selector key whose value is the ensemble's name; the monitors copy it into the `ensemble` target label. */
export const INSTANCE_LABEL_KEY = 'app.kubernetes.io/instance';
/** The selector key that tells the roles apart. */
export const COMPONENT_LABEL_KEY = 'app.kubernetes.io/component';
/**
 * The component of each role. Voters keep `server`, the value every member had before observers
 * existed: a StatefulSet's selector is immutable, so changing it would break every upgrade.
 */
export const COMPONENT_OF: Readonly<Record<MemberRole, string>> = { voter: 'server', observer: 'observer' };
/**
 * Carried by the metrics Service only. The client and peer Services have the same common labels,
 * so a ServiceMonitor selecting on those alone would scrape every member once per Service.
 */
const METRICS_SERVICE_LABELS = { 'cdk8s-zookeeper/metrics': 'true' };

/** Reads the `labels` setting and derives every label set the objects carry. */
export function readLabels(s: SettingsReader, name: string, zookeeperVersion: string, withObservers: boolean) {
  const ensemble = { 'app.kubernetes.io/name': 'zookeeper', [INSTANCE_LABEL_KEY]: name };
  const selector = { ...ensemble, [COMPONENT_LABEL_KEY]: COMPONENT_OF.voter };
  const userLabels = s.labelMap('labels');
  for (const key of [...Object.keys(selector), ...Object.keys(METRICS_SERVICE_LABELS)].filter((k) => k in userLabels)) {
    s.fail(`labels.${key}`, 'is a label the construct sets itself to select its objects; choose another key');
  }
  return {
    selector,
    anyMember: withObservers ? ensemble : selector,
    common: {
      ...userLabels,
      ...selector,
      'app.kubernetes.io/version': zookeeperVersion,
      'app.kubernetes.io/managed-by': 'cdk8s-zookeeper',
    },
    metricsService: METRICS_SERVICE_LABELS,
  };
}

/** The selector and the object labels of one role's group, from the ensemble's labels. */
export function roleLabels(labels: ReturnType<typeof readLabels>, role: MemberRole) {
  const component = { [COMPONENT_LABEL_KEY]: COMPONENT_OF[role] };
  return {
    selector: { ...labels.selector, ...component },
    labels: { ...labels.common, ...component },
  };
}
