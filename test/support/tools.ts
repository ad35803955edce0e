import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/** What to tell someone whose machine lacks a tool that test/setup-tools.sh installs. */
export const SETUP_TOOLS_HINT = 'run `bash test/setup-tools.sh` (unpacks them into .tools/)';

/**
 * The absolute path of `name` on PATH, or an Error saying how to get it. Tests call this instead of
 * skipping: CI installs every tool, so a missing one is a broken setup that must show up red.
 */
export function requireTool(name: string, hint: string = SETUP_TOOLS_HINT): string {
  const found = findOnPath(name);
  if (found === undefined) throw new Error(`${name} not found: ${hint}`);
  return found;
}

/** The absolute path of an executable `name` on PATH, or undefined. */
export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // Not in this directory: keep looking.
    }
  }
  return undefined;
}

export interface RunResult {
  readonly pid: number;
  /** Exit status, or null when a signal ended the process. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly elapsedMs: number;
}

/**
 * Runs a command without blocking the event loop (a fake server in this process must be able to
 * answer it) and with a hard limit: past `timeoutMs` the process is killed and the promise
 * rejects, so a hanging script fails its test instead of hanging the suite.
 */
export function runBounded(
  command: string,
  args: readonly string[],
  options: { readonly env: NodeJS.ProcessEnv; readonly timeoutMs: number; readonly cwd?: string },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(command, args, { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not finish within ${options.timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    // 'close' rather than 'exit': it comes after the output streams are drained.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ pid: child.pid!, code, signal, stdout, stderr, elapsedMs: Date.now() - started });
    });
  });
}

/** Where test/setup-tools.sh unpacks what the tests run; nothing of it is installed system-wide. */
export const TOOLS_DIR = path.join(__dirname, '..', '..', '.tools');

/** Where test/setup-tools.sh unpacks Debian's prometheus package (promtool and prometheus). */
export const PROMETHEUS_TOOLS_DIR = path.join(TOOLS_DIR, 'prometheus', 'usr', 'bin');

/**
 * A tool unpacked by test/setup-tools.sh, by its path below .tools/, or an Error saying how to get
 * it. Never a copy found on PATH: the tests run the pinned version, whatever the machine has.
 */
function requireUnpacked(name: string, relativePath: string): string {
  const candidate = path.join(TOOLS_DIR, relativePath);
  try {
    fs.accessSync(candidate, fs.constants.X_OK);
    return candidate;
  } catch {
    throw new Error(`${name} not found at ${candidate}: ${SETUP_TOOLS_HINT}`);
  }
}

/** promtool or prometheus as unpacked by test/setup-tools.sh, or an Error saying how to get it. */
export function requirePrometheusTool(name: 'promtool' | 'prometheus'): string {
  return requireUnpacked(name, path.join('prometheus', 'usr', 'bin', name));
}

/** supervisord or supervisorctl (Debian's, run from .tools/ by a wrapper), or an Error saying how to get it. */
export function requireSupervisorTool(name: 'supervisord' | 'supervisorctl'): string {
  return requireUnpacked(name, path.join('supervisor', 'bin', name));
}

/** kubectl as unpacked by test/setup-tools.sh, or an Error saying how to get it. */
export function requireKubectl(): string {
  return requireUnpacked('kubectl', path.join('kubectl', 'kubectl'));
}
