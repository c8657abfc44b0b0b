import { AKM, isFtAkm, usesSha384 } from './akm.js';

// Which part of the 64-octet MSK becomes which key (hostapd wpa_auth.c INITPMK;
// docs/hostapd-interfaces.md, "What comes from the MSK").

export const MSK_LENGTH = 64;

/** PMK for PMKSA caching/OKC: MSK[0..31], or MSK[0..47] for SHA-384 AKMs. */
export function pmkFromMsk(msk: Uint8Array, akm: number): Buffer {
  const len = usesSha384(akm) ? 48 : 32;
  if (msk.length < len) throw new Error(`MSK of ${msk.length} octets is shorter than the ${len}-octet PMK`);
  return Buffer.from(msk.subarray(0, len));
}

/**
 * XXKey, the root of the FT hierarchy: FT-EAP uses the *second* half of the MSK,
 * FT-EAP-SHA384 the first 384 bits, FT-PSK the PSK. hostapd sets it only for a full 64-octet MSK.
 */
export function xxKeyFor(akm: number, source: { msk?: Uint8Array; psk?: Uint8Array }): Buffer | null {
  if (!isFtAkm(akm)) return null;
  if (akm === AKM.FT_PSK) return source.psk ? Buffer.from(source.psk) : null;
  if (akm === AKM.FT_SAE) return null; // the SAE PMK never reaches the KMS
  const msk = source.msk;
  if (!msk || msk.length < MSK_LENGTH) return null;
  return akm === AKM.FT_IEEE8021X_SHA384 ? Buffer.from(msk.subarray(0, 48)) : Buffer.from(msk.subarray(32, 64));
}

/**
 * What hostapd puts in its PMKSA cache after EAP: for FT-EAP (not SHA-384) it caches
 * MSK[32..63] (the MPMK), otherwise the ordinary PMK. PMKSA_ADD on a neighbour must match it.
 */
export function pmksaCachePmk(msk: Uint8Array, akm: number): Buffer {
  if (akm === AKM.FT_IEEE8021X && msk.length >= MSK_LENGTH) return Buffer.from(msk.subarray(32, 64));
  return pmkFromMsk(msk, akm);
}
