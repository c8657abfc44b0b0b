import { hmac } from '../common/digest.js';
import { pmkidHashFor, type PmkidConvention } from './akm.js';

const PMK_NAME = Buffer.from('PMK Name', 'ascii');

/**
 * PMKID = Truncate-128(HMAC-H(PMK, "PMK Name" || AA || SPA)) (hostapd rsn_pmkid).
 * AA is the BSSID of the AP that will check it: for OKC, the *target* AP; `convention` is that AP's
 * hostapd (FT-EAP's hash changed in 2.11).
 */
export function derivePmkid(pmk: Uint8Array, aa: Uint8Array, spa: Uint8Array, akm: number, convention?: PmkidConvention): Buffer {
  if (aa.length !== 6 || spa.length !== 6) throw new Error('PMKID needs 6-octet AA and SPA');
  return hmac(pmkidHashFor(akm, convention), pmk, PMK_NAME, aa, spa).subarray(0, 16);
}
