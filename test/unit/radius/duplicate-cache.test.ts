import { describe, expect, it } from 'vitest';
import { DuplicateCache, type DuplicateState } from '../../../adapters/radius/duplicate-cache.js';
import { Prng } from '../../helpers/prng.js';

const auth = (n: number) => {
  const a = Buffer.alloc(16, 7);
  a.writeUInt32BE(n >>> 0, 0);
  return a;
};

function handleOf(s: DuplicateState): number {
  if (s.kind !== 'new') throw new Error(`expected a new request, got ${s.kind}`);
  return s.handle;
}

describe('DuplicateCache', () => {
  it('new, then in flight, then answered from cache until the window ends', () => {
    let now = 1000;
    const cache = new DuplicateCache(30_000, 100, () => now);
    const h = handleOf(cache.check('10.0.0.1', 1812, 1, 5, auth(1)));
    expect(cache.check('10.0.0.1', 1812, 1, 5, auth(1))).toEqual({ kind: 'in-flight' });
    cache.answered(h, Buffer.from('the accept'));
    expect(cache.check('10.0.0.1', 1812, 1, 5, auth(1))).toEqual({ kind: 'answered', reply: Buffer.from('the accept') });
    now += 30_001;
    expect(cache.check('10.0.0.1', 1812, 1, 5, auth(1)).kind).toBe('new');
  });

  it('a different address, port, code, identifier or authenticator is another request', () => {
    const cache = new DuplicateCache(30_000, 100);
    const variants: [string, number, number, number, Buffer][] = [
      ['10.0.0.1', 1812, 1, 5, auth(1)],
      ['10.0.0.2', 1812, 1, 5, auth(1)],
      ['10.0.0.1', 1813, 1, 5, auth(1)],
      ['10.0.0.1', 1812, 4, 5, auth(1)],
      ['10.0.0.1', 1812, 1, 6, auth(1)],
      ['10.0.0.1', 1812, 1, 5, auth(2)],
      ['fd00::1', 1812, 1, 5, auth(1)],
    ];
    for (const v of variants) expect(cache.check(...v).kind).toBe('new');
    for (const v of variants) expect(cache.check(...v).kind).toBe('in-flight');
    expect(cache.size).toBe(variants.length);
  });

  it('keeps its own copy of each reply, across its 64 KB blocks, and forgets the oldest when full', () => {
    const rng = new Prng(0xd0b);
    const cache = new DuplicateCache(30_000, 2000);
    const replies: Buffer[] = [];
    for (let i = 0; i < 2000; i++) {
      const reply = rng.bytes(rng.range(20, 4096));
      replies.push(Buffer.from(reply));
      cache.answered(handleOf(cache.check('10.0.0.1', 1812, 1, i & 0xff, auth(i))), reply);
      reply.fill(0); // the caller's buffer is reused: the cache must not be a view of it
    }
    for (let i = 0; i < 2000; i++) {
      const state = cache.check('10.0.0.1', 1812, 1, i & 0xff, auth(i));
      if (state.kind !== 'answered') throw new Error(`request ${i}: ${state.kind}`);
      if (!state.reply.equals(replies[i]!)) throw new Error(`request ${i}: another reply`);
    }
    // Full: a new request pushes out the oldest entry, which then counts as new again.
    expect(cache.check('10.0.0.9', 1812, 1, 0, auth(0)).kind).toBe('new');
    expect(cache.size).toBe(2000);
    expect(cache.check('10.0.0.1', 1812, 1, 0, auth(0)).kind).toBe('new');
  });

  it('a forgotten request that comes back is new, and a stale handle does not touch the new entry', () => {
    let now = 0;
    const cache = new DuplicateCache(1000, 100, () => now);
    const first = handleOf(cache.check('10.0.0.1', 1812, 1, 1, auth(1)));
    cache.forget(first);
    now = 500;
    const second = handleOf(cache.check('10.0.0.1', 1812, 1, 1, auth(1)));
    cache.answered(first, Buffer.from('late answer to the forgotten request'));
    cache.forget(first);
    expect(cache.check('10.0.0.1', 1812, 1, 1, auth(1))).toEqual({ kind: 'in-flight' });
    now = 1200; // the first registration's window is over, the second's is not
    cache.answered(second, Buffer.from('accept'));
    expect(cache.check('10.0.0.1', 1812, 1, 1, auth(1))).toEqual({ kind: 'answered', reply: Buffer.from('accept') });
    now = 1500;
    expect(cache.check('10.0.0.1', 1812, 1, 1, auth(1)).kind).toBe('new');
  });

  it('a handle of an entry pushed out by a full cache is stale even once its slot is reused', () => {
    const cache = new DuplicateCache(30_000, 4);
    const old = handleOf(cache.check('10.0.0.1', 1812, 1, 0, auth(0)));
    for (let i = 1; i <= 4; i++) cache.check('10.0.0.1', 1812, 1, i, auth(i)); // request 0's slot now holds request 4
    cache.answered(old, Buffer.from('for request 0'));
    expect(cache.check('10.0.0.1', 1812, 1, 4, auth(4))).toEqual({ kind: 'in-flight' });
    expect(cache.size).toBe(4);
  });

  it('matches a model (a Map and an arrival list) through 200,000 random operations', () => {
    const rng = new Prng(0x5eed);
    let now = 0;
    const window = 500;
    const max = 300;
    const cache = new DuplicateCache(window, max, () => now);
    interface Registration {
      key: string;
      expiresAt: number;
      reply: Buffer | null;
      handle: number;
      alive: boolean;
    }
    const byKey = new Map<string, Registration>();
    // Every registration in arrival order, forgotten ones included until they leave (as in the ring).
    const arrivals: Registration[] = [];
    const leave = (r: Registration) => {
      if (r.alive && byKey.get(r.key) === r) byKey.delete(r.key);
      r.alive = false;
    };
    for (let step = 0; step < 200_000; step++) {
      now += rng.int(3);
      const id = rng.int(600); // few distinct keys, so lookups often hit
      const key = `${id}`;
      const op = rng.int(10);
      const live = [...byKey.values()];
      if (op < 7) {
        while (arrivals.length > 0 && arrivals[0]!.expiresAt <= now) leave(arrivals.shift()!);
        const got = cache.check(`10.0.${id & 3}.1`, 1812, 1, id & 0xff, auth(id));
        const want = byKey.get(key);
        if (!want) {
          if (got.kind !== 'new') throw new Error(`step ${step}: ${got.kind} for an absent key`);
          if (arrivals.length === max) leave(arrivals.shift()!);
          const r: Registration = { key, expiresAt: now + window, reply: null, handle: got.handle, alive: true };
          byKey.set(key, r);
          arrivals.push(r);
        } else if (want.reply === null) {
          if (got.kind !== 'in-flight') throw new Error(`step ${step}: ${got.kind}, expected in-flight`);
        } else if (got.kind !== 'answered' || !got.reply.equals(want.reply)) {
          throw new Error(`step ${step}: ${got.kind}, expected answered`);
        }
      } else if (op < 9 && live.length > 0) {
        const r = live[rng.int(live.length)]!;
        if (r.reply === null) {
          r.reply = rng.bytes(rng.range(20, 300));
          cache.answered(r.handle, r.reply);
        }
      } else if (live.length > 0) {
        const r = live[rng.int(live.length)]!;
        cache.forget(r.handle);
        leave(r);
      }
      if (cache.size !== byKey.size) throw new Error(`step ${step}: size ${cache.size}, model ${byKey.size}`);
    }
  });

  it('releases reply blocks as entries go', () => {
    let now = 0;
    const cache = new DuplicateCache(1000, 100_000, () => now);
    const reply = Buffer.alloc(4000, 1);
    for (let i = 0; i < 1000; i++) cache.answered(handleOf(cache.check('10.0.0.1', 1812, 1, i & 0xff, auth(i))), reply);
    expect(cache.replyBlocks).toBeGreaterThan(50);
    now = 2000;
    cache.check('10.0.0.1', 1812, 1, 0, auth(123_456));
    expect(cache.size).toBe(1);
    expect(cache.replyBlocks).toBeLessThanOrEqual(1);
  });
});
