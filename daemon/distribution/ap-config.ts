import type { ApConfig, DistributionConfig, SecurityMode } from '../config/distribution-schema.js';
import { SECURITY_PROFILES, securityHostapdLines } from './security.js';
import type { HostapdVersion } from '../keys/akm.js';
import { macToBytes } from '../common/mac.js';
import { type ApClusterInputs, type FallbackAaaInputs, radiusHostapdLines, radiusUciLines, rkhNegTimeout } from './ap-radius-servers.js';

// What an AP needs to work with the KMS (docs/design.md, "The AP configuration the KMS expects"):
// the KMS as RADIUS server, its own secret, nas_identifier = R0KH-ID, FT with the KMS as the one
// R0KH (PUSH from the KMS, PULL to the KMS; the AP never pushes), OKC on, 802.11k/v on.

export interface ApConfigInputs {
  distribution: DistributionConfig;
  ap: ApConfig;
  radiusSecret: string;
  /** As configured: 64 hex digits, or 32 (a legacy key, which hostapd expands as the KMS does). */
  rrbKeyHex: string;
  kmsMac: string;
  authPort: number;
  acctPort: number;
  /** The AP's hostapd release line; default the AP's hostapdVersion, else 2.10. */
  hostapd?: HostapdVersion;
  /**
   * hostapd 2.11+: keep the r0kh line in this file (rxkh_file=) instead of hostapd.conf. hostapd
   * re-reads it on RELOAD_RXKHS, so a new RRB key for the AP needs no restart of the BSS.
   */
  rxkhFile?: string;
  /** Present when the KMS relays Disconnect/CoA to this AP (radius.clients[].das, radius.dynamicAuthorization). */
  das?: ApDasInputs;
  /** Several kmsd instances (the cluster: section): the AP gets every member as a RADIUS server. */
  cluster?: ApClusterInputs;
  /** --fallback-aaa: the AAA server itself as the last RADIUS server. */
  fallbackAaa?: FallbackAaaInputs;
}

function radiusInputs(i: ApConfigInputs) {
  return {
    apName: i.ap.name,
    kmsRadiusAddress: i.distribution.kmsRadiusAddress,
    authPort: i.authPort,
    acctPort: i.acctPort,
    radiusSecret: i.radiusSecret,
    ...(i.cluster ? { cluster: i.cluster } : {}),
    ...(i.fallbackAaa ? { fallbackAaa: i.fallbackAaa } : {}),
  };
}

export interface ApDasInputs {
  /** The AP's own DAS secret. */
  secret: string;
  /** The first BSS's radius_das_port; BSS i listens on port + i (hostapd runs one DAS per BSS). */
  port: number;
  /** The address the KMS sends from (radius_das_client). */
  kmsAddress: string;
  eventTimestampWindowS: number;
}

/** The DAS port of the BSS at `index` of an AP: hostapd binds one socket per BSS. */
export function dasPortOfBss(port: number, index: number): number {
  return port + index;
}

function checkDas(das: ApDasInputs, ap: ApConfig): void {
  if (/[\r\n]/.test(das.secret)) throw new Error(`the DAS secret of AP ${ap.name} contains a line break: hostapd reads one line`);
  const last = dasPortOfBss(das.port, ap.bsses.length - 1);
  if (last > 65535)
    throw new Error(`AP ${ap.name}'s ${ap.bsses.length} BSSes need DAS ports ${das.port}..${last}: lower radius.clients[].das.port`);
  // hostapd's DAS socket is IPv4 only, and so is the client it accepts.
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(das.kmsAddress))
    throw new Error(
      `hostapd's radius_das_client takes an IPv4 address, not ${das.kmsAddress} (set radius.dynamicAuthorization.sourceAddress)`,
    );
}

/**
 * hostapd's DAS lines for one BSS. Message-Authenticator and Event-Timestamp are required of the
 * KMS (it always sends both); hostapd's own defaults accept requests without either.
 */
