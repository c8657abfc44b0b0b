// AKM suite selectors (00-0F-AC:n) and what each implies for key derivation.
// Facts from hostapd 2.10 src/common/defs.h and wpa_common.c (docs/hostapd-interfaces.md, "Key
// hierarchy": "PMKID" and "AKM and cipher values").

export const AKM = {
  IEEE8021X: 0x000fac01,
  PSK: 0x000fac02,
  FT_IEEE8021X: 0x000fac03,
  FT_PSK: 0x000fac04,
  IEEE8021X_SHA256: 0x000fac05,
  PSK_SHA256: 0x000fac06,
  SAE: 0x000fac08,
  FT_SAE: 0x000fac09,
  IEEE8021X_SUITE_B: 0x000fac0b,
  IEEE8021X_SUITE_B_192: 0x000fac0c,
  FT_IEEE8021X_SHA384: 0x000fac0d,
} as const;

/** hostapd's WPA_KEY_MGMT_* bitmask, as PMKSA_ADD expects it (decimal on the command line). */
export function akmToHostapdKeyMgmt(akm: number): number | null {
  switch (akm) {
    case AKM.IEEE8021X:
      return 0x1;
    case AKM.PSK:
      return 0x2;
    case AKM.FT_IEEE8021X:
      return 0x20;
    case AKM.FT_PSK:
      return 0x40;
    case AKM.IEEE8021X_SHA256:
      return 0x80;
    case AKM.PSK_SHA256:
      return 0x100;
    case AKM.SAE:
      return 0x400;
    case AKM.FT_SAE:
      return 0x800;
    case AKM.IEEE8021X_SUITE_B:
      return 0x10000;
    case AKM.IEEE8021X_SUITE_B_192:
      return 0x20000;
    case AKM.FT_IEEE8021X_SHA384:
      return 0x1000000;
    default:
      return null;
  }
}

export function isFtAkm(akm: number): boolean {
  return akm === AKM.FT_IEEE8021X || akm === AKM.FT_PSK || akm === AKM.FT_SAE || akm === AKM.FT_IEEE8021X_SHA384;
}

export function usesSha384(akm: number): boolean {
  return akm === AKM.IEEE8021X_SUITE_B_192 || akm === AKM.FT_IEEE8021X_SHA384;
}

export type PmkidHash = 'sha1' | 'sha256' | 'sha384';

/**
 * Which hostapd/wpa_supplicant convention a peer follows where releases differ. '2.11' stands for
 * 2.11 and later (upstream main too); '2.10' for 2.10 and earlier. See docs/hostapd-versions.md.
 */
export type HostapdVersion = '2.10' | '2.11';
export const HOSTAPD_VERSIONS: readonly HostapdVersion[] = ['2.10', '2.11'];

export interface PmkidConvention {
  hostapd: HostapdVersion;
}

/**
 * Hash used for the PMKID (PMKSA caching and OKC). Up to 2.10, hostapd's wpa_key_mgmt_sha256() does
 * not list FT-EAP (AKM 3), so its PMKID over the PMK is HMAC-SHA-1; from 2.11 on it is listed and the
 * PMKID is HMAC-SHA-256, on the AP and in wpa_supplicant alike. FT-PSK stays SHA-1 in both.
 */
export function pmkidHashFor(akm: number, convention: PmkidConvention = { hostapd: '2.10' }): PmkidHash {
  if (usesSha384(akm)) return 'sha384';
  switch (akm) {
    case AKM.IEEE8021X_SHA256:
    case AKM.PSK_SHA256:
    case AKM.SAE:
    case AKM.FT_SAE:
      return 'sha256';
    case AKM.FT_IEEE8021X:
      return convention.hostapd === '2.10' ? 'sha1' : 'sha256';
    default:
      return 'sha1';
  }
}

/** "00-0f-ac:3"-style text for logs and the API. */
export function akmName(akm: number): string {
  const names: Record<number, string> = {
    [AKM.IEEE8021X]: 'WPA-EAP',
    [AKM.PSK]: 'WPA-PSK',
    [AKM.FT_IEEE8021X]: 'FT-EAP',
    [AKM.FT_PSK]: 'FT-PSK',
    [AKM.IEEE8021X_SHA256]: 'WPA-EAP-SHA256',
    [AKM.PSK_SHA256]: 'WPA-PSK-SHA256',
    [AKM.SAE]: 'SAE',
    [AKM.FT_SAE]: 'FT-SAE',
    [AKM.IEEE8021X_SUITE_B]: 'WPA-EAP-SUITE-B',
    [AKM.IEEE8021X_SUITE_B_192]: 'WPA-EAP-SUITE-B-192',
    [AKM.FT_IEEE8021X_SHA384]: 'FT-EAP-SHA384',
  };
  return (
    names[akm] ??
    `00-${((akm >>> 16) & 0xff).toString(16).padStart(2, '0')}-${((akm >>> 8) & 0xff).toString(16).padStart(2, '0')}:${akm & 0xff}`
  );
}

export const CIPHER = { CCMP: 0x000fac04, GCMP: 0x000fac08, GCMP_256: 0x000fac09, CCMP_256: 0x000fac0a } as const;

/** hostapd's WPA_CIPHER_* bitmask, carried in the R0KH-R1KH PAIRWISE TLV. */
export function cipherToHostapdBit(suite: number): number | null {
  switch (suite) {
    case CIPHER.CCMP:
      return 0x10;
    case CIPHER.GCMP:
      return 0x40;
    case CIPHER.GCMP_256:
      return 0x100;
    case CIPHER.CCMP_256:
      return 0x200;
    default:
      return null;
  }
}
