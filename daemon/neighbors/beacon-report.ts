// Strict parser of one 802.11k Beacon report (IEEE 802.11-2016 §9.4.2.22.7;
// docs/hostapd-interfaces.md, "Beacon report"): the
// body hostapd prints in `BEACON-RESP-RX <sta> <token> <mode> <hex>` and the one the ubus adapter
// rebuilds from OpenWrt's `beacon-report` fields. The input comes from stations, i.e. from
// anyone in radio range, so every rule is checked and a bad report is rejected with a reason the
// caller can count, never an exception of another kind. Pure: no I/O.
import { macAt } from '../common/mac.js';

export type BeaconReportReason =
  | 'empty' // no body: hostapd's answer when nothing matched, or a refused/incapable report
  | 'truncated' // fewer than the 26 fixed octets
  | 'too-long' // more than a Measurement Report element can carry (255 - 3 octets)
  | 'late'
  | 'incapable'
  | 'refused' // Measurement Report Mode bits 0..2 (Figure 9-192)
  | 'bad-channel' // 0 and 255 are request wildcards, never a measured channel
  | 'bad-rcpi' // 221..254 are reserved
  | 'bad-bssid' // group address or all zeros: no AP transmits beacons from those
  | 'bad-subelement'; // a subelement overruns the body or has the wrong length for its ID

export class BeaconReportError extends Error {
  constructor(
    readonly reason: BeaconReportReason,
    detail: string,
  ) {
    super(`${detail} (${reason})`);
    this.name = 'BeaconReportError';
  }
}

export interface BeaconSubelement {
  id: number;
  data: Buffer;
}

export interface BeaconReport {
  opClass: number;
  channel: number;
  /** Actual Measurement Start Time: TSF of the serving BSS (64 bits, so a bigint). */
  startTsf: bigint;
  durationTu: number;
  /** Reported Frame Information: b0-6 condensed PHY type, b7 frame type (1 = measurement pilot). */
  frameInfo: number;
  rcpi: number;
  rsni: number;
  bssid: string;
  antennaId: number;
  /** Low 32 bits of the serving AP's TSF when the frame was received. */
  parentTsf: number;
  subelements: BeaconSubelement[];
  /** RCPI as dBm, null when the station says "not available" (255). */
  signalDbm: number | null;
  /** RSNI as dB, null when not available (255). */
  snrDb: number | null;
  /** Reported Frame Body subelement (fixed fields + elements), when the request asked for one. */
  frameBody: Buffer | null;
  /** Last Beacon Report Indication: true on the last report of a measurement, null when absent. */
  last: boolean | null;
}

export const BEACON_REPORT_FIXED = 26;
/** A Measurement Report element is at most 255 octets: token, mode and type take 3. */
export const BEACON_REPORT_MAX = 252;

export const SUBELEMENT = { FRAME_BODY: 1, FRAGMENT_ID: 2, LAST_INDICATION: 164, VENDOR: 221 } as const;

/** RCPI (0..220 = (dBm + 110) × 2; hostapd `rssi_to_rcpi`) → dBm. null for 255 and the reserved values. */
export function rcpiToDbm(rcpi: number): number | null {
  return Number.isInteger(rcpi) && rcpi >= 0 && rcpi <= 220 ? rcpi / 2 - 110 : null;
}

/** dBm → RCPI, clamped to the range RCPI can express (-110..0 dBm). */
export function dbmToRcpi(dbm: number): number {
  return Math.max(0, Math.min(220, Math.round((dbm + 110) * 2)));
}

/** RSNI ((SNR + 10) × 2, 255 = not available) → dB. */
export function rsniToDb(rsni: number): number | null {
  return Number.isInteger(rsni) && rsni >= 0 && rsni <= 254 ? rsni / 2 - 10 : null;
}

/** Rejects a report whose Measurement Report Mode says it carries no measurement. */
export function checkReportMode(mode: number): void {
  if (mode & 0x01) throw new BeaconReportError('late', `report mode 0x${hex2(mode)} has the Late bit`);
  if (mode & 0x02) throw new BeaconReportError('incapable', `report mode 0x${hex2(mode)}: the station cannot measure this`);
  if (mode & 0x04) throw new BeaconReportError('refused', `report mode 0x${hex2(mode)}: the station refused`);
}

