import { createHash } from 'crypto';

/**
 * A stable digest of configuration files. It goes on the pod template, so any change to a file
 * changes the template and rolls the pods; keys are sorted so the digest does not depend on order.
 */
export function configChecksum(files: Readonly<Record<string, string>>): string {
  const hash = createHash('sha256');
  for (const key of Object.keys(files).sort()) {
    hash.update(key).update('\0').update(files[key]).update('\0');
  }
  return hash.digest('hex');
}
