import { createHash } from 'crypto';

/**
 * A stable digest of configuration files. It goes on the pod template, so any change to a file
 * changes the template and rolls the pods; keys are sorted so the digest does not depend on order.
 * 128 bits of SHA-256 are ample to notice a change, and the 32 hex digits stay under the 63
 * characters `podman kube play` accepts for annotation values.
 */
export function configChecksum(files: Readonly<Record<string, string>>): string {
  const hash = createHash('sha256');
  for (const key of Object.keys(files).sort()) {
    hash.update(key).update('\0').update(files[key]).update('\0');
  }
  return hash.digest('hex').slice(0, 32);
}

/**
 * A stable digest of a pod template, taken before the digest itself is added to it: keys are
 * sorted at every level so it depends on content alone. The roll Job's name ends with it and the
 * roller waits for the StatefulSet to carry it, which ties each Job to exactly one template.
 */
export function templateHash(template: unknown): string {
  const canonical = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(canonical);
    if (value === null || typeof value !== 'object') return value;
    const plain = JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
    return Object.fromEntries(Object.keys(plain).sort().filter((k) => plain[k] !== undefined).map((k) => [k, canonical(plain[k])]));
  };
  return createHash('sha256').update(JSON.stringify(canonical(template))).digest('hex').slice(0, 32);
}
