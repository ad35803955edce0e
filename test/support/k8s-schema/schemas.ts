// Loads the Kubernetes OpenAPI definitions shipped by kubernetes-models@4.3.1 (generated from
// Kubernetes v1.27.1) and patches them to v1.28. See ../k8s-schema.ts for how the version was
// established and what the patch covers.
import * as fs from 'fs';
import * as path from 'path';

export type JsonSchema = { [keyword: string]: unknown };

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
export const OBJECT_META = `${META}.ObjectMeta`;

// The package keeps each definition in a CommonJS module that hands it to
// @kubernetes-models/validate's register(id, schema); the object itself is not exported. Evaluating
// each module with a stand-in `require` captures the plain JSON without compiling it into ajv.
function readDefinitions(): Map<string, JsonSchema> {
  const defs = new Map<string, JsonSchema>();
  const dirs = ['kubernetes-models', '@kubernetes-models/apimachinery'].map((pkg) =>
    path.join(path.dirname(require.resolve(pkg)), '_schemas'),
  );
  const capture = { register: (id: string, schema: JsonSchema) => void defs.set(id, schema) };
  for (const dir of dirs) {
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.js'))) {
      const exports: { addSchema?: () => void } = {};
      const fakeRequire = (name: string) => (name === '@kubernetes-models/validate' ? capture : { addSchema() {} });
      new Function('exports', 'require', fs.readFileSync(path.join(dir, file), 'utf8'))(exports, fakeRequire);
      exports.addSchema?.();
    }
  }
  return defs;
}

const str = { type: 'string', nullable: true };
const int32 = { type: 'integer', format: 'int32', nullable: true };
const bool = { type: 'boolean', nullable: true };
const obj = (properties: Record<string, JsonSchema>, required: string[] = []): JsonSchema => ({ type: 'object', properties, required });
const arrayOf = (items: JsonSchema): JsonSchema => ({ type: 'array', items, nullable: true });

