import { type Cipher, createCipheriv, timingSafeEqual } from 'node:crypto';

// AES-SIV (RFC 5297) as hostapd's R0KH-R1KH protocol uses it (src/crypto/aes-siv.c): a 32-octet
// key split into K1 (S2V/CMAC) and K2 (CTR), a vector of associated-data items, output V(16) || C.
// node:crypto has neither SIV nor CMAC, so both are built here on its AES (AES-NI). @noble/ciphers'
// audited pure-JS aessiv is the test oracle (test/unit/rrb/siv-oracle.test.ts) and this one's peer
// in `npm run bench rrb`, which times both at the burst the KMS is sized for on its one R0KH-R1KH
// thread.
//
// Making a cipher object costs more than the AES it then does on a frame, so each key keeps two
// for good: an AES-128-CBC one under K1 for CMAC and an AES-128-ECB one under K2 for CTR. CBC
// state runs on from one call to the next (the last ciphertext block is the next IV), so each
// CBC-MAC folds that block into its first block: E(last ^ (m1 ^ last)) = E(m1), as with a zero IV.
// CTR is ECB of the counter blocks, XORed onto the data. Per-key state is cached per key object,
// never under a string of the key: the KMS holds one key Buffer per AP and passes that same object
// on every call.

export const SIV_TAG_LEN = 16;
export const SIV_KEY_LEN = 32;

const ZERO = Buffer.alloc(16);

interface KeyState {
  k1: Buffer;
  k2: Buffer;
  /** AES-128-CBC under K1, no padding, never finalised; `last` is its running IV. */
  cbc: Cipher;
  last: Buffer;
  /** AES-128-ECB under K2, no padding, never finalised: the CTR keystream. */
  ecb: Cipher;
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

/** The CBC-MAC (zero IV) of `blocks`, a whole number of blocks that this call may overwrite. */
function cbcMac(s: KeyState, blocks: Buffer): Buffer {
  for (let i = 0; i < 16; i++) blocks[i]! ^= s.last[i]!;
  const out = s.cbc.update(blocks);
  s.last = Buffer.from(out.subarray(out.length - 16));
  return Buffer.from(s.last);
}

function cmac(s: KeyState, m: Uint8Array): Buffer {
  const n = Math.max(1, Math.ceil(m.length / 16));
  const buf = Buffer.alloc(n * 16);
  buf.set(m);
  const complete = m.length > 0 && m.length % 16 === 0;
  if (!complete) buf[m.length] = 0x80;
  const sub = complete ? s.sub1 : s.sub2;
  const off = (n - 1) * 16;
  for (let i = 0; i < 16; i++) buf[off + i]! ^= sub[i]!;
  return cbcMac(s, buf);
}

function state(key: Uint8Array): KeyState {
  // hostapd's r0kh/r1kh keys are 256-bit (a 128-bit config key is expanded first, see daemon/keys/rrb-key.ts).
  if (key.length !== SIV_KEY_LEN) throw new RangeError(`AES-SIV key must be ${SIV_KEY_LEN} octets, got ${key.length}`);
  const kept = cache.get(key);
  if (kept?.k1.equals(key.subarray(0, 16)) && kept.k2.equals(key.subarray(16, 32))) return kept;
  const k1 = Buffer.from(key.subarray(0, 16));
  const k2 = Buffer.from(key.subarray(16, 32));
  const s: KeyState = {
    k1,
    k2,
    cbc: createCipheriv('aes-128-cbc', k1, ZERO).setAutoPadding(false),
    last: ZERO,
    ecb: createCipheriv('aes-128-ecb', k2, null).setAutoPadding(false),
    sub1: ZERO,
    sub2: ZERO,
    d0: ZERO,
  };
  s.sub1 = dbl(cbcMac(s, Buffer.alloc(16)));
  s.sub2 = dbl(s.sub1);
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

/** AES-CTR from V with bits 63 and 31 cleared (RFC 5297), the counter a 128-bit big-endian number. */
function ctr(s: KeyState, v: Buffer, data: Uint8Array): Buffer {
  const n = Math.ceil(data.length / 16);
  const counters = Buffer.allocUnsafe(n * 16);
  const q = Buffer.from(v);
  q[8]! &= 0x7f;
  q[12]! &= 0x7f;
  for (let b = 0; b < n; b++) {
    q.copy(counters, b * 16);
    for (let i = 15; i >= 0 && ++q[i]! === 256; i--) q[i] = 0;
  }
  const stream = s.ecb.update(counters);
  const out = Buffer.allocUnsafe(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! ^ stream[i]!;
  return out;
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
