import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  currentThreadId,
  lowerThreadPriority,
  PriorityCeiling,
  raiseThreadPriority,
  realtimePriorityOf,
  runRealtime,
} from '../../../daemon/common/thread-priority.js';

const REPO = join(import.meta.dirname, '../../..');

const niceOf = (tid: number) => {
  const stat = readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(') ') + 2).split(' ')[16]);
};

/** A thread of its own that reports its kernel id, then waits to be told to finish. */
async function reportingThread(): Promise<{ tid: number; done(): Promise<void> }> {
  const worker = new Worker(
    `
    const { parentPort } = require('node:worker_threads');
    const link = require('node:fs').readlinkSync('/proc/thread-self');
    parentPort.postMessage(Number(link.slice(link.lastIndexOf('/') + 1)));
    parentPort.once('message', () => process.exit(0));
  `,
    { eval: true },
  );
  const tid = await new Promise<number>((r) => worker.once('message', r));
  return {
    tid,
    done: async () => {
      worker.postMessage('done');
      await new Promise((r) => worker.once('exit', r));
    },
  };
}

/**
 * Runs an ES module script as nobody (when we are root), under `wrapper` (e.g. prlimit), with the
 * compiled module (npm run test:unit builds first) copied where nobody can read it; the script
 * gets that copy's path. Returns its exit after checking it ran to the end.
 */
