// The command lines the KMS sends to hostapd's control interface (hostapd/ctrl_iface.c), one
// checked builder each: a value that hostapd would misread, or that could smuggle a second
// argument into the line, throws here instead of reaching the AP. Pure: no I/O.
import { buildBeaconRequest, type BeaconRequestParams } from '../../daemon/neighbors/beacon-request.js';
import { decodeNeighborReport, type NeighborReport } from '../../daemon/neighbors/neighbor-report.js';
import type { BssTransitionParams, DisconnectParams, NeighborDbEntry, PmksaAddParams } from '../../daemon/ports/ap-driver.js';
import { normalizeMac } from '../../daemon/common/mac.js';

const IFNAME_RE = /^[A-Za-z0-9._-]{1,15}$/;

export function checkIfname(ifname: string): string {
  if (!IFNAME_RE.test(ifname)) throw new Error(`bad interface name ${JSON.stringify(ifname)}`);
  return ifname;
}

function mac(v: string, what: string): string {
  const m = normalizeMac(v);
  if (!m) throw new RangeError(`${what}: bad MAC address ${JSON.stringify(v)}`);
  return m;
}

function uint(v: number, what: string, max: number): number {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`${what} must be an integer 0..${max}, got ${v}`);
  return v;
}

/**
 * The `PMKSA_ADD <sta> <pmkid> <pmk> <expiration> <akmp>` line (hostapd_ctrl_iface_pmksa_add).
 * akmp is the decimal WPA_KEY_MGMT_* bitmask (1 WPA-EAP, 32 FT-EAP, 128 EAP-SHA256).
 */
export function formatPmksaAdd(req: PmksaAddParams): string {
  const sta = normalizeMac(req.staMac);
  if (!sta) throw new Error(`PMKSA_ADD: bad station address ${JSON.stringify(req.staMac)}`);
  if (req.pmkid.length !== 16) throw new Error('PMKSA_ADD: a PMKID is 16 octets');
  if (req.pmk.length < 32 || req.pmk.length > 64) throw new Error('PMKSA_ADD: a PMK is 32..64 octets');
  if (!Number.isInteger(req.expirationS) || req.expirationS < 0 || req.expirationS > 0x7fffffff)
    throw new Error('PMKSA_ADD: bad expiration');
  if (!Number.isInteger(req.akmp) || req.akmp <= 0 || req.akmp > 0x7fffffff) throw new Error('PMKSA_ADD: bad akmp');
  return `PMKSA_ADD ${sta} ${req.pmkid.toString('hex')} ${req.pmk.toString('hex')} ${req.expirationS} ${req.akmp}`;
}

/** SSIDs travel as hex: hostapd finds `nr=` with strstr, so a quoted SSID containing "nr=" would break the line. */
function ssidHex(ssid: Buffer): string {
  if (ssid.length < 1 || ssid.length > 32) throw new RangeError(`SSID of ${ssid.length} octets (1..32)`);
  return ssid.toString('hex');
}

/** `SET_NEIGHBOR <bssid> ssid=<hex> nr=<hex>`: the nr must be a well-formed Neighbor Report body. */
/** The element body decoded, or a RangeError naming the command and the codec's reason. */
function neighborReportFor(body: Buffer, what: string): NeighborReport {
  try {
    return decodeNeighborReport(body);
  } catch (e) {
    throw new RangeError(`${what}: not a Neighbor Report element body (${(e as Error).message})`);
  }
}

export function setNeighborCommand(e: NeighborDbEntry): string {
  const bssid = mac(e.bssid, 'SET_NEIGHBOR');
  neighborReportFor(e.nr, `SET_NEIGHBOR ${bssid}: nr`);
  return `SET_NEIGHBOR ${bssid} ssid=${ssidHex(e.ssid)} nr=${e.nr.toString('hex')}`;
}

/** `REMOVE_NEIGHBOR <bssid> [ssid=<hex>]`. */
export function removeNeighborCommand(bssid: string, ssid?: Buffer): string {
  return `REMOVE_NEIGHBOR ${mac(bssid, 'REMOVE_NEIGHBOR')}${ssid === undefined ? '' : ` ssid=${ssidHex(ssid)}`}`;
}

/** `REQ_BEACON <sta> [req_mode=<hex2>] <hex>`; hostapd answers with the dialog token or FAIL. */
export function reqBeaconCommand(staMac: string, p: BeaconRequestParams, reqMode?: number): string {
  const mode = reqMode === undefined ? '' : ` req_mode=${uint(reqMode, 'request mode', 255).toString(16).padStart(2, '0')}`;
  return `REQ_BEACON ${mac(staMac, 'REQ_BEACON')}${mode} ${buildBeaconRequest(p).toString('hex')}`;
}

/**
 * `BSS_TM_REQ <sta> [disassoc_imminent=1] [disassoc_timer=<n>] [valid_int=<n>] [abridged=1]
 * [pref=1 neighbor=<bssid>,<info>,<class>,<channel>,<phy>[,<subelements hex>]…]`
 * (hostapd_ctrl_iface_bss_tm_req; the candidates are parsed by ieee802_11_parse_candidate_list,
 * which reads the BSSID Information with strtol base 0, so hex with 0x is fine).
 */
export function bssTmReqCommand(req: BssTransitionParams): string {
  const parts = [`BSS_TM_REQ ${mac(req.staMac, 'BSS_TM_REQ')}`];
  if (req.disassocImminent) parts.push('disassoc_imminent=1');
  if (req.disassocTimerTbtt !== undefined) parts.push(`disassoc_timer=${uint(req.disassocTimerTbtt, 'disassociation timer', 0xffff)}`);
  if (req.validityIntervalTbtt !== undefined) parts.push(`valid_int=${uint(req.validityIntervalTbtt, 'validity interval', 255)}`);
  if (req.abridged) parts.push('abridged=1');
  if (req.candidates.length > 0) parts.push('pref=1');
  for (const body of req.candidates) {
    const nr = neighborReportFor(body, 'BSS_TM_REQ: a candidate');
    const subs = nr.subelements.length > 0 ? `,${nr.subelements.toString('hex')}` : '';
    parts.push(`neighbor=${nr.bssid},0x${nr.info.toString(16).padStart(8, '0')},${nr.opClass},${nr.channel},${nr.phyType}${subs}`);
  }
  return parts.join(' ');
}

/** `DEAUTHENTICATE <sta> reason=<code>` (hostapd_ctrl_iface_deauthenticate). */
export function deauthenticateCommand(req: DisconnectParams): string {
  return `DEAUTHENTICATE ${mac(req.staMac, 'DEAUTHENTICATE')} reason=${uint(req.reason ?? 1, 'reason code', 0xffff)}`;
}
