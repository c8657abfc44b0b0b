import { digest } from '../common/digest.js';
import { kdf, type KdfHash } from './kdf.js';

const FT_R0N = Buffer.from('FT-R0N', 'ascii');
const FT_R1N = Buffer.from('FT-R1N', 'ascii');
const FT_PTKN = Buffer.from('FT-PTKN', 'ascii');

// The 802.11r key hierarchy as hostapd 2.10 implements it (wpa_common.c: wpa_derive_pmk_r0,
// wpa_derive_pmk_r1, wpa_derive_pmk_r1_name, wpa_pmk_r1_to_ptk). Pure functions, raw octets.

export interface PmkR0 {
  pmkR0: Buffer;
  pmkR0Name: Buffer;
}

export interface PmkR0Inputs {
  /** 32 octets (SHA-256 AKMs) or 48 (FT-EAP-SHA384). */
  xxKey: Uint8Array;
  ssid: Uint8Array;
  /** Mobility domain identifier, 2 octets in MDE order. */
  mdid: Uint8Array;
  /** R0KH-ID = the initial AP's nas_identifier, 1..48 octets. */
  r0khId: Uint8Array;
  /** S0KH-ID = the station's MAC, 6 octets. */
  s0khId: Uint8Array;
}

function hashFor(keyLength: number): KdfHash {
  if (keyLength === 32) return 'sha256';
  if (keyLength === 48) return 'sha384';
  throw new Error(`FT key must be 32 or 48 octets, got ${keyLength}`);
}

function requireLength(what: string, value: Uint8Array, min: number, max = min): void {
  if (value.length < min || value.length > max) {
    throw new Error(`${what} must be ${min === max ? min : `${min}..${max}`} octets, got ${value.length}`);
  }
}

export function derivePmkR0(input: PmkR0Inputs): PmkR0 {
  const hash = hashFor(input.xxKey.length);
  requireLength('SSID', input.ssid, 0, 32);
  requireLength('MDID', input.mdid, 2);
  requireLength('R0KH-ID', input.r0khId, 1, 48);
  requireLength('S0KH-ID', input.s0khId, 6);
  const context = Buffer.concat([
    Buffer.from([input.ssid.length]),
    input.ssid,
    input.mdid,
    Buffer.from([input.r0khId.length]),
    input.r0khId,
    input.s0khId,
  ]);
  const q = input.xxKey.length;
  const r0KeyData = kdf(hash, input.xxKey, 'FT-R0', context, (q + 16) * 8);
  const pmkR0 = r0KeyData.subarray(0, q);
  const salt = r0KeyData.subarray(q);
  const pmkR0Name = digest(hash, FT_R0N, salt).subarray(0, 16);
  return { pmkR0: Buffer.from(pmkR0), pmkR0Name: Buffer.from(pmkR0Name) };
}

/** PMK-R1 for one target: R1KH-ID is the target BSSID unless it sets r1_key_holder. */
export function derivePmkR1(pmkR0: Uint8Array, r1khId: Uint8Array, s1khId: Uint8Array): Buffer {
  requireLength('R1KH-ID', r1khId, 6);
  requireLength('S1KH-ID', s1khId, 6);
  const hash = hashFor(pmkR0.length);
  return kdf(hash, pmkR0, 'FT-R1', Buffer.concat([r1khId, s1khId]), pmkR0.length * 8);
}

export function derivePmkR1Name(pmkR0Name: Uint8Array, r1khId: Uint8Array, s1khId: Uint8Array, hash: KdfHash = 'sha256'): Buffer {
  requireLength('PMKR0Name', pmkR0Name, 16);
  return digest(hash, FT_R1N, pmkR0Name, r1khId, s1khId).subarray(0, 16);
}

export interface FtPtk {
  kck: Buffer;
  kek: Buffer;
  tk: Buffer;
  ptkName: Buffer;
}

/** FT PTK; key lengths default to FT-EAP with CCMP (16/16/16). Used by tests and the lab's cross-checks. */
export function deriveFtPtk(
  pmkR1: Uint8Array,
  pmkR1Name: Uint8Array,
  snonce: Uint8Array,
  anonce: Uint8Array,
  bssid: Uint8Array,
  sta: Uint8Array,
  lengths: { kck: number; kek: number; tk: number } = { kck: 16, kek: 16, tk: 16 },
): FtPtk {
  const hash = hashFor(pmkR1.length);
  const context = Buffer.concat([snonce, anonce, bssid, sta]);
  const total = lengths.kck + lengths.kek + lengths.tk;
  const ptk = kdf(hash, pmkR1, 'FT-PTK', context, total * 8);
  // hostapd 2.10 always names the PTK with SHA-256, whatever the AKM.
  const ptkName = digest('sha256', pmkR1Name, FT_PTKN, context).subarray(0, 16);
  return {
    kck: ptk.subarray(0, lengths.kck),
    kek: ptk.subarray(lengths.kck, lengths.kck + lengths.kek),
    tk: ptk.subarray(lengths.kck + lengths.kek),
    ptkName: Buffer.from(ptkName),
  };
}
