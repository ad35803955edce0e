import * as fs from 'fs';
import * as path from 'path';

/** The pod's scripts, by file name, as they go into the scripts ConfigMap. */
export const SCRIPT_FILES = ['init-data.sh', 'start-zookeeper.sh', 'probe.sh', 'supervisor-watchdog.sh'] as const;
export type ScriptFile = (typeof SCRIPT_FILES)[number];

/** Reads the scripts from lib/scripts (kept as real files so editors, tests and shellcheck see them). */
export function loadScripts(): Record<ScriptFile, string> {
  const dir = path.join(__dirname, '..', 'scripts');
  return Object.fromEntries(SCRIPT_FILES.map((file) => [file, fs.readFileSync(path.join(dir, file), 'utf8')])) as Record<ScriptFile, string>;
}
