import { describe, expect, it } from 'vitest';
import { DuplicateCache, requestKey } from '../../../adapters/radius/duplicate-cache.js';
import { Prng } from '../../helpers/prng.js';

describe('DuplicateCache', () => {
  const auth = Buffer.alloc(16, 7);

  it('new, then in flight, then answered from cache until the window ends', () => {
    let now = 1000;
    const cache = new DuplicateCache(30_000, 100, () => now);
    const key = requestKey('10.0.0.1', 1812, 5, auth, 1);
    expect(cache.check(key)).toEqual({ kind: 'new' });
    expect(cache.check(key)).toEqual({ kind: 'in-flight' });
    cache.answered(key, Buffer.from('the accept'));
    expect(cache.check(key)).toEqual({ kind: 'answered', reply: Buffer.from('the accept') });
    now += 30_001;
    expect(cache.check(key)).toEqual({ kind: 'new' });
  });

  it('a different port, identifier, authenticator or code is another request', () => {
    const cache = new DuplicateCache(30_000, 100);
    const keys = [
      requestKey('10.0.0.1', 1812, 5, auth, 1), requestKey('10.0.0.1', 1813, 5, auth, 1),
      requestKey('10.0.0.1', 1812, 6, auth, 1), requestKey('10.0.0.1', 1812, 5, Buffer.alloc(16, 8), 1),
      requestKey('10.0.0.1', 1812, 5, auth, 4), requestKey('10.0.0.2', 1812, 5, auth, 1),
    ];
    for (const k of keys) expect(cache.check(k)).toEqual({ kind: 'new' });
  });

  it('keeps its own copy of each reply, also across its 64 KB blocks, and forgets the oldest when full', () => {
    const rng = new Prng(0xd0b);
    const cache = new DuplicateCache(30_000, 2000);
    const replies: Buffer[] = [];
    for (let i = 0; i < 2000; i++) {
      const reply = rng.bytes(rng.range(20, 4096));
      replies.push(Buffer.from(reply));
      const key = requestKey('10.0.0.1', 1812, i & 0xff, Buffer.alloc(16, i >> 8), 1);
      cache.check(key);
      cache.answered(key, reply);
      reply.fill(0); // the caller's buffer is reused: the cache must not be a view of it
    }
    for (let i = 0; i < 2000; i++) {
      const state = cache.check(requestKey('10.0.0.1', 1812, i & 0xff, Buffer.alloc(16, i >> 8), 1));
      expect(state).toEqual({ kind: 'answered', reply: replies[i] });
    }
    // Full: a new request pushes out the oldest entry, which then counts as new again.
    expect(cache.check(requestKey('10.0.0.9', 1812, 0, auth, 1))).toEqual({ kind: 'new' });
    expect(cache.size).toBe(2000);
    expect(cache.check(requestKey('10.0.0.1', 1812, 0, Buffer.alloc(16, 0), 1)).kind).toBe('new');
  });

  it('a forgotten request that comes back is new, and the old entry expiring later does not remove it', () => {
    let now = 0;
    const cache = new DuplicateCache(1000, 100, () => now);
    const key = requestKey('10.0.0.1', 1812, 1, auth, 1);
    cache.check(key);
    cache.forget(key);
    now = 500;
    expect(cache.check(key)).toEqual({ kind: 'new' });
    now = 1200; // the first registration's window is over, the second's is not
    expect(cache.check(key)).toEqual({ kind: 'in-flight' });
    now = 1500;
    expect(cache.check(key)).toEqual({ kind: 'new' });
  });

  it('requests refused and forgotten in a flood do not grow the expiry queue without bound', () => {
    const cache = new DuplicateCache(30_000, 50);
    for (let i = 0; i < 10_000; i++) {
      const key = requestKey('10.0.0.1', 1812, i & 0xff, Buffer.alloc(16, i >> 8), 1);
      expect(cache.check(key)).toEqual({ kind: 'new' });
      cache.forget(key);
    }
    expect(cache.size).toBe(0);
    expect(cache.queued).toBeLessThanOrEqual(100);
  });

  it('stays fast when full: 200,000 new requests through a cache of 65,536', () => {
    // Behaviour, not timing: the point is that this finishes (a front-deleting Map made each
    // check scan the deleted slots, so this loop was quadratic).
    const cache = new DuplicateCache(30_000, 65_536);
    const a = Buffer.alloc(16);
    for (let i = 0; i < 200_000; i++) {
      a.writeUInt32BE(i, 0);
      cache.check(requestKey('10.0.0.1', 1812, i & 0xff, a, 1));
    }
    expect(cache.size).toBe(65_536);
    a.writeUInt32BE(200_000 - 65_536, 0);
    expect(cache.check(requestKey('10.0.0.1', 1812, (200_000 - 65_536) & 0xff, a, 1)).kind).toBe('in-flight');
    a.writeUInt32BE(200_000 - 65_537, 0);
    expect(cache.check(requestKey('10.0.0.1', 1812, (200_000 - 65_537) & 0xff, a, 1)).kind).toBe('new');
  });
});
