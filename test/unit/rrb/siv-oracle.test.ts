import { describe, expect, it } from 'vitest';
import { aessiv } from '@noble/ciphers/aes.js';
import { sivOpen, sivSeal } from '../../../adapters/rrb/siv.js';
import { Prng } from '../../helpers/prng.js';

// Our AES-SIV (node:crypto AES) against @noble/ciphers' independent, audited implementation, on
// random keys, AD vectors shaped like RRB's and plaintext lengths around the 16-octet boundaries.

describe('AES-SIV against @noble/ciphers', () => {
  it('agrees on 3,000 random inputs and opens what it seals', () => {
    const rnd = new Prng(0x51f);
    const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => rnd.int(256)));
    for (let i = 0; i < 3000; i++) {
      const key = bytes(32);
      const ad = [bytes(6), bytes(rnd.int(90)), bytes(1)];
      const p = bytes([0, 1, 15, 16, 17, 31, 32, 33, rnd.int(300)][i % 9]!);
      const ours = sivSeal(key, ad, p);
      expect(ours.equals(Buffer.from(aessiv(key, ...ad).encrypt(p))), `case ${i}`).toBe(true);
      expect(sivOpen(key, ad, ours)!.equals(p)).toBe(true);
      const bad = Buffer.from(ours);
      bad[rnd.int(bad.length)]! ^= 1 << rnd.int(8);
      expect(sivOpen(key, ad, bad)).toBeNull();
    }
  });

  it('agrees on 2,000 frames sealed and opened in turn under one key, as an AP key is used for hours', () => {
    // Each key keeps its cipher objects (and the CBC chain's running IV) from call to call.
    const rnd = new Prng(0x5152);
    const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => rnd.int(256)));
    const key = bytes(32);
    for (let i = 0; i < 2000; i++) {
      const ad = [bytes(6), bytes(rnd.int(90)), bytes(1)];
      const p = bytes(rnd.int(300));
      const ours = sivSeal(key, ad, p);
      expect(ours.equals(Buffer.from(aessiv(key, ...ad).encrypt(p))), `frame ${i}`).toBe(true);
      if (i % 3 === 0) expect(sivOpen(key, ad, ours)!.equals(p)).toBe(true);
      if (i % 7 === 0) expect(sivOpen(key, ad, Buffer.concat([ours, Buffer.from([0])]))).toBeNull();
    }
  });

  it('keeps no stale per-key state for a key Buffer overwritten in place', () => {
    const key = Buffer.alloc(32, 1);
    const first = sivSeal(key, [], Buffer.from('x'));
    key.fill(2);
    const second = sivSeal(key, [], Buffer.from('x'));
    expect(second.equals(Buffer.from(aessiv(key).encrypt(Buffer.from('x'))))).toBe(true);
    expect(second.equals(first)).toBe(false);
    expect(sivOpen(key, [], first)).toBeNull();
  });
});
