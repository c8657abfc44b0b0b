// Running programs inside the guest: short commands whose output we need, and daemons we keep until
// the end of the run. Every daemon is remembered by PID so teardown stops exactly what we started.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readdirSync, readFileSync } from 'node:fs';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Prefix for running inside a network namespace (or nothing for the root namespace). */
export function inNs(ns: string | undefined, argv: string[]): string[] {
  return ns ? ['ip', 'netns', 'exec', ns, ...argv] : argv;
}

/**
 * Runs a command to its end. The default bound only catches a hung command: a short command in
 * a TCG guest on a host busy with other work can take tens of seconds.
 */
export function run(argv: string[], timeoutMs = 120_000): Promise<RunResult> {
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
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
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

  /** The latest process started under this name. */
  private latest(name: string): ChildProcess | undefined {
    for (let i = this.children.length - 1; i >= 0; i--) if (this.children[i]!.name === name) return this.children[i]!.child;
    return undefined;
  }

  exited(name: string): boolean {
    const child = this.latest(name);
    return child ? child.exitCode !== null || child.signalCode !== null : true;
  }

  pid(name: string): number | undefined {
    const child = this.latest(name);
    return child && !this.exited(name) ? child.pid : undefined;
  }

  /**
   * Stops the latest process of that name and, first, every process below it (found by parent PID in
   * /proc: only what it started, e.g. dropbear's per-connection children and their shells).
   */
  async stop(name: string, signal: NodeJS.Signals = 'SIGTERM', graceMs = 3000): Promise<void> {
    const child = this.latest(name);
    if (!child || child.pid === undefined || this.exited(name)) return;
    for (const pid of descendants(child.pid).reverse()) {
      try {
        process.kill(pid, signal === 'SIGTERM' ? 'SIGKILL' : signal);
      } catch {
        /* already gone */
      }
    }
    const done = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    await Promise.race([done, sleep(graceMs)]);
    if (!this.exited(name)) {
      child.kill('SIGKILL');
      await Promise.race([done, sleep(graceMs)]);
    }
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

/** PIDs of every process below `pid`, nearest first (parent links read from /proc/<pid>/stat). */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      /* exited meanwhile */
    }
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const kids = children.get(queue.shift()!) ?? [];
    out.push(...kids);
    queue.push(...kids);
  }
  return out;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** CPU time (user + system, all threads) a process has used, in clock ticks; null once it is gone. */
export function cpuTicks(pid: number): number | null {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').slice(0, 4096);
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return Number(rest[11]) + Number(rest[12]);
  } catch {
    return null;
  }
}

/**
 * The deadline of a start-up that is busy, not stuck: it moves on while `pid` keeps using CPU,
 * so a machine shared with other work makes the start slow, never failed. `stallMs` without any
 * CPU used, or `capMs` in all, and it has expired.
 */
export class ProgressDeadline {
  private lastTicks: number | null;
  private lastProgress = Date.now();
  private readonly cap: number;

  constructor(
    private readonly pid: number | undefined,
    private readonly stallMs: number,
    capMs: number,
  ) {
    this.lastTicks = pid === undefined ? null : cpuTicks(pid);
    this.cap = Date.now() + capMs;
  }

  expired(): boolean {
    const now = Date.now();
    const ticks = this.pid === undefined ? null : cpuTicks(this.pid);
    if (ticks !== null && ticks !== this.lastTicks) {
      this.lastTicks = ticks;
      this.lastProgress = now;
    }
    return now - this.lastProgress > this.stallMs || now > this.cap;
  }
}

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
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last: ${lastError})` : ''}`);
    await sleep(everyMs);
  }
}
