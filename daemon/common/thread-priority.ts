import { execFileSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

// CPU priority per thread. On Linux the nice value belongs to a thread, not to the process
// (setpriority(2), BUGS), so kmsd can keep its RADIUS thread at the service's priority and let
// its other threads yield to it. Linux only; elsewhere these calls fail and kmsd says so.

/** The calling thread's kernel thread id, from /proc/thread-self ("<pid>/task/<tid>"). */
export function currentThreadId(): number {
  const link = readlinkSync('/proc/thread-self');
  const tid = Number(link.slice(link.lastIndexOf('/') + 1));
  if (!Number.isInteger(tid) || tid <= 0) throw new Error(`cannot read a thread id from /proc/thread-self (${link})`);
  return tid;
}

/** The calling thread's id, or null where the platform has none (it is only reported, e.g. for `top -H`). */
export function threadIdForReport(): number | null {
  try {
    return currentThreadId();
  } catch {
    return null;
  }
}

/**
 * Lowers thread `tid`'s nice value by `by` (not below -20), i.e. raises its priority; returns the
 * new value. Unprivileged, the kernel allows it only down to RLIMIT_NICE (systemd `LimitNICE=`)
 * or with CAP_SYS_NICE; otherwise it throws (EACCES) and the thread keeps its priority.
 */
export function raiseThreadPriority(tid: number, by: number): number {
  const nice = Math.max(-20, getPriority(tid) - by);
  setPriority(tid, nice);
  return getPriority(tid);
}

/** Raises thread `tid`'s nice value by `increment` (capped at 19); returns the new value. */
export function lowerThreadPriority(tid: number, increment: number): number {
  const nice = Math.min(19, getPriority(tid) + increment);
  setPriority(tid, nice);
  return getPriority(tid);
}

const SCHED_RR = 2;

/**
 * Puts thread `tid` of this process under the round-robin real-time scheduler at `priority`
 * (1 is the lowest), with reset-on-fork so that nothing it starts inherits it. Node has no binding
 * for sched_setscheduler(2), so util-linux's chrt does it (Debian's util-linux is essential, so
 * it is always there). Unprivileged, the kernel allows it up to RLIMIT_RTPRIO (systemd
 * `LimitRTPRIO=`); systemd's `RestrictRealtime=yes` forbids it outright. Throws with chrt's own
 * reason on a refusal, and returns the priority the thread now has, read back from /proc.
 */
export function runRealtime(tid: number, priority: number): number {
  try {
    execFileSync('chrt', ['--reset-on-fork', '--rr', '--pid', String(priority), String(tid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(stderr || (e as Error).message);
  }
  const now = realtimePriorityOf(tid);
  if (now !== priority) throw new Error(`chrt succeeded but thread ${tid} has real-time priority ${now ?? 'none'}`);
  return now;
}

/** Thread `tid`'s real-time priority, or null if it runs under the normal scheduler. */
export function realtimePriorityOf(tid: number, pid: number | 'self' = 'self'): number | null {
  // rt_priority is field 40 and policy field 41 of stat(5).
  const fields = threadStatFields(tid, pid);
  return Number(fields[38]) === SCHED_RR ? Number(fields[37]) : null;
}

/**
 * Thread `tid`'s /proc stat fields after the command name (which is in parentheses and may
 * contain anything): index 0 is the state, field 3 of stat(5), so field N is at index N - 3.
 */
export function threadStatFields(tid: number, pid: number | 'self' = 'self'): string[] {
  const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
}

/**
 * A priority ceiling: work run through it runs at nice `ceiling`, while the thread otherwise
 * rests at a nicer value. kmsd's main thread rests at radius.otherThreadsNice, but it shares
 * SQLite's per-file shared-memory mutex with the RADIUS and R0KH-R1KH threads (one per database
 * file and process, taken at the start and end of every read and write). Preempted by busy
 * programs while holding it, a niced thread kept a PULL waiting for tens of milliseconds: a
 * priority inversion. Its store statements therefore run at the ceiling, the priority of the
 * store's most urgent thread, so that whoever waits for that mutex waits for a thread the
 * scheduler runs first. Two setpriority(2) calls per statement; nested calls cost nothing more.
 */
export class PriorityCeiling {
  private resting: number | null = null;
  private depth = 0;

  constructor(
    private readonly tid: number,
    readonly ceiling: number,
    /** Called once if the kernel refuses the ceiling (no RLIMIT_NICE): statements then run where the thread rests. */
    private readonly refused: (err: Error) => void,
  ) {}

  /** A ceiling for the calling thread, `boost` nice levels above its priority now (not above -20). */
  static aboveThisThread(boost: number, refused: (err: Error) => void): PriorityCeiling {
    const tid = currentThreadId();
    return new PriorityCeiling(tid, Math.max(-20, getPriority(tid) - boost), refused);
  }

  /** The thread rests where it is now (it keeps its priority, and work run through the ceiling is lifted from there). */
  restHere(): void {
    this.rest(getPriority(this.tid));
  }

  /** The thread now rests at nice `nice` (it lowered itself); work run through the ceiling is lifted from there. */
  rest(nice: number): void {
    this.resting = nice > this.ceiling ? nice : null;
  }

  run<T>(fn: () => T): T {
    const back = this.depth === 0 ? this.lift() : null;
    this.depth++;
    try {
      return fn();
    } finally {
      this.depth--;
      if (back !== null) setPriority(this.tid, back);
    }
  }

  /** Raises the thread to the ceiling; returns the nice value to go back to, or null if there is nothing to undo. */
  private lift(): number | null {
    const back = this.resting;
    if (back === null) return null;
    try {
      setPriority(this.tid, this.ceiling);
      return back;
    } catch (e) {
      this.resting = null;
      this.refused(e as Error);
      return null;
    }
  }
}
