import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { registerSchema } from './k8s-schema';

/**
 * The Prometheus Operator kinds, checked two ways: against the project's own CRDs (the schema the
 * bindings in imports/ are generated from), strictly, by the Kubernetes validator once
 * registerMonitoringSchemas() has run; and against the operator's full published schemas from
 * @kubernetes-models/prometheus-operator, which know every field but ignore unknown ones.
 */
export const MONITORING_CRD_FILE = path.join(__dirname, '..', '..', 'imports', 'monitoring.coreos.com.crds.yaml');

/* eslint-disable @typescript-eslint/no-require-imports */
const UPSTREAM: Record<string, new (data: unknown) => { validate(): void }> = {
  ServiceMonitor: require('@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor').ServiceMonitor,
  PodMonitor: require('@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor').PodMonitor,
  PrometheusRule: require('@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule').PrometheusRule,
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** The CRDs of imports/, parsed. */
export function monitoringCrds(): any[] {
  return parseAllDocuments(fs.readFileSync(MONITORING_CRD_FILE, 'utf8')).map((d) => d.toJS()).filter((d) => d !== null);
}

/** Makes the strict validator know the monitoring kinds, by the project's CRDs. */
export function registerMonitoringSchemas(): void {
  for (const crd of monitoringCrds()) {
    for (const version of crd.spec.versions) registerSchema(`${crd.spec.group}/${version.name}`, crd.spec.names.kind, version.schema.openAPIV3Schema);
  }
}

/** The published schema's complaint about a monitoring object, or undefined when it is valid. */
export function upstreamProblems(obj: { readonly kind?: string } & object): string | undefined {
  const Model = UPSTREAM[obj.kind ?? ''];
  if (!Model) throw new Error(`no published schema for kind ${obj.kind}`);
  try {
    new Model(obj).validate();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Whether `kind` is one of the Prometheus Operator kinds checked here. */
export const isMonitoringKind = (kind: string) => kind in UPSTREAM;
