import { hmac } from '../../daemon/common/digest.js';

// hostapd still accepts a 128-bit (32 hex digit) r0kh/r1kh key from configs written before the
// protocol moved to AES-SIV with 256-bit keys. It expands it in hostapd/config_file.c
// rkh_derive_key with hmac_sha256_kdf(oldkey, "FT OLDKEY", no seed, 32 octets). That KDF
// (src/crypto/sha256-kdf.c) hashes the label *with* its NUL terminator, then a one-octet counter:
// T1 = HMAC-SHA256(oldkey, "FT OLDKEY\0" || 0x01); 32 octets need only T1. A KMS that meets
// such an AP must do the same expansion or every frame fails authentication.

const LABEL = Buffer.from('FT OLDKEY\0', 'latin1');
const ONE = Buffer.from([1]);

/** Expand a legacy 16-octet r0kh/r1kh key to the 32-octet AES-SIV key hostapd actually uses. */
export function expandOldKey(oldKey: Uint8Array): Buffer {
  if (oldKey.length !== 16) throw new RangeError(`a legacy R0KH/R1KH key is 16 octets, got ${oldKey.length}`);
  return hmac('sha256', oldKey, LABEL, ONE);
}

/** A config key as hostapd reads it: 64 hex digits as is, 32 hex digits expanded. */
export function parseRkhKey(hex: string): Buffer {
  const h = hex.trim();
  if (!/^[0-9a-fA-F]*$/.test(h)) throw new Error('R0KH/R1KH key must be hex');
  if (h.length === 64) return Buffer.from(h, 'hex');
  if (h.length === 32) return expandOldKey(Buffer.from(h, 'hex'));
  throw new Error(`R0KH/R1KH key must be 64 hex digits (or 32 for a legacy key), got ${h.length}`);
}
