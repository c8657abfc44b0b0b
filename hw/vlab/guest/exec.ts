// Running programs inside the guest: short commands whose output we need, and daemons we keep until
// the end of the run. Every daemon is remembered by PID so teardown stops exactly what we started.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';

export interface RunResult { code: number | null; stdout: string; stderr: string }

/** Prefix for running inside a network namespace (or nothing for the root namespace). */
export function inNs(ns: string | undefined, argv: string[]): string[] {
  return ns ? ['ip', 'netns', 'exec', ns, ...argv] : argv;
}

export function run(argv: string[], timeoutMs = 30_000): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`'${argv.join(' ')}' did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code) => { clearTimeout(timer); resolvePromise({ code, stdout, stderr }); });
  });
}

/** Runs a command and fails with its output when it exits non-zero. */
export async function must(argv: string[], timeoutMs?: number): Promise<string> {
  const r = await run(argv, timeoutMs);
  if (r.code !== 0) throw new Error(`'${argv.join(' ')}' exited ${r.code}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

/** Runs a shell script line by line semantics: `set -e`, so the first failing command names itself. */
export async function sh(script: string, timeoutMs?: number): Promise<string> {
  return must(['sh', '-ec', script], timeoutMs);
}

export class Daemons {
  private readonly children: { name: string; child: ChildProcess }[] = [];

  /** Starts a long-running program with its output appended to logFile. */
  start(name: string, argv: string[], logFile: string): ChildProcess {
    const fd = openSync(logFile, 'a');
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    child.on('error', () => undefined);
    this.children.push({ name, child });
    return child;
  }

  exited(name: string): boolean {
    const entry = this.children.find((c) => c.name === name);
    return entry ? entry.child.exitCode !== null || entry.child.signalCode !== null : true;
  }

  /** SIGTERM in reverse start order, then SIGKILL whatever is left after graceMs. */
  async stopAll(graceMs = 3000): Promise<void> {
    const alive = [...this.children].reverse().filter((c) => c.child.exitCode === null && c.child.signalCode === null);
    const done = alive.map((c) => new Promise<void>((r) => c.child.once('exit', () => r())));
    for (const c of alive) c.child.kill('SIGTERM');
    const timeout = new Promise<void>((r) => setTimeout(r, graceMs));
    await Promise.race([Promise.all(done), timeout]);
    for (const c of alive) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls check() until it returns a value, or throws after timeoutMs with the last reason. */
export async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>, everyMs = 150): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      lastError = (e as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last: ${lastError})` : ''}`);
    await sleep(everyMs);
  }
}
