import type { ApConfig, DistributionConfig } from '../config/distribution-schema.js';

// What an AP needs to work with the KMS (DESIGN.md "AP configuration"): the KMS as RADIUS
// server, its own secret, nas_identifier = R0KH-ID, FT with the KMS as the one R0KH (PUSH from
// the KMS, PULL to the KMS; the AP never pushes), OKC on, 802.11k/v on.

export interface ApConfigInputs {
  distribution: DistributionConfig;
  ap: ApConfig;
  radiusSecret: string;
  /** 64 hex digits. */
  rrbKeyHex: string;
  kmsMac: string;
  authPort: number;
  acctPort: number;
}

/** The r0kh/r1kh lines: every R0KH-ID (any AP where a station may have authenticated) maps to the KMS. */
function keyHolders(i: ApConfigInputs): { r0kh: string[]; r1kh: string[] } {
  return {
    // A wildcard R0KH-ID means: whatever AP a station came from, its PMK-R1 is PULLed from the
    // KMS MAC, and PUSHes from the KMS are decrypted with this key.
    r0kh: [`${i.kmsMac} * ${i.rrbKeyHex}`],
    // The KMS answers this AP's PULLs and sends it SEQ_REQs; hostapd accepts those only from a
    // known R1KH entry, so the KMS is listed as one too (R1KH-ID = its MAC).
    r1kh: [`${i.kmsMac} ${i.kmsMac} ${i.rrbKeyHex}`],
  };
}

export function renderHostapd(i: ApConfigInputs): string {
  const d = i.distribution;
  const holders = keyHolders(i);
  const blocks = i.ap.bsses.map((b) => [
    `# --- hostapd-kms: BSS ${b.ifname} (${b.bssid}) of AP ${i.ap.name}; merge into that BSS's section ---`,
    `ssid=${d.ssid}`,
    '# RADIUS: the KMS is this AP\'s authentication and accounting server',
    'ieee8021x=1',
    `auth_server_addr=${d.kmsRadiusAddress}`,
    `auth_server_port=${i.authPort}`,
    `auth_server_shared_secret=${i.radiusSecret}`,
    `acct_server_addr=${d.kmsRadiusAddress}`,
    `acct_server_port=${i.acctPort}`,
    `acct_server_shared_secret=${i.radiusSecret}`,
    `nas_identifier=${i.ap.nasIdentifier}`,
    'wpa=2',
    'wpa_key_mgmt=WPA-EAP FT-EAP',
    'rsn_pairwise=CCMP',
    '# 802.11r: the KMS is the R0KH of the mobility domain; APs never push',
    `mobility_domain=${d.mobilityDomain}`,
    'ft_over_ds=0',
    `ft_iface=${i.ap.bridge}`,
    ...(b.r1khId ? [`r1_key_holder=${b.r1khId.replace(/:/g, '')}`] : []),
    'pmk_r1_push=0',
    ...holders.r0kh.map((l) => `r0kh=${l}`),
    ...holders.r1kh.map((l) => `r1kh=${l}`),
    '# OKC for stations without 802.11r (keys placed by PMKSA_ADD; note: no VLAN travels with them)',
    'okc=1',
    'disable_pmksa_caching=0',
    '# 802.11k/v: neighbour reports, beacon reports, BSS transition',
    'rrm_neighbor_report=1',
    'rrm_beacon_report=1',
    'bss_transition=1',
    '# RADIUS-assigned VLANs (also carried in pushed PMK-R1s)',
    'dynamic_vlan=1',
  ].join('\n'));
  return `${blocks.join('\n\n')}\n`;
}

export function renderUci(i: ApConfigInputs): string {
  const d = i.distribution;
  const holders = keyHolders(i);
  const q = (v: string | number) => `'${String(v).replace(/'/g, `'\\''`)}'`;
  const blocks = i.ap.bsses.map((b) => [
    `# hostapd-kms: wifi-iface for BSS ${b.ifname} (${b.bssid}) of AP ${i.ap.name}; set 'device' to its radio`,
    `config wifi-iface ${q(`kms_${b.ifname.replace(/[^A-Za-z0-9_]/g, '_')}`)}`,
    `\toption device ${q('radio0')}`,
    `\toption mode ${q('ap')}`,
    `\toption ifname ${q(b.ifname)}`,
    `\toption network ${q(i.ap.bridge.replace(/^br-/, ''))}`,
    `\toption ssid ${q(d.ssid)}`,
    `\toption encryption ${q('wpa2')}`,
    `\toption auth_server ${q(d.kmsRadiusAddress)}`,
    `\toption auth_port ${q(i.authPort)}`,
    `\toption auth_secret ${q(i.radiusSecret)}`,
    `\toption acct_server ${q(d.kmsRadiusAddress)}`,
    `\toption acct_port ${q(i.acctPort)}`,
    `\toption acct_secret ${q(i.radiusSecret)}`,
    `\toption nasid ${q(i.ap.nasIdentifier)}`,
    `\toption ieee80211r ${q(1)}`,
    `\toption mobility_domain ${q(d.mobilityDomain)}`,
    `\toption ft_over_ds ${q(0)}`,
    `\toption ft_psk_generate_local ${q(0)}`,
    `\toption pmk_r1_push ${q(0)}`,
    ...(b.r1khId ? [`\toption r1_key_holder ${q(b.r1khId.replace(/:/g, ''))}`] : []),
    ...holders.r0kh.map((l) => `\tlist r0kh ${q(l.replace(/ /g, ','))}`),
    ...holders.r1kh.map((l) => `\tlist r1kh ${q(l.replace(/ /g, ','))}`),
    `\toption auth_cache ${q(1)}`,
    `\toption ieee80211k ${q(1)}`,
    `\toption bss_transition ${q(1)}`,
    `\toption dynamic_vlan ${q(1)}`,
  ].join('\n'));
  return `${blocks.join('\n\n')}\n`;
}
