// AES-256-GCM sealing for secrets at rest, and the compact binary form of StationKeys.
//
// Sealed blob layout (all versions start with the version octet):
//   v1: version(1) = 0x01 | IV(12, random) | ciphertext | tag(16)
// The version octet is also the first octet of the AAD, so a blob cannot be re-labelled
// as another format; the caller's context (for station keys: the station's MAC) follows,
// so a blob copied into another row fails authentication instead of decrypting there.
//
// The data key is derived from the master key with HKDF-SHA256 and a purpose label, so
// the master key itself never encrypts anything and can later key other purposes too.
// Random 96-bit IVs are safe up to about 2^32 seals per key (NIST SP 800-38D 8.3): far
// beyond the number of station authentications a store sees between master key rotations.
import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import { randomOctets } from '../../daemon/common/random-pool.js';
import type { StationKeys } from '../../daemon/records/station.js';

export const SEALED_FORMAT_V1 = 0x01;
const IV_LEN = 12;
const TAG_LEN = 16;
const HEADER_LEN = 1 + IV_LEN;

export type OpenResult = { ok: true; plaintext: Buffer } | { ok: false; reason: string };

export class SealedBox {
  private readonly key: Buffer;

  constructor(masterKey: Buffer, purpose: string) {
    if (masterKey.length !== 32) throw new Error(`the master key must be 32 octets, got ${masterKey.length}`);
    this.key = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), `hostapd-kms/${purpose}`, 32));
  }

  seal(plaintext: Buffer, context: Buffer): Buffer {
    const iv = randomOctets(IV_LEN);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_LEN });
    cipher.setAAD(aad(SEALED_FORMAT_V1, context));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([Buffer.of(SEALED_FORMAT_V1), iv, body, cipher.getAuthTag()]);
  }

  /** Never throws on bad input: a damaged or foreign blob is a result, not an exception. */
  open(blob: Buffer, context: Buffer): OpenResult {
    if (blob.length < HEADER_LEN + TAG_LEN) return { ok: false, reason: `sealed blob too short (${blob.length} octets)` };
    if (blob[0] !== SEALED_FORMAT_V1) return { ok: false, reason: `unknown sealed format version ${blob[0]}` };
    try {
      const iv = blob.subarray(1, HEADER_LEN);
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_LEN });
      decipher.setAAD(aad(blob[0], context));
      decipher.setAuthTag(blob.subarray(blob.length - TAG_LEN));
      const plaintext = Buffer.concat([decipher.update(blob.subarray(HEADER_LEN, blob.length - TAG_LEN)), decipher.final()]);
      return { ok: true, plaintext };
    } catch {
      return { ok: false, reason: 'authentication failed (tampered, moved from another row, or sealed under another key)' };
    }
  }

  /** Overwrites the derived key; the box is unusable afterwards. */
  destroy(): void {
    this.key.fill(0);
  }
}

function aad(version: number, context: Buffer): Buffer {
  return Buffer.concat([Buffer.of(version), context]);
}

// ---- StationKeys <-> octets ------------------------------------------------------------
// v1: version(1) = 0x01, then for pmk, mpmk, pmkR0, pmkR0Name in that order:
//     one length octet (0xFF = null) followed by that many octets.
// Key material is at most 64 octets, so one length octet is plenty and keeps a blob
// about 4 + the key bytes (~130 octets for an FT station), sealed ~160.

const KEYS_FORMAT_V1 = 0x01;
const NULL_LEN = 0xff;
const KEY_FIELDS = ['pmk', 'mpmk', 'pmkR0', 'pmkR0Name'] as const;

export function encodeStationKeys(keys: StationKeys): Buffer {
  const parts: Buffer[] = [Buffer.of(KEYS_FORMAT_V1)];
  for (const field of KEY_FIELDS) {
    const value = keys[field];
    if (value === null || value === undefined) {
      parts.push(Buffer.of(NULL_LEN));
      continue;
    }
    if (value.length >= NULL_LEN) throw new Error(`StationKeys.${field} is ${value.length} octets; at most 254 can be stored`);
    parts.push(Buffer.of(value.length), value);
  }
  return Buffer.concat(parts);
}

export function decodeStationKeys(data: Buffer): StationKeys {
  if (data.length < 1 || data[0] !== KEYS_FORMAT_V1) throw new Error(`unknown station keys format ${data[0]}`);
  const keys: StationKeys = { pmk: null, mpmk: null, pmkR0: null, pmkR0Name: null };
  let at = 1;
  for (const field of KEY_FIELDS) {
    if (at >= data.length) throw new Error('station keys truncated');
    const len = data[at++];
    if (len === NULL_LEN) continue;
    if (at + len > data.length) throw new Error('station keys truncated');
    // A copy: the caller may zero `data` once decoded.
    keys[field] = Buffer.from(data.subarray(at, at + len));
    at += len;
  }
  if (at !== data.length) throw new Error(`station keys have ${data.length - at} trailing octets`);
  return keys;
}
