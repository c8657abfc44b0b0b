import { describe, expect, it } from 'vitest';
import { createHash, createHmac } from 'node:crypto';
import { digest, hmac, type DigestName } from '../../../daemon/common/digest.js';
import { Prng } from '../../helpers/prng.js';

// The one-shot HMAC is hand-built (RFC 2104), so it is checked against node:crypto's own HMAC
// over every key length around the block sizes and over split inputs.

const ALGS: DigestName[] = ['md5', 'sha1', 'sha256', 'sha384'];

describe('one-shot digest and HMAC', () => {
  it('RFC 2202/4231 vectors', () => {
    // RFC 2202 test case 2 (HMAC-MD5) and RFC 4231 test case 2 (HMAC-SHA-256, -384).
    const key = Buffer.from('Jefe');
    const data = Buffer.from('what do ya want for nothing?');
    expect(hmac('md5', key, data).toString('hex')).toBe('750c783e6ab0b503eaa86e310a5db738');
    expect(hmac('sha256', key, data).toString('hex')).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
    expect(hmac('sha384', key, data).toString('hex')).toBe(
      'af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649',
    );
    // RFC 2202 test case 6: an 80-octet key, longer than the 64-octet block, is hashed first.
    expect(
      hmac('sha1', Buffer.alloc(80, 0xaa), Buffer.from('Test Using Larger Than Block-Size Key - Hash Key First')).toString('hex'),
    ).toBe('aa4ae5e15272d00e95705637ce8a3b55ed402112');
  });

  it('equals node:crypto for every key length 0..200 and split inputs', () => {
    const rng = new Prng(0x5eed);
    for (const alg of ALGS) {
      for (let keyLen = 0; keyLen <= 200; keyLen++) {
        const key = rng.bytes(keyLen);
        const parts = Array.from({ length: rng.range(0, 4) }, () => rng.bytes(rng.range(0, 150)));
        const want = parts.reduce((h, p) => h.update(p), createHmac(alg, key)).digest();
        expect(hmac(alg, key, ...parts)).toEqual(want);
        const wantDigest = parts.reduce((h, p) => h.update(p), createHash(alg)).digest();
        expect(digest(alg, ...parts)).toEqual(wantDigest);
      }
    }
  });
});