/** A `beacon-report` ApEvent's mode and body: the mode is checked first (refusals have no body). */
export function parseBeaconReportEvent(reportMode: number, body: Uint8Array): BeaconReport {
  checkReportMode(reportMode);
  return parseBeaconReport(body);
}

export function parseBeaconReport(input: Uint8Array): BeaconReport {
  const b = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (b.length === 0) throw new BeaconReportError('empty', 'empty beacon report');
  if (b.length < BEACON_REPORT_FIXED)
    throw new BeaconReportError('truncated', `beacon report of ${b.length} octets, need ${BEACON_REPORT_FIXED}`);
  if (b.length > BEACON_REPORT_MAX)
    throw new BeaconReportError('too-long', `beacon report of ${b.length} octets, at most ${BEACON_REPORT_MAX}`);
  const channel = b[1]!;
  if (channel === 0 || channel === 255)
    throw new BeaconReportError('bad-channel', `channel ${channel} is a wildcard, not a measured channel`);
  const rcpi = b[13]!;
  if (rcpi > 220 && rcpi < 255) throw new BeaconReportError('bad-rcpi', `RCPI ${rcpi} is reserved`);
  // Group bit set (ff:ff:… included) or all zeros: not the address of a transmitting AP.
  if (b[15]! & 0x01) throw new BeaconReportError('bad-bssid', 'BSSID is a group address');
  if (b.subarray(15, 21).every((x) => x === 0)) throw new BeaconReportError('bad-bssid', 'BSSID is all zeros');
  const subelements = parseSubelements(b.subarray(BEACON_REPORT_FIXED));
  const one = (id: number) => subelements.find((s) => s.id === id)?.data ?? null;
  const last = one(SUBELEMENT.LAST_INDICATION);
  const rsni = b[14]!;
  return {
    opClass: b[0]!,
    channel,
    startTsf: b.readBigUInt64LE(2),
    durationTu: b.readUInt16LE(10),
    frameInfo: b[12]!,
    rcpi,
    rsni,
    bssid: macAt(b, 15),
    antennaId: b[21]!,
    parentTsf: b.readUInt32LE(22),
    subelements,
    signalDbm: rcpiToDbm(rcpi),
    snrDb: rsniToDb(rsni),
    frameBody: one(SUBELEMENT.FRAME_BODY),
    last: last === null ? null : last[0] === 1,
  };
}

/**
 * Optional subelements (Table 9-112). Lengths of the IDs we know are checked, and those may not
 * repeat except the frame body; unknown IDs are kept, since later amendments add subelements.
 */
function parseSubelements(b: Buffer): BeaconSubelement[] {
  const out: BeaconSubelement[] = [];
  const seen = new Set<number>();
  let p = 0;
  while (p < b.length) {
    if (p + 2 > b.length) throw new BeaconReportError('bad-subelement', `subelement header cut short at offset ${BEACON_REPORT_FIXED + p}`);
    const id = b[p]!;
    const len = b[p + 1]!;
    if (p + 2 + len > b.length) throw new BeaconReportError('bad-subelement', `subelement ${id} of ${len} octets overruns the report`);
    const data = b.subarray(p + 2, p + 2 + len);
    const bad = (why: string) => new BeaconReportError('bad-subelement', `subelement ${id}: ${why}`);
    // Reported Frame Body: Timestamp(8) + Beacon Interval(2) + Capability(2), then elements.
    if (id === SUBELEMENT.FRAME_BODY && len < 12) throw bad(`frame body of ${len} octets has no room for the fixed fields`);
    if (id === SUBELEMENT.FRAGMENT_ID && len !== 2) throw bad(`fragment ID is 2 octets, got ${len}`);
    if (id === SUBELEMENT.LAST_INDICATION && (len !== 1 || data[0]! > 1)) throw bad('last beacon report indication is one octet, 0 or 1');
    if (id === SUBELEMENT.VENDOR && len < 3) throw bad('vendor subelement without an OUI');
    if (id === SUBELEMENT.FRAGMENT_ID || id === SUBELEMENT.LAST_INDICATION) {
      if (seen.has(id)) throw bad('appears twice');
      seen.add(id);
    }
    out.push({ id, data: Buffer.from(data) });
    p += 2 + len;
  }
  return out;
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/** Condensed PHY type of Reported Frame Information (b0-6; `enum phy_type`: 4 OFDM, 6 ERP, 7 HT, 9 VHT, 14 HE). */
export function reportedPhyType(frameInfo: number): number {
  return frameInfo & 0x7f;
}
