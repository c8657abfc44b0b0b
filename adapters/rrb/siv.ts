import { createCipheriv, timingSafeEqual } from 'node:crypto';

// AES-SIV (RFC 5297) as hostapd's R0KH-R1KH protocol uses it (src/crypto/aes-siv.c): a 32-octet
// key split into K1 (S2V/CMAC) and K2 (CTR), a vector of associated-data items, output V(16) || C.
// node:crypto has neither SIV nor CMAC, so both are built here on its AES (AES-NI): CMAC from
// AES-128-CBC with a zero IV, then AES-128-CTR. @noble/ciphers' audited pure-JS aessiv is the
// test oracle (test/unit/rrb/siv-oracle.test.ts) and this one's peer in `npm run bench rrb`, which
// times both at the burst the KMS is sized for on its one R0KH-R1KH thread: there noble needs most
// of that thread's core or more, and this about half to two thirds. Per-key constants (CMAC
// subkeys, CMAC of the zero block) are cached per key object, never under a string of the key:
// the KMS holds one key Buffer per AP and passes that same object on every call.

export const SIV_TAG_LEN = 16;
export const SIV_KEY_LEN = 32;

const ZERO = Buffer.alloc(16);

interface KeyState {
  k1: Buffer;
  k2: Buffer;
  sub1: Buffer;
  sub2: Buffer;
  d0: Buffer;
}
/** By the caller's key object; an entry goes when that object does. Checked against the bytes on
 *  every use, so a key Buffer overwritten in place never meets stale state. */
const cache = new WeakMap<Uint8Array, KeyState>();

function dbl(b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(16);
  let carry = 0;
  for (let i = 15; i >= 0; i--) {
    const v = b[i]!;
    out[i] = ((v << 1) | carry) & 0xff;
    carry = v >> 7;
  }
  if (b[0]! & 0x80) out[15]! ^= 0x87;
  return out;
}

function cbcMacLast(k: Buffer, data: Buffer): Buffer {
  const c = createCipheriv('aes-128-cbc', k, ZERO).setAutoPadding(false);
  const out = c.update(data);
  c.final();
  return out.subarray(out.length - 16);
}

function cmac(s: KeyState, m: Uint8Array): Buffer {
  const n = Math.max(1, Math.ceil(m.length / 16));
  const last = Buffer.alloc(16);
  const complete = m.length > 0 && m.length % 16 === 0;
  const tail = m.subarray((n - 1) * 16);
  last.set(tail);
  if (!complete) last[tail.length] = 0x80;
  const sub = complete ? s.sub1 : s.sub2;
  for (let i = 0; i < 16; i++) last[i]! ^= sub[i]!;
  const buf = Buffer.allocUnsafe(n * 16);
  buf.set(m.subarray(0, (n - 1) * 16));
  last.copy(buf, (n - 1) * 16);
  return cbcMacLast(s.k1, buf);
}

function state(key: Uint8Array): KeyState {
  // hostapd's r0kh/r1kh keys are 256-bit (a 128-bit config key is expanded first, see daemon/keys/rrb-key.ts).
  if (key.length !== SIV_KEY_LEN) throw new RangeError(`AES-SIV key must be ${SIV_KEY_LEN} octets, got ${key.length}`);
  const kept = cache.get(key);
  if (kept?.k1.equals(key.subarray(0, 16)) && kept.k2.equals(key.subarray(16, 32))) return kept;
  const k1 = Buffer.from(key.subarray(0, 16));
  const k2 = Buffer.from(key.subarray(16, 32));
  const sub1 = dbl(cbcMacLast(k1, ZERO));
  const s: KeyState = { k1, k2, sub1, sub2: dbl(sub1), d0: ZERO };
  s.d0 = cmac(s, ZERO);
  cache.set(key, s);
  return s;
}

function s2v(s: KeyState, ad: readonly Uint8Array[], p: Uint8Array): Buffer {
  let d = s.d0;
  for (const a of ad) {
    const c = cmac(s, a);
    d = dbl(d);
    for (let i = 0; i < 16; i++) d[i]! ^= c[i]!;
  }
  let t: Buffer;
  if (p.length >= 16) {
    t = Buffer.from(p);
    const off = p.length - 16;
    for (let i = 0; i < 16; i++) t[off + i]! ^= d[i]!;
  } else {
    t = dbl(d);
    const padded = Buffer.alloc(16);
    padded.set(p);
    padded[p.length] = 0x80;
    for (let i = 0; i < 16; i++) t[i]! ^= padded[i]!;
  }
  return cmac(s, t);
}

function ctr(s: KeyState, v: Buffer, data: Uint8Array): Buffer {
  const q = Buffer.from(v);
  q[8]! &= 0x7f;
  q[12]! &= 0x7f;
  const c = createCipheriv('aes-128-ctr', s.k2, q);
  return Buffer.concat([c.update(data), c.final()]);
}

/** Encrypt and authenticate: returns V(16) || ciphertext. */
export function sivSeal(key: Uint8Array, ad: readonly Uint8Array[], plaintext: Uint8Array): Buffer {
  const s = state(key);
  const v = s2v(s, ad, plaintext);
  return Buffer.concat([v, ctr(s, v, plaintext)]);
}

/** Verify and decrypt V || C; null when the tag does not verify (wrong key, AD or data). */
export function sivOpen(key: Uint8Array, ad: readonly Uint8Array[], sealed: Uint8Array): Buffer | null {
  if (sealed.length < SIV_TAG_LEN) return null;
  const s = state(key);
  const v = Buffer.from(sealed.subarray(0, 16));
  const p = ctr(s, v, sealed.subarray(16));
  return timingSafeEqual(s2v(s, ad, p), v) ? p : null;
}