// Every field-level difference between the release-1.27 and release-1.28 OpenAPI documents, taken
// from diffing the models of @kubernetes/client-node 0.19.0 (release-1.27) and 0.20.0 (release-1.28).
// Enum additions are not visible in that diff; the one known (FailIndex, added with
// backoffLimitPerIndex) is added by hand.
const TO_1_28: Array<{ id: string; add?: Record<string, JsonSchema>; remove?: string[]; enumAdd?: [string, string] }> = [
  { id: 'io.k8s.api.core.v1.Container', add: { restartPolicy: str } },
  { id: 'io.k8s.api.core.v1.EphemeralContainer', add: { restartPolicy: str } },
  { id: 'io.k8s.api.batch.v1.JobSpec', add: { backoffLimitPerIndex: int32, maxFailedIndexes: int32,
    podReplacementPolicy: { type: 'string', enum: ['Failed', 'TerminatingOrFailed'], nullable: true } } },
  { id: 'io.k8s.api.batch.v1.JobStatus', add: { failedIndexes: str, terminating: int32 } },
  { id: 'io.k8s.api.batch.v1.PodFailurePolicyRule', enumAdd: ['action', 'FailIndex'] },
  { id: 'io.k8s.api.core.v1.PersistentVolumeClaimStatus', remove: ['resizeStatus'],
    add: { allocatedResourceStatuses: { type: 'object', additionalProperties: { type: 'string' }, nullable: true } } },
  { id: 'io.k8s.api.core.v1.PersistentVolumeStatus', add: { lastPhaseTransitionTime: { ...str, format: 'date-time' } } },
  { id: 'io.k8s.api.core.v1.PodStatus', add: { hostIPs: arrayOf(obj({ ip: str })),
    resourceClaimStatuses: arrayOf(obj({ name: { type: 'string' }, resourceClaimName: str }, ['name'])) } },
  { id: 'io.k8s.api.flowcontrol.v1beta2.PriorityLevelConfigurationSpec', add: { exempt: obj({ lendablePercent: int32, nominalConcurrencyShares: int32 }) } },
  { id: 'io.k8s.api.flowcontrol.v1beta3.PriorityLevelConfigurationSpec', add: { exempt: obj({ lendablePercent: int32, nominalConcurrencyShares: int32 }) } },
  { id: 'io.k8s.api.networking.v1.NetworkPolicy', remove: ['status'] },
  { id: 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.ValidationRule', add: { fieldPath: str, reason: str } },
  // Not version changes: the kubernetes-models generator drops real properties named `description`
  // or `x-kubernetes-*` (it mistakes them for schema annotations). Put them back.
  { id: 'io.k8s.api.scheduling.v1.PriorityClass', add: { description: str } },
  { id: 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceColumnDefinition', add: { description: str } },
  { id: 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.ExternalDocumentation', add: { description: str } },
  { id: 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps', add: {
    description: str, 'x-kubernetes-embedded-resource': bool, 'x-kubernetes-int-or-string': bool,
    'x-kubernetes-list-map-keys': arrayOf({ type: 'string' }), 'x-kubernetes-list-type': str, 'x-kubernetes-map-type': str,
    'x-kubernetes-preserve-unknown-fields': bool,
    'x-kubernetes-validations': arrayOf({ $ref: 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.ValidationRule#' }),
  } },
];

// kubernetes-models also keeps group-versions that the API server stopped serving (so old
// manifests still type-check). None of these is served by 1.28; derived by checking which
// definitions with an apiVersion/kind have no model in @kubernetes/client-node 0.20.0.
const NOT_SERVED_BY_1_28 = new Set([
  'admissionregistration.k8s.io/v1beta1', 'apiextensions.k8s.io/v1beta1', 'apiregistration.k8s.io/v1beta1',
  'apps/v1beta1', 'apps/v1beta2', 'authentication.k8s.io/v1beta1', 'authorization.k8s.io/v1beta1',
  'autoscaling/v2beta1', 'autoscaling/v2beta2', 'batch/v1beta1', 'certificates.k8s.io/v1beta1',
  'coordination.k8s.io/v1beta1', 'discovery.k8s.io/v1beta1', 'events.k8s.io/v1beta1', 'extensions/v1beta1',
  'flowcontrol.apiserver.k8s.io/v1beta1', 'networking.k8s.io/v1beta1', 'node.k8s.io/v1beta1', 'policy/v1beta1',
  'rbac.authorization.k8s.io/v1beta1', 'scheduling.k8s.io/v1beta1', 'storage.k8s.io/v1beta1',
]);

function patchTo128(defs: Map<string, JsonSchema>): void {
  for (const { id, add, remove, enumAdd } of TO_1_28) {
    const def = defs.get(id);
    if (!def) throw new Error(`k8s-schema: definition ${id} missing from kubernetes-models; the 1.28 patch no longer fits`);
    const props = { ...(def.properties as Record<string, JsonSchema>), ...add };
    for (const p of remove ?? []) delete props[p];
    if (enumAdd) {
      const [p, value] = enumAdd;
      props[p] = { ...props[p], enum: [...(props[p].enum as string[]), value] };
    }
    defs.set(id, { ...def, properties: props });
  }
}

export interface Catalog {
  defs: Map<string, JsonSchema>;
  /** `${apiVersion}|${kind}` -> definition id */
  kinds: Map<string, string>;
}

let catalog: Catalog | undefined;

export function getCatalog(): Catalog {
  if (catalog) return catalog;
  const defs = readDefinitions();
  patchTo128(defs);
  const kinds = new Map<string, string>();
  for (const [id, def] of defs) {
    if (id.startsWith('io.k8s.apimachinery.')) continue; // meta types like Status/WatchEvent are not manifests
    const props = (def.properties ?? {}) as Record<string, JsonSchema>;
    const versions = props.apiVersion?.enum as string[] | undefined;
    const names = props.kind?.enum as string[] | undefined;
    if (versions?.length !== 1 || names?.length !== 1 || NOT_SERVED_BY_1_28.has(versions[0])) continue;
    kinds.set(`${versions[0]}|${names[0]}`, id);
  }
  catalog = { defs, kinds };
  return catalog;
}