function runAsNobody(script: (module: string) => string, wrapper: string[] = []) {
  const dir = mkdtempSync(join(tmpdir(), 'kms-priority-'));
  try {
    chmodSync(dir, 0o755);
    const module = join(dir, 'thread-priority.mjs');
    copyFileSync(join(REPO, 'dist/daemon/common/thread-priority.js'), module);
    const asNobody = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
    const [cmd, ...args] = [...asNobody, ...wrapper, process.execPath, '--input-type=module', '-e', script(module)];
    const r = spawnSync(cmd!, args, { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return r;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('thread priority', () => {
  it('lowers one thread and leaves the others as they were', async () => {
    const self = currentThreadId();
    expect(readFileSync(`/proc/${process.pid}/task/${self}/stat`, 'utf8')).toMatch(new RegExp(`^${self} `));
    const before = niceOf(self);
    const worker = await reportingThread();
    try {
      const tid = worker.tid;
      expect(tid).not.toBe(self);
      const start = niceOf(tid);
      expect(lowerThreadPriority(tid, 3)).toBe(Math.min(19, start + 3));
      expect(niceOf(tid)).toBe(Math.min(19, start + 3));
      expect(niceOf(self)).toBe(before);
      expect(lowerThreadPriority(tid, 50)).toBe(19);
    } finally {
      await worker.done();
    }
  });

  // kmsd runs as the unprivileged kms user, whose unit's LimitNICE=-10 (RLIMIT_NICE 30: nice
  // values down to 20 - 30) lets the R0KH-R1KH thread raise itself (distribution.rrb.priorityBoost).
  // The test machines withhold CAP_SYS_RESOURCE, so no test here can set that limit; what runs is
  // both ends: root (CAP_SYS_NICE) may raise, nobody with the default limit (0) is refused.
  it('raises a thread as root, and refuses an unprivileged one without RLIMIT_NICE', async () => {
    const worker = await reportingThread();
    try {
      const tid = worker.tid;
      const start = niceOf(tid);
      if (process.getuid?.() === 0) {
        expect(raiseThreadPriority(tid, 4)).toBe(Math.max(-20, start - 4));
        expect(niceOf(tid)).toBe(Math.max(-20, start - 4));
        expect(raiseThreadPriority(tid, 50)).toBe(-20);
      }
    } finally {
      await worker.done();
    }

    const r = runAsNobody(
      (module) => `import { currentThreadId, raiseThreadPriority } from '${module}';
        try { console.log(JSON.stringify({ nice: raiseThreadPriority(currentThreadId(), 10) })); }
        catch (e) { console.log(JSON.stringify({ err: e.info?.code ?? e.message })); }`,
    );
    expect(JSON.parse(r.stdout).err).toMatch(/EACCES|permission/i);
  });

  // The R0KH-R1KH thread's distribution.rrb.realtimePriority: root (CAP_SYS_NICE) gets it for
  // that thread alone; nobody under the default RLIMIT_RTPRIO (0) is refused with chrt's reason.
  // As with the nice limit, the unit's LimitRTPRIO=1 cannot be set here (no CAP_SYS_RESOURCE).
  it('makes one thread real-time as root, and refuses an unprivileged one without RLIMIT_RTPRIO', async () => {
    const worker = await reportingThread();
    try {
      const tid = worker.tid;
      expect(realtimePriorityOf(tid)).toBeNull();
      if (process.getuid?.() === 0) {
        expect(runRealtime(tid, 1)).toBe(1);
        expect(realtimePriorityOf(tid)).toBe(1);
        expect(realtimePriorityOf(tid, process.pid)).toBe(1);
        expect(realtimePriorityOf(currentThreadId())).toBeNull();
      }
    } finally {
      await worker.done();
    }

    const r = runAsNobody(
      (module) => `import { currentThreadId, realtimePriorityOf, runRealtime } from '${module}';
        try { console.log(JSON.stringify({ rt: runRealtime(currentThreadId(), 1) })); }
        catch (e) { console.log(JSON.stringify({ err: e.message, now: realtimePriorityOf(currentThreadId()) })); }`,
      ['prlimit', '--rtprio=0'],
    );
    const out = JSON.parse(r.stdout);
    expect(out.err).toMatch(/chrt: failed to set pid \d+'s policy: Operation not permitted/);
    expect(out.now).toBeNull();
  });

  // kmsd's main and RADIUS threads run their store statements at a ceiling (the R0KH-R1KH
  // thread's nice value), because all of them share SQLite's mutex for the file.
  it('a priority ceiling lifts a resting thread for the work it runs, once when nested, and drops it back', () => {
    const tid = currentThreadId();
    const start = niceOf(tid);
    const refusals: string[] = [];
    const ceiling = new PriorityCeiling(tid, start - 4, (e) => refusals.push(e.message));
    // Not resting above the ceiling: nothing to lift.
    expect(ceiling.run(() => niceOf(tid))).toBe(start);
    const rest = lowerThreadPriority(tid, 6);
    try {
      ceiling.rest(rest);
      if (process.getuid?.() === 0) {
        expect(ceiling.run(() => [niceOf(tid), ceiling.run(() => niceOf(tid)), niceOf(tid)])).toEqual([start - 4, start - 4, start - 4]);
        expect(niceOf(tid)).toBe(rest);
        expect(() =>
          ceiling.run(() => {
            throw new Error('inside');
          }),
        ).toThrow('inside');
        expect(niceOf(tid)).toBe(rest);
        expect(refusals).toEqual([]);
      }
    } finally {
      if (process.getuid?.() === 0) raiseThreadPriority(tid, 6);
    }

    // Unprivileged, without RLIMIT_NICE: refused once, the work still runs where the thread rests.
    const r = runAsNobody(
      (module) => `import { currentThreadId, lowerThreadPriority, PriorityCeiling } from '${module}';
        import { getPriority } from 'node:os';
        const tid = currentThreadId();
        const base = getPriority(tid);
        const refused = [];
        const c = new PriorityCeiling(tid, base, (e) => refused.push(e.message));
        c.rest(lowerThreadPriority(tid, 5));
        const inside = [c.run(() => getPriority(tid)), c.run(() => getPriority(tid))];
        console.log(JSON.stringify({ base, inside, refused }));`,
      ['prlimit', '--nice=0'],
    );
    const out = JSON.parse(r.stdout);
    expect(out.inside).toEqual([out.base + 5, out.base + 5]);
    expect(out.refused).toHaveLength(1);
    expect(out.refused[0]).toMatch(/EACCES|permission/i);
  });
});
