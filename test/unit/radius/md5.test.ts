import { describe, expect, it } from 'vitest';
import { createHash, createHmac } from 'node:crypto';
import { HmacMd5Key, hmacMd5, md5 } from '../../../adapters/radius/md5.js';
import { Prng } from '../../helpers/prng.js';

// Our MD5 is hand-written for speed, so it is held to node:crypto on every length around the
// block and padding boundaries, on inputs split at random points, and to the RFC vectors.

describe('MD5 and HMAC-MD5', () => {
  it('RFC 1321 and RFC 2202 vectors', () => {
    expect(md5(Buffer.from('')).toString('hex')).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(md5(Buffer.from('abc')).toString('hex')).toBe('900150983cd24fb0d6963f7d28e17f72');
    expect(md5(Buffer.from('12345678901234567890123456789012345678901234567890123456789012345678901234567890')).toString('hex')).toBe(
      '57edf4a22be3c955ac49da2e2107b67a',
    );
    expect(hmacMd5(Buffer.from('Jefe'), Buffer.from('what do ya want for nothing?')).toString('hex')).toBe(
      '750c783e6ab0b503eaa86e310a5db738',
    );
    // RFC 2202 case 6: an 80-octet key is hashed first.
    expect(
      new HmacMd5Key(Buffer.alloc(80, 0xaa)).mac(Buffer.from('Test Using Larger Than Block-Size Key - Hash Key First')).toString('hex'),
    ).toBe('6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd');
  });

  it('equals node:crypto for lengths 0..300 and random splits', () => {
    const rng = new Prng(0x3d5);
    for (let n = 0; n <= 300; n++) {
      const data = rng.bytes(n);
      const cuts = [0, rng.int(n + 1), rng.int(n + 1), n].sort((a, b) => a - b);
      const parts = [data.subarray(cuts[0], cuts[1]), data.subarray(cuts[1], cuts[2]), data.subarray(cuts[2], cuts[3])];
      const want = createHash('md5').update(data).digest();
      expect(md5(data)).toEqual(want);
      expect(md5(...parts)).toEqual(want);
      const key = rng.bytes(rng.range(0, 100));
      expect(hmacMd5(key, ...parts)).toEqual(createHmac('md5', key).update(data).digest());
    }
  });

  it('re-keys a key Buffer whose contents changed', () => {
    const key = Buffer.from('first-secret');
    const data = Buffer.from('Access-Request bytes');
    expect(hmacMd5(key, data)).toEqual(createHmac('md5', 'first-secret').update(data).digest());
    key.write('other-secret');
    expect(hmacMd5(key, data)).toEqual(createHmac('md5', 'other-secret').update(data).digest());
  });
});
