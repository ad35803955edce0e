import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { registerSchema } from './k8s-schema';

/**
 * The Argo CD Application, checked two ways like the monitoring kinds: strictly against the
 * project's own cut-down CRD (the source of the bindings in imports/), and against Argo CD's full
 * published schema from @kubernetes-models/argo-cd, which knows every field but ignores unknown ones.
 */
export const ARGOCD_CRD_FILE = path.join(__dirname, '..', '..', 'imports', 'argoproj.io.crds.yaml');

// eslint-disable-next-line @typescript-eslint/no-require-imports
const PublishedApplication: new (data: unknown) => { validate(): void } = require('@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application').Application;

/** The CRDs of imports/argoproj.io.crds.yaml, parsed. */
export function argoCdCrds(): any[] {
  return parseAllDocuments(fs.readFileSync(ARGOCD_CRD_FILE, 'utf8')).map((d) => d.toJS()).filter((d) => d !== null);
}

/** Makes the strict validator know the Application kind, by the project's CRD. */
export function registerArgoCdSchemas(): void {
  for (const crd of argoCdCrds()) {
    for (const version of crd.spec.versions) registerSchema(`${crd.spec.group}/${version.name}`, crd.spec.names.kind, version.schema.openAPIV3Schema);
  }
}

/** The published schema's complaint about an Application, or undefined when it is valid. */
export function publishedApplicationProblems(obj: object): string | undefined {
  try {
    new PublishedApplication(obj).validate();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
