import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { currentThreadId, lowerThreadPriority } from '../../../daemon/common/thread-priority.js';

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
});
