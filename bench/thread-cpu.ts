import { readdirSync, readFileSync } from 'node:fs';

// CPU time per thread of another process, from /proc/<pid>/task/<tid>/stat (utime and stime, in
// clock ticks). A bench that asks where a process's time went reads it before and after a run.

/** Linux's USER_HZ: what /proc reports times in (100 on every architecture Debian builds for). */
const TICKS_PER_S = 100;

export interface ThreadCpu {
  tid: number;
  /** CPU seconds used so far (user + system). */
  seconds: number;
  nice: number;
  /** SCHED_RR or SCHED_FIFO. */
  realtime: boolean;
}

export function threadCpu(pid: number): ThreadCpu[] {
  const out: ThreadCpu[] = [];
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
      // After "(comm) ": state is field 3, so utime (14), stime (15), nice (19), policy (41) are 11, 12, 16, 38 places on.
      const f = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
      const policy = Number(f[38]);
      out.push({
        tid: Number(t),
        seconds: (Number(f[11]) + Number(f[12])) / TICKS_PER_S,
        nice: Number(f[16]),
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
