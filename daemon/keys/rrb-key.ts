import { hmac } from '../common/digest.js';

// The key of an r0kh/r1kh line (distribution.aps[].rrbKey), read the way hostapd reads it
// (hostapd/config_file.c rkh_derive_key, used for r0kh=, r1kh= and every rxkh_file line alike):
// 64 hex digits are the 256-bit AES-SIV key itself; failing that, 32 hex digits are a key from
// before the protocol moved to AES-SIV, which hostapd still accepts and expands with
// hmac_sha256_kdf(oldkey, "FT OLDKEY", no seed, 32 octets). That KDF (src/crypto/sha256-kdf.c)
// hashes the label *with* its NUL terminator, then a one-octet counter:
// T1 = HMAC-SHA256(oldkey, "FT OLDKEY\0" || 0x01); 32 octets need only T1. An AP configured with
// such a key seals every frame with the expanded one, so the KMS must expand it the same way.
// (hostapd ignores anything after the digits it needs; the KMS refuses it, so a typo is an error.)

const LABEL = Buffer.from('FT OLDKEY\0', 'latin1');
const ONE = Buffer.from([1]);

/** Expand a legacy 16-octet r0kh/r1kh key to the 32-octet AES-SIV key hostapd actually uses. */
export function expandOldKey(oldKey: Uint8Array): Buffer {
  if (oldKey.length !== 16) throw new RangeError(`a legacy R0KH/R1KH key is 16 octets, got ${oldKey.length}`);
  return hmac('sha256', oldKey, LABEL, ONE);
}

/** The 32-octet key hostapd uses for `hex` (surrounding white space ignored), or why it is not one. */
export function rrbKeyFromHex(hex: string): { ok: true; key: Buffer } | { ok: false; problem: string } {
  const h = hex.trim();
  if (/^[0-9a-fA-F]{64}$/.test(h)) return { ok: true, key: Buffer.from(h, 'hex') };
  if (/^[0-9a-fA-F]{32}$/.test(h)) return { ok: true, key: expandOldKey(Buffer.from(h, 'hex')) };
  const got = /^[0-9a-fA-F]*$/.test(h) ? `${h.length} hex digits` : 'characters that are not hex digits';
  return { ok: false, problem: `must be 64 hex digits (a 256-bit key) or 32 (a legacy 128-bit key, expanded as hostapd does), got ${got}` };
}
