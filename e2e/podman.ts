// Bounded podman calls. Every command has a time limit, and a failure carries podman's own words.
import { ChildProcess, spawn } from 'child_process';
import * as path from 'path';

/** The containers.conf with this VM's fixes (runc, ulimits); setup.sh uses the same file. */
export const CONTAINERS_CONF = path.join(__dirname, 'containers.conf');

export interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `podman args`, resolving with its output; never rejects except on timeout or spawn failure. */
export function podmanRaw(args: string[], timeoutMs = 60_000): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn('podman', args, { env: { ...process.env, CONTAINERS_CONF }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`podman ${args.join(' ')} timed out after ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.on('error', (error) => { clearTimeout(timer); reject(error); });
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

/** Runs `podman args` and returns stdout; rejects when it fails. */
export async function podman(args: string[], timeoutMs?: number): Promise<string> {
  const result = await podmanRaw(args, timeoutMs);
  if (result.code !== 0) throw new Error(`podman ${args.join(' ')} exited ${result.code}:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

/** Starts a long-running podman command (e.g. a client container) whose stdout lines are collected. */
export function podmanBackground(args: string[], onLine: (line: string) => void): { child: ChildProcess; done: Promise<Result> } {
  const child = spawn('podman', args, { env: { ...process.env, CONTAINERS_CONF }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let pending = '';
  child.stdout!.on('data', (d) => {
    stdout += d;
    pending += d;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) onLine(line);
  });
  child.stderr!.on('data', (d) => { stderr += d; });
  const done = new Promise<Result>((resolve) => child.on('close', (code) => {
    if (pending) onLine(pending);
    resolve({ code, stdout, stderr });
  }));
  return { child, done };
}

/** Polls `check` every `everyMs` until it returns a value, or fails after `timeoutMs` naming `what`. */
export async function waitFor<T>(what: string, timeoutMs: number, everyMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
    }
    await sleep(everyMs);
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
