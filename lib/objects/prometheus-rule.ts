import { Construct } from 'constructs';
import { PrometheusRule, PrometheusRuleSpecGroupsRulesExpr } from '../../imports/monitoring.coreos.com';
import { EnsembleModel } from '../model/ensemble-model';
import { RuleGroup } from '../render/alert-rules-types';
import { monitoringObjectMeta } from './metadata';

/** The ensemble's alerting rules, for every Prometheus the operator runs that selects its labels. */
export function addPrometheusRule(scope: Construct, model: EnsembleModel, groups: readonly RuleGroup[]): PrometheusRule {
  return new PrometheusRule(scope, 'PrometheusRule', {
    metadata: monitoringObjectMeta(model, model.names.prometheusRule),
    spec: {
      groups: groups.map((group) => ({
        name: group.name,
        interval: group.interval,
        rules: group.rules.map((rule) => ({
          alert: rule.alert,
          expr: PrometheusRuleSpecGroupsRulesExpr.fromString(rule.expr),
          for: rule.for,
          labels: rule.labels,
          annotations: rule.annotations,
        })),
      })),
    },
  });
}