function dasHostapdLines(das: ApDasInputs, index: number): string[] {
  return [
    '# Dynamic authorization (RFC 5176): Disconnect-Requests the KMS relays from the AAA servers',
    `radius_das_port=${dasPortOfBss(das.port, index)}`,
    `radius_das_client=${das.kmsAddress} ${das.secret}`,
    'radius_das_require_message_authenticator=1',
    'radius_das_require_event_timestamp=1',
    `radius_das_time_window=${das.eventTimestampWindowS}`,
  ];
}

/** The release line the output is for, refusing what that release cannot read. */
function versionOf(i: ApConfigInputs): HostapdVersion {
  const v = i.hostapd ?? i.ap.hostapdVersion ?? '2.10';
  if (i.rxkhFile !== undefined && v === '2.10')
    throw new Error('rxkh_file needs hostapd 2.11 or later (--hostapd 2.11, or hostapdVersion: "2.11" on the AP)');
  if (i.rxkhFile !== undefined && !/^\/[^\s]*$/.test(i.rxkhFile))
    throw new Error(`the rxkh file must be an absolute path without spaces, not "${i.rxkhFile}"`);
  return v;
}

/**
 * The one r0kh line: a wildcard R0KH-ID means that whatever AP a station authenticated at, the
 * AP PULLs its PMK-R1 from the KMS MAC, and accepts PUSHes decrypted with this AP's own key
 * (hostapd learns the KMS as that R0KH after a SEQ_REQ/SEQ_RESP). No r1kh lines: APs never push.
 */
/** The AP's own mode, else the SSID's. */
export function securityOf(i: Pick<ApConfigInputs, 'distribution' | 'ap'>): SecurityMode {
  return i.ap.security ?? i.distribution.security;
}

function r0khLine(i: ApConfigInputs): string {
  return `${i.kmsMac} * ${i.rrbKeyHex}`;
}

/** Content of the rxkh_file (hostapd 2.11+): the same r0kh line, read by hostapd and RELOAD_RXKHS. */
export function renderRxkhFile(i: ApConfigInputs): string {
  versionOf({ ...i, rxkhFile: i.rxkhFile ?? '/rxkh' });
  return [
    `# hostapd-kms: R0KH-R1KH peers of AP ${i.ap.name} (every BSS); after a change: hostapd_cli reload_rxkhs`,
    `r0kh=${r0khLine(i)}`,
    '',
  ].join('\n');
}

export function renderHostapd(i: ApConfigInputs): string {
  const d = i.distribution;
  const security = securityHostapdLines(securityOf(i));
  const version = versionOf(i);
  if (i.das) checkDas(i.das, i.ap);
  const radius = radiusHostapdLines(radiusInputs(i));
  const negTimeout = rkhNegTimeout(i.cluster);
  const blocks = i.ap.bsses.map((b, index) =>
    [
      `# --- hostapd-kms: BSS ${b.ifname} (${b.bssid}) of AP ${i.ap.name} (hostapd ${version}${version === '2.11' ? ' or later' : ''}); merge into that BSS's section ---`,
      `ssid=${d.ssid}`,
      ...radius,
      `nas_identifier=${i.ap.nasIdentifier}`,
      ...(i.das ? dasHostapdLines(i.das, index) : []),
      ...security,
      '# 802.11r: the KMS is the R0KH of the mobility domain; APs never push',
      `mobility_domain=${d.mobilityDomain}`,
      'ft_over_ds=0',
      // Upstream hostapd opens its R0KH-R1KH socket on bridge= (ft_iface= exists only in OpenWrt's build).
      `bridge=${i.ap.bridge}`,
      ...(b.r1khId ? [`r1_key_holder=${macToBytes(b.r1khId).toString('hex')}`] : []),
      'pmk_r1_push=0',
      ...(i.rxkhFile
        ? [`# the r0kh line is in ${i.rxkhFile} (kmsctl ap-config ${i.ap.name} --format rxkh)`, `rxkh_file=${i.rxkhFile}`]
        : [`r0kh=${r0khLine(i)}`]),
      ...(negTimeout ? [`# ${negTimeout.comment}`, negTimeout.line] : []),
      '# OKC for stations without 802.11r (keys placed by PMKSA_ADD; note: no VLAN travels with them)',
      'okc=1',
      'disable_pmksa_caching=0',
      '# 802.11k/v: neighbour reports, beacon reports, BSS transition',
      'rrm_neighbor_report=1',
      'rrm_beacon_report=1',
      'bss_transition=1',
      '# RADIUS-assigned VLANs (also carried in pushed PMK-R1s). hostapd applies a pushed VLAN only if it',
      '# knows it: list every VLAN in a vlan_file (e.g. "100 wlan0.100") with vlan_bridge=, so the',
      '# interfaces exist from the start; creating one during an FT authentication can miss the roam.',
      'dynamic_vlan=1',
    ].join('\n'),
  );
  return `${blocks.join('\n\n')}\n`;
}

