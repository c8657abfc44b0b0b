import { readdirSync } from 'node:fs';
import { threadStatFields } from '../daemon/common/thread-priority.js';

// CPU time per thread of another process, from /proc/<pid>/task/<tid>/stat (utime and stime, in
// clock ticks). A bench that asks where a process's time went reads it before and after a run.

/** Linux's USER_HZ: what /proc reports times in (100 on every architecture Debian builds for). */
const TICKS_PER_S = 100;

export interface ThreadCpu {
  tid: number;
  /** CPU seconds used so far (user + system). */
  seconds: number;
  /** SCHED_RR or SCHED_FIFO. */
  realtime: boolean;
}

export function threadCpu(pid: number): ThreadCpu[] {
  const out: ThreadCpu[] = [];
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      // utime (field 14), stime (15) and policy (41) of stat(5).
      const f = threadStatFields(Number(t), pid);
      const policy = Number(f[38]);
      out.push({
        tid: Number(t),
        seconds: (Number(f[11]) + Number(f[12])) / TICKS_PER_S,
        realtime: policy === 1 || policy === 2,
      });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

/** CPU seconds each thread used between two readings (threads born meanwhile count from 0). */
export function cpuBetween(before: ThreadCpu[], after: ThreadCpu[]): (ThreadCpu & { used: number })[] {
  const was = new Map(before.map((t) => [t.tid, t.seconds]));
  return after.map((t) => ({ ...t, used: t.seconds - (was.get(t.tid) ?? 0) }));
}
