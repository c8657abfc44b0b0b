import { aessiv } from '@noble/ciphers/aes.js';

// AES-SIV (RFC 5297) as hostapd's R0KH-R1KH protocol uses it (src/crypto/aes-siv.c): a 32-octet
// key split into K1 (S2V/CMAC) and K2 (CTR), a vector of associated-data items, output V(16) || C.
// node:crypto has no SIV and no CMAC, so this wraps @noble/ciphers' `aessiv`, which passes the
// RFC vectors with several AD items. The wrapper fixes the key size hostapd uses and turns the
// library's throw on a bad tag into `null`, so callers handle "not authentic" as a value.

export const SIV_TAG_LEN = 16;
export const SIV_KEY_LEN = 32;

function checkKey(key: Uint8Array): void {
  // hostapd's r0kh/r1kh keys are 256-bit (a 128-bit config key is expanded first, see oldkey.ts).
  if (key.length !== SIV_KEY_LEN) throw new RangeError(`AES-SIV key must be ${SIV_KEY_LEN} octets, got ${key.length}`);
}

/** Encrypt and authenticate: returns V(16) || ciphertext. */
export function sivSeal(key: Uint8Array, ad: readonly Uint8Array[], plaintext: Uint8Array): Buffer {
  checkKey(key);
  const out = aessiv(key, ...ad).encrypt(plaintext);
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

/** Verify and decrypt V || C; null when the tag does not verify (wrong key, AD or data). */
export function sivOpen(key: Uint8Array, ad: readonly Uint8Array[], sealed: Uint8Array): Buffer | null {
  checkKey(key);
  if (sealed.length < SIV_TAG_LEN) return null;
  try {
    const out = aessiv(key, ...ad).decrypt(sealed);
    return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  } catch {
    // noble throws on an invalid tag; nothing else can fail here once the key length is right.
    return null;
  }
}
