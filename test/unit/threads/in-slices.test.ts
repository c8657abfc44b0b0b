// Bursts on the main thread run a slice per turn of the event loop, each slice inside the caller's
// wrapper (kmsd raises the thread to roam-time priority around a slice: once per slice, not per job).
import { describe, expect, it } from 'vitest';
import { InSlices } from '../../../daemon/threads/in-slices.js';

const turn = () => new Promise((r) => setImmediate(r));

describe('InSlices', () => {
  it('runs jobs in order, a slice per turn, each slice once inside the wrapper', async () => {
    const ran: number[] = [];
    const slices: number[][] = [];
    let inside = false;
    const s = new InSlices(32, (slice) => {
      const before = ran.length;
      inside = true;
      slice();
      inside = false;
      slices.push(ran.slice(before));
    });
    for (let i = 0; i < 70; i++)
      s.run(() => {
        expect(inside).toBe(true);
        ran.push(i);
      });
    expect(ran).toEqual([]);
    expect(s.waiting).toBe(70);
    await turn();
    expect(slices.map((x) => x.length)).toEqual([32]);
    await turn();
    await turn();
    expect(slices.map((x) => x.length)).toEqual([32, 32, 6]);
    expect(ran).toEqual(Array.from({ length: 70 }, (_, i) => i));
    expect(s.waiting).toBe(0);
  });
});