export function renderUci(i: ApConfigInputs): string {
  const d = i.distribution;
  const mode = securityOf(i);
  const p = SECURITY_PROFILES[mode];
  const q = (v: string | number) => `'${String(v).replace(/'/g, `'\\''`)}'`;
  if (i.das) checkDas(i.das, i.ap);
  const radius = radiusUciLines(radiusInputs(i), q);
  const negTimeout = rkhNegTimeout(i.cluster);
  const blocks = i.ap.bsses.map((b, index) =>
    [
      `# hostapd-kms: wifi-iface for BSS ${b.ifname} (${b.bssid}) of AP ${i.ap.name}; set 'device' to its radio`,
      `config wifi-iface ${q(`kms_${b.ifname.replace(/[^A-Za-z0-9_]/g, '_')}`)}`,
      `\toption device ${q('radio0')}`,
      `\toption mode ${q('ap')}`,
      `\toption ifname ${q(b.ifname)}`,
      `\toption network ${q(i.ap.bridge.replace(/^br-/, ''))}`,
      `\toption ssid ${q(d.ssid)}`,
      // OpenWrt derives wpa_key_mgmt from encryption (adding FT-EAP, or FT-EAP-SHA384 for wpa3-192,
      // because ieee80211r is on) and the pairwise cipher too; ieee80211w is said explicitly.
      `\toption encryption ${q(p.uciEncryption)}`,
      `\toption ieee80211w ${q(p.pmf)}`,
      ...(p.groupMgmtCipher && p.groupMgmtCipher !== 'AES-128-CMAC' ? [`\toption ieee80211w_mgmt_cipher ${q(p.groupMgmtCipher)}`] : []),
      ...radius,
      `\toption nasid ${q(i.ap.nasIdentifier)}`,
      // OpenWrt's hostapd.sh writes radius_das_port and radius_das_client from these; it has no
      // option for the Message-Authenticator and Event-Timestamp requirements (the KMS sends both).
      ...(i.das
        ? [
            `\toption dae_client ${q(i.das.kmsAddress)}`,
            `\toption dae_secret ${q(i.das.secret)}`,
            `\toption dae_port ${q(dasPortOfBss(i.das.port, index))}`,
          ]
        : []),
      `\toption ieee80211r ${q(1)}`,
      `\toption mobility_domain ${q(d.mobilityDomain)}`,
      `\toption ft_over_ds ${q(0)}`,
      `\toption ft_psk_generate_local ${q(0)}`,
      `\toption pmk_r1_push ${q(0)}`,
      ...(b.r1khId ? [`\toption r1_key_holder ${q(macToBytes(b.r1khId).toString('hex'))}`] : []),
      `\tlist r0kh ${q(r0khLine(i).replace(/ /g, ','))}`,
      // OpenWrt has no option of its own for it: a raw hostapd line.
      ...(negTimeout ? [`\t# ${negTimeout.comment}`, `\tlist hostapd_bss_options ${q(negTimeout.line)}`] : []),
      `\toption auth_cache ${q(1)}`,
      `\toption ieee80211k ${q(1)}`,
      `\toption bss_transition ${q(1)}`,
      `\toption dynamic_vlan ${q(1)}`,
    ].join('\n'),
  );
  return `${blocks.join('\n\n')}\n`;
}
