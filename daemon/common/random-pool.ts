import { randomFillSync } from 'node:crypto';

// Small random values (RADIUS authenticators, Proxy-State, salts, GCM IVs) are needed several
// times per request; one OpenSSL call per value showed up as 8% of the proxy's CPU. Drawing
// them from a CSPRNG-filled pool is the same randomness for a fraction of the calls. Never for
// long-lived keys: those come from randomBytes directly.

const POOL_SIZE = 16 * 1024;
let pool = Buffer.allocUnsafe(0);
let offset = 0;

/** `n` (≤ 256) fresh random octets in a buffer of their own. */
export function randomOctets(n: number): Buffer {
  if (n > 256) throw new Error('randomOctets is for small values; use crypto.randomBytes');
  if (offset + n > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_SIZE));
    offset = 0;
  }
  const out = Buffer.allocUnsafe(n);
  pool.copy(out, 0, offset, offset + n);
  // Used octets are wiped so a later read of the pool cannot replay them.
  pool.fill(0, offset, offset + n);
  offset += n;
  return out;
}
