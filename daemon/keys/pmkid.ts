import { hmac } from '../common/digest.js';
import { AKM, pmkidHashFor, type PmkidConvention } from './akm.js';

const PMK_NAME = Buffer.from('PMK Name', 'ascii');

/**
 * PMKID = Truncate-128(HMAC-H(PMK, "PMK Name" || AA || SPA)) (hostapd rsn_pmkid).
 * AA is the BSSID of the AP that will check it: for OKC, the *target* AP; `convention` is that AP's
 * hostapd (FT-EAP's hash changed in 2.11).
 */
export function derivePmkid(pmk: Uint8Array, aa: Uint8Array, spa: Uint8Array, akm: number, convention?: PmkidConvention): Buffer {
  if (pmkidNeedsKck(akm))
    throw new Error(
      `the PMKID of ${akm === AKM.IEEE8021X_SUITE_B_192 ? 'WPA-EAP-SUITE-B-192' : 'WPA-EAP-SUITE-B'} is made from the KCK, not the PMK`,
    );
  if (aa.length !== 6 || spa.length !== 6) throw new Error('PMKID needs 6-octet AA and SPA');
  return hmac(pmkidHashFor(akm, convention), pmk, PMK_NAME, aa, spa).subarray(0, 16);
}

/**
 * The Suite B AKMs (11, and 12 of WPA3-Enterprise 192-bit) name a PMKSA with the KCK of the
 * station's first 4-way handshake (hostapd rsn_pmkid_suite_b_192), which never leaves the AP: no
 * PMKID for another BSSID can be made from the PMK, and wpa_supplicant makes no OKC entry for
 * them either. Their stations roam fast with FT-EAP-SHA384 instead.
 */
export function pmkidNeedsKck(akm: number): boolean {
  return akm === AKM.IEEE8021X_SUITE_B || akm === AKM.IEEE8021X_SUITE_B_192;
}
