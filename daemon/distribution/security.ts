import type { SecurityMode } from '../config/distribution-schema.js';

// What each `security:` mode means on an AP: the AKMs it offers, its ciphers and whether PMF
// (802.11w management frame protection) is off, optional or required. WPA3-Enterprise as the Wi-Fi
// Alliance defines it: "only" offers the SHA-256 AKM (5) with PMF required; "transition" also keeps
// the plain 802.1X AKM (1) with PMF optional for WPA2 clients; the 192-bit mode is Suite B
// (AKM 12) with GCMP-256, BIP-GMAC-256 and PMF required. Each mode adds its FT AKM: FT-EAP (3), or
// FT-EAP-SHA384 (13) in 192-bit mode, so the KMS can place PMK-R1s for every mode.

export interface SecurityProfile {
  /** hostapd wpa_key_mgmt, in the order hostapd lists them. */
  keyMgmt: string[];
  /** hostapd rsn_pairwise (and the group cipher). */
  pairwise: string;
  /** hostapd ieee80211w: 0 off, 1 optional, 2 required. */
  pmf: 0 | 1 | 2;
  /** hostapd group_mgmt_cipher (only with PMF); null: hostapd's default (AES-128-CMAC). */
  groupMgmtCipher: string | null;
  /** OpenWrt's `option encryption` value that yields the same AKMs (with ieee80211r=1 it adds the FT AKM). */
  uciEncryption: string;
}

export const SECURITY_PROFILES: Record<SecurityMode, SecurityProfile> = {
  wpa2: { keyMgmt: ['WPA-EAP', 'FT-EAP'], pairwise: 'CCMP', pmf: 0, groupMgmtCipher: null, uciEncryption: 'wpa2' },
  'wpa3-transition': {
    keyMgmt: ['WPA-EAP', 'WPA-EAP-SHA256', 'FT-EAP'],
    pairwise: 'CCMP',
    pmf: 1,
    groupMgmtCipher: 'AES-128-CMAC',
    uciEncryption: 'wpa3-mixed',
  },
  wpa3: { keyMgmt: ['WPA-EAP-SHA256', 'FT-EAP'], pairwise: 'CCMP', pmf: 2, groupMgmtCipher: 'AES-128-CMAC', uciEncryption: 'wpa3' },
  'wpa3-192': {
    keyMgmt: ['WPA-EAP-SUITE-B-192', 'FT-EAP-SHA384'],
    pairwise: 'GCMP-256',
    pmf: 2,
    groupMgmtCipher: 'BIP-GMAC-256',
    uciEncryption: 'wpa3-192',
  },
};

/** The hostapd.conf lines of one mode (wpa=2 and the lines after it). */
export function securityHostapdLines(mode: SecurityMode): string[] {
  const p = SECURITY_PROFILES[mode];
  return [
    `# security: ${mode} (PMF ${['off', 'optional', 'required'][p.pmf]})`,
    'wpa=2',
    `wpa_key_mgmt=${p.keyMgmt.join(' ')}`,
    `rsn_pairwise=${p.pairwise}`,
    // A BSS with only GCMP-256 pairwise gets GCMP-256 as its group cipher anyway; saying so keeps
    // the 192-bit mode from depending on hostapd's choice.
    ...(p.pairwise === 'GCMP-256' ? ['group_cipher=GCMP-256'] : []),
    `ieee80211w=${p.pmf}`,
    ...(p.groupMgmtCipher ? [`group_mgmt_cipher=${p.groupMgmtCipher}`] : []),
  ];
}
