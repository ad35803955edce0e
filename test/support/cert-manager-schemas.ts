import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { registerSchema } from './k8s-schema';

/**
 * The cert-manager Certificate, checked two ways like the monitoring kinds: strictly against the
 * project's own cut-down CRD (the source of the bindings in imports/), and against cert-manager's
 * published schema from @kubernetes-models/cert-manager, which knows every field but ignores
 * unknown ones.
 */
export const CERT_MANAGER_CRD_FILE = path.join(__dirname, '..', '..', 'imports', 'cert-manager.io.crds.yaml');

// eslint-disable-next-line @typescript-eslint/no-require-imports
const PublishedCertificate: new (data: unknown) => { validate(): void } = require('@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate').Certificate;

/** The CRDs of imports/cert-manager.io.crds.yaml, parsed. */
export function certManagerCrds(): any[] {
  return parseAllDocuments(fs.readFileSync(CERT_MANAGER_CRD_FILE, 'utf8')).map((d) => d.toJS()).filter((d) => d !== null);
}

/** Makes the strict validator know the Certificate kind, by the project's CRD. */
export function registerCertManagerSchemas(): void {
  for (const crd of certManagerCrds()) {
    for (const version of crd.spec.versions) registerSchema(`${crd.spec.group}/${version.name}`, crd.spec.names.kind, version.schema.openAPIV3Schema);
  }
}

/** The published schema's complaint about a Certificate, or undefined when it is valid. */
export function publishedCertificateProblems(obj: object): string | undefined {
  try {
    new PublishedCertificate(obj).validate();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
