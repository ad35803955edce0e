import * as fs from 'fs';
import * as path from 'path';

/** The pod's shell scripts, by file name, as they go into the scripts ConfigMap. */
export const SCRIPT_FILES = ['init-data.sh', 'start-zookeeper.sh', 'probe.sh', 'supervisor-watchdog.sh'] as const;
export type ScriptFile = (typeof SCRIPT_FILES)[number];
/** The metrics exporter, shipped only to images without the native Prometheus provider. */
export const EXPORTER_SCRIPT = 'zookeeper-exporter.py';
/** Copies the TLS keystores from the Secret volume, shipped only when TLS is on. */
export const TLS_SYNC_SCRIPT = 'sync-tls-stores.sh';

/**
 * Reads the scripts from lib/scripts (kept as real files so editors, tests, shellcheck and python
 * see them). The exporter and the TLS sync script are included when the pod runs them.
 */
export function loadScripts(options: { readonly exporter: boolean; readonly tls?: boolean }): Record<string, string> {
  const dir = path.join(__dirname, '..', 'scripts');
  const files = [...SCRIPT_FILES, ...(options.exporter ? [EXPORTER_SCRIPT] : []), ...(options.tls ? [TLS_SYNC_SCRIPT] : [])];
  return Object.fromEntries(files.map((file) => [file, fs.readFileSync(path.join(dir, file), 'utf8')]));
}
