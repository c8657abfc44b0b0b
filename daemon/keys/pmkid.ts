import { createHmac } from 'node:crypto';
import { pmkidHashFor } from './akm.js';

/**
 * PMKID = Truncate-128(HMAC-H(PMK, "PMK Name" || AA || SPA)) (hostapd rsn_pmkid).
 * AA is the BSSID of the AP that will check it: for OKC, the *target* AP.
 */
export function derivePmkid(pmk: Uint8Array, aa: Uint8Array, spa: Uint8Array, akm: number): Buffer {
  if (aa.length !== 6 || spa.length !== 6) throw new Error('PMKID needs 6-octet AA and SPA');
  return createHmac(pmkidHashFor(akm), pmk).update('PMK Name').update(aa).update(spa).digest().subarray(0, 16);
}
