import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { currentThreadId, lowerThreadPriority, raiseThreadPriority } from '../../../daemon/common/thread-priority.js';

const REPO = join(import.meta.dirname, '../../..');

const niceOf = (tid: number) => {
  const stat = readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(') ') + 2).split(' ')[16]);
};

describe('thread priority', () => {
  it('lowers one thread and leaves the others as they were', async () => {
    const self = currentThreadId();
    expect(readFileSync(`/proc/${process.pid}/task/${self}/stat`, 'utf8')).toMatch(new RegExp(`^${self} `));
    const before = niceOf(self);
    // A thread of its own that reports its id, then waits to be told to finish.
    const worker = new Worker(
      `
      const { parentPort } = require('node:worker_threads');
      const link = require('node:fs').readlinkSync('/proc/thread-self');
      parentPort.postMessage(Number(link.slice(link.lastIndexOf('/') + 1)));
      parentPort.once('message', () => process.exit(0));
    `,
      { eval: true },
    );
    try {
      const tid = await new Promise<number>((r) => worker.once('message', r));
      expect(tid).not.toBe(self);
      const start = niceOf(tid);
      expect(lowerThreadPriority(tid, 3)).toBe(Math.min(19, start + 3));
      expect(niceOf(tid)).toBe(Math.min(19, start + 3));
      expect(niceOf(self)).toBe(before);
      expect(lowerThreadPriority(tid, 50)).toBe(19);
    } finally {
      worker.postMessage('done');
      await new Promise((r) => worker.once('exit', r));
    }
  });

  // kmsd runs as the unprivileged kms user, whose unit's LimitNICE=-10 (RLIMIT_NICE 30: nice
  // values down to 20 - 30) lets the R0KH-R1KH thread raise itself (distribution.rrb.priorityBoost).
  // The test machines withhold CAP_SYS_RESOURCE, so no test here can set that limit; what runs is
  // both ends: root (CAP_SYS_NICE) may raise, nobody with the default limit (0) is refused.
  it('raises a thread as root, and refuses an unprivileged one without RLIMIT_NICE', async () => {
    const worker = new Worker(
      `
      const { parentPort } = require('node:worker_threads');
      const link = require('node:fs').readlinkSync('/proc/thread-self');
      parentPort.postMessage(Number(link.slice(link.lastIndexOf('/') + 1)));
      parentPort.once('message', () => process.exit(0));
    `,
      { eval: true },
    );
    try {
      const tid = await new Promise<number>((r) => worker.once('message', r));
      const start = niceOf(tid);
      if (process.getuid?.() === 0) {
        expect(raiseThreadPriority(tid, 4)).toBe(Math.max(-20, start - 4));
        expect(niceOf(tid)).toBe(Math.max(-20, start - 4));
        expect(raiseThreadPriority(tid, 50)).toBe(-20);
      }
    } finally {
      worker.postMessage('done');
      await new Promise((r) => worker.once('exit', r));
    }

    const dir = mkdtempSync(join(tmpdir(), 'kms-nice-'));
    try {
      chmodSync(dir, 0o755);
      // The compiled module (npm run test:unit builds first), where nobody can read it.
      copyFileSync(join(REPO, 'dist/daemon/common/thread-priority.js'), join(dir, 'thread-priority.mjs'));
      const script = `import { currentThreadId, raiseThreadPriority } from '${dir}/thread-priority.mjs';
        try { console.log(JSON.stringify({ nice: raiseThreadPriority(currentThreadId(), 10) })); }
        catch (e) { console.log(JSON.stringify({ err: e.info?.code ?? e.message })); }`;
      const asNobody = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
      const [cmd, ...args] = [...asNobody, process.execPath, '--input-type=module', '-e', script];
      const r = spawnSync(cmd!, args, { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).err).toMatch(/EACCES|permission/i);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
