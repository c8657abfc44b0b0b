import { aessiv } from '@noble/ciphers/aes.js';

// AES-SIV (RFC 5297) as hostapd's R0KH-R1KH protocol uses it (src/crypto/aes-siv.c): a 32-octet
// key split into K1 (S2V/CMAC) and K2 (CTR), a vector of associated-data items, output V(16) || C.
// node:crypto has neither SIV nor CMAC; this is @noble/ciphers' audited aessiv. A CMAC and CTR
// built here on node:crypto's AES was kept while it was thought much faster; `npm run bench rrb`
// times both at the burst the KMS is sized for, and the difference is a small share of the
// R0KH-R1KH thread's core, not worth a second AES-SIV of our own. Nothing is cached per key:
// the key stays in the caller's Buffer and only noble's per-call key schedule, which it wipes
// after use, ever holds it.

export const SIV_TAG_LEN = 16;
export const SIV_KEY_LEN = 32;

function checkKey(key: Uint8Array): void {
  // hostapd's r0kh/r1kh keys are 256-bit (a 128-bit config key is expanded first, see daemon/keys/rrb-key.ts).
  if (key.length !== SIV_KEY_LEN) throw new RangeError(`AES-SIV key must be ${SIV_KEY_LEN} octets, got ${key.length}`);
}

const asBuffer = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.length);

/** Encrypt and authenticate: returns V(16) || ciphertext. */
export function sivSeal(key: Uint8Array, ad: readonly Uint8Array[], plaintext: Uint8Array): Buffer {
  checkKey(key);
  return asBuffer(aessiv(key, ...ad).encrypt(plaintext));
}

/** Verify and decrypt V || C; null when the tag does not verify (wrong key, AD or data). */
export function sivOpen(key: Uint8Array, ad: readonly Uint8Array[], sealed: Uint8Array): Buffer | null {
  checkKey(key);
  if (sealed.length < SIV_TAG_LEN) return null;
  try {
    return asBuffer(aessiv(key, ...ad).decrypt(sealed));
  } catch {
    // noble throws on a tag that does not verify; that is the only way a well-sized input fails.
    return null;
  }
}
