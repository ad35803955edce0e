/** One alerting rule, as in a Prometheus rule file. */
export interface AlertRule {
  readonly alert: string;
  /** PromQL; may span several lines. */
  readonly expr: string;
  /** How long the expression must hold before the alert fires, e.g. `5m`. @default - fires at once */
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

/** A group of alerting rules evaluated together: what the alert-rule renderer returns. */
export interface RuleGroup {
  readonly name: string;
  /** Evaluation interval, e.g. `30s`. @default - Prometheus' global evaluation interval */
  readonly interval?: string;
  readonly rules: readonly AlertRule[];
}

export type Severity = 'critical' | 'warning' | 'info';

/** The alert-rule builder of renderAlertRules: labels and annotations alike for every alert of the ensemble. */
export type RuleBuilder = (alert: string, severity: Severity, expr: string, forDuration: string | undefined,
  summary: string, description: string, runbook: string) => AlertRule;
