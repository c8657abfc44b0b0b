import { readlinkSync } from 'node:fs';
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
