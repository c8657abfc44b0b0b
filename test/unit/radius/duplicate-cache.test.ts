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
});
