import * as fs from 'fs';
import * as path from 'path';

/** The pod's shell scripts, by file name, as they go into the scripts ConfigMap. */
export const SCRIPT_FILES = ['init-data.sh', 'start-zookeeper.sh', 'recover-data.sh', 'probe.sh', 'supervisor-watchdog.sh', 'zk-cli.sh'] as const;
export type ScriptFile = (typeof SCRIPT_FILES)[number];
/** The metrics exporter, shipped only to images without the native Prometheus provider. */
export const EXPORTER_SCRIPT = 'zookeeper-exporter.py';
/** Copies the TLS keystores from the Secret volume, shipped only when TLS is on. */
export const TLS_SYNC_SCRIPT = 'sync-tls-stores.sh';

/** Builds the JAAS file from the SASL Secret, shipped only when SASL is on. */
export const SASL_CONFIG_SCRIPT = 'write-sasl-config.sh';

/** The backup and restore tool (Java source, run by the server image's JVM), in the backup ConfigMap. */
export const BACKUP_TOOL = 'ZooKeeperBackup.java';

/** The backup tool's source, by file name, as it goes into the backup ConfigMap. */
export function loadBackupTool(): Record<string, string> {
  return { [BACKUP_TOOL]: fs.readFileSync(path.join(packageRoot(), 'lib', 'scripts', BACKUP_TOOL), 'utf8') };
}

/**
 * Reads the scripts from lib/scripts (kept as real files so editors, tests, shellcheck and python
 * see them). The exporter, the TLS sync script and the SASL script are included when the pod runs them.
 */
export function loadScripts(options: { readonly exporter: boolean; readonly tls?: boolean; readonly sasl?: boolean }): Record<string, string> {
  const dir = path.join(packageRoot(), 'lib', 'scripts');
  const files = [...SCRIPT_FILES, ...(options.exporter ? [EXPORTER_SCRIPT] : []), ...(options.tls ? [TLS_SYNC_SCRIPT] : []), ...(options.sasl ? [SASL_CONFIG_SCRIPT] : [])];
  return Object.fromEntries(files.map((file) => [file, fs.readFileSync(path.join(dir, file), 'utf8')]));
}

/**
 * The folder of this package's package.json. The scripts stay in lib/scripts, which the package
 * ships, while this file runs from lib/render (sources, under jest or tsx) or build/lib/render
 * (compiled, in this project or installed in another).
 */
export function packageRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${__dirname}: the package is incomplete`);
  }
}
