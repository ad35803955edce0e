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
