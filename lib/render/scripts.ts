import * as fs from 'fs';
import * as path from 'path';

/** The pod's shell scripts, by file name, as they go into the scripts ConfigMap. */
export const SCRIPT_FILES = ['init-data.sh', 'start-zookeeper.sh', 'recover-data.sh', 'probe.sh', 'supervisor-watchdog.sh', 'zk-cli.sh'] as const;
export type ScriptFile = (typeof SCRIPT_FILES)[number];
/** The metrics exporter, shipped only to images without the native Prometheus provider. */
export const EXPORTER_SCRIPT = 'zookeeper-exporter.py';
/** Copies the TLS keystores from the Secret volume, shipped only when TLS is on. */
export const TLS_SYNC_SCRIPT = 'sync-tls-stores.sh';

/** Restarts a server stuck in election while a leader is reachable, shipped to ensembles of more than one server. */
export const REJOIN_WATCH_SCRIPT = 'rejoin-watch.sh';

/**
 * Membership 'dynamic' (shipped only then): the start's choice of dynamic file, the supervisord
 * program that joins the member to the ensemble or removes members scaled away, the preStop hook
 * by which a member scaled away leaves it, and what the three share (the shell functions, and the
 * reader of the StatefulSet and of the local server's state).
 */
export const MEMBERSHIP_SCRIPTS = {
  dynamicConfig: 'dynamic-config.sh',
  watch: 'membership-watch.sh',
  leave: 'leave-ensemble.sh',
  common: 'membership-common.sh',
  state: 'membership-state.py',
} as const;

/** Builds the JAAS file from the SASL Secret, shipped only when SASL is on. */
export const SASL_CONFIG_SCRIPT = 'write-sasl-config.sh';

/** The backup and restore tool (Java source, run by the server image's JVM), in the backup ConfigMap. */
export const BACKUP_TOOL = 'ZooKeeperBackup.java';

/** The sources of the backup tool, in lib/scripts: the program, its two targets, its S3 client. */
export const BACKUP_TOOL_SOURCES = [BACKUP_TOOL, 'BackupStore.java', 'S3Bucket.java'] as const;

/** The backup tool's source, by file name, as it goes into the backup ConfigMap. */
export function loadBackupTool(): Record<string, string> {
  const dir = path.join(packageRoot(), 'lib', 'scripts');
  return { [BACKUP_TOOL]: joinJavaSources(BACKUP_TOOL_SOURCES.map((file) => fs.readFileSync(path.join(dir, file), 'utf8'))) };
}

/**
 * Several Java source files as one compilation unit, the first one's public class first: the
 * JDK 11 launcher compiles a single source file, so a tool kept in several files for its readers
 * ships as one. The imports of all files come first, each once, after the first file's header
 * comment; each file's own comments and types follow in order.
 */
export function joinJavaSources(sources: readonly string[]): string {
  const isImport = (line: string) => /^import\s[\w.*\s]+;\s*$/.test(line);
  const lines = sources.map((source) => source.split('\n'));
  const headerEnd = lines[0].findIndex((line) => !line.startsWith('//'));
  const imports = [...new Set(lines.flatMap((file) => file.filter(isImport)))];
  const bodies = lines.map((file, index) => file.slice(index === 0 ? headerEnd : 0).filter((line) => !isImport(line)).join('\n').trim());
  return [...lines[0].slice(0, headerEnd), ...imports, '', bodies.join('\n\n'), ''].join('\n');
}

/**
 * Reads the scripts from lib/scripts (kept as real files so editors, tests, shellcheck and python
 * see them). The exporter, the TLS sync, SASL, rejoin-watch and dynamic membership scripts are
 * included when the pod runs them.
 */
export function loadScripts(options: {
  readonly exporter: boolean; readonly tls?: boolean; readonly sasl?: boolean; readonly rejoinWatch?: boolean; readonly dynamicMembership?: boolean;
}): Record<string, string> {
  const dir = path.join(packageRoot(), 'lib', 'scripts');
  const files = [...SCRIPT_FILES, ...(options.exporter ? [EXPORTER_SCRIPT] : []), ...(options.tls ? [TLS_SYNC_SCRIPT] : []),
    ...(options.sasl ? [SASL_CONFIG_SCRIPT] : []), ...(options.rejoinWatch ? [REJOIN_WATCH_SCRIPT] : []),
    ...(options.dynamicMembership ? Object.values(MEMBERSHIP_SCRIPTS) : [])];
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
