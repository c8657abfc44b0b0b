import { hash } from 'node:crypto';

// One-shot digests and HMAC on top of crypto.hash(). Why not createHash/createHmac: every such
// object is a native wrapper held by a weak handle, and V8 walks all of them on each young-
// generation GC. The RADIUS path made ~24 per request; at 1,000 requests/s that walk was 3 ms of
// every 5 ms scavenge pause, and those pauses were the proxy's p99. crypto.hash() allocates no
// wrapper, so HMAC is built from it directly (RFC 2104).
//
// Digests come back as latin1 ('binary') strings and are copied into pool-backed Buffers: a 'buffer'
// result is a fresh ArrayBuffer, and every young ArrayBuffer is swept one by one at each
// scavenge (a PMK-R0 takes five digests; the sweep was a third of the RADIUS thread's pauses).

export type DigestName = 'md5' | 'sha1' | 'sha256' | 'sha384';

const BLOCK: Record<DigestName, number> = { md5: 64, sha1: 64, sha256: 64, sha384: 128 };

/** H(parts[0] || parts[1] || ...). */
export function digest(alg: DigestName, ...parts: Uint8Array[]): Buffer {
  return Buffer.from(hash(alg, parts.length === 1 ? parts[0]! : Buffer.concat(parts), 'binary'), 'latin1');
}

/** HMAC(key, parts[0] || parts[1] || ...), equal to createHmac(alg, key).update(...).digest(). */
export function hmac(alg: DigestName, key: Uint8Array, ...parts: Uint8Array[]): Buffer {
  const block = BLOCK[alg];
  const k = key.length > block ? digest(alg, key) : key;
  let length = block;
  for (const p of parts) length += p.length;
  const inner = Buffer.allocUnsafe(length);
  for (let i = 0; i < block; i++) inner[i] = (i < k.length ? k[i]! : 0) ^ 0x36;
  let at = block;
  for (const p of parts) {
    inner.set(p, at);
    at += p.length;
  }
  const innerHash = hash(alg, inner, 'binary');
  inner.fill(0);
  const outer = Buffer.allocUnsafe(block + innerHash.length);
  for (let i = 0; i < block; i++) outer[i] = (i < k.length ? k[i]! : 0) ^ 0x5c;
  outer.write(innerHash, block, 'latin1');
  const mac = Buffer.from(hash(alg, outer, 'binary'), 'latin1');
  outer.fill(0);
  return mac;
}
