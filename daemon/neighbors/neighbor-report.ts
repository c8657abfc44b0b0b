// 802.11k Neighbor Report element bodies (IEEE 802.11-2016 §9.4.2.37; docs/hostapd-interfaces.md,
// "Neighbor Report") for hostapd's neighbour database (an AP driver's setNeighbors puts them there). Stations read these
// to learn their roam candidates. hostapd builds its *own* entry with the right capability bits
// but never sets the Mobility Domain bit (b10, a "TODO" in neighbor_db.c); a station that sees
// b10 clear may not attempt FT towards that BSS, so the KMS sets it for FT neighbours. Pure.
// This is the one Neighbor Report codec: the capture decoder (adapters/pcap) and the lab read
// reports through it too. Every malformed report is refused with a NeighborReportReason.
import { macAt, normalizeMac, writeMac } from '../common/mac.js';

/** BSSID Information bits (hostapd NEI_REP_BSSID_INFO_*). */
export const BSSID_INFO = {
  REACHABLE: 0x3,
  SECURITY: 1 << 2,
  KEY_SCOPE: 1 << 3,
  SPECTRUM_MGMT: 1 << 4,
  QOS: 1 << 5,
  APSD: 1 << 6,
  RM: 1 << 7,
  DELAYED_BA: 1 << 8,
  IMMEDIATE_BA: 1 << 9,
  MOBILITY_DOMAIN: 1 << 10,
  HT: 1 << 11,
  VHT: 1 << 12,
  FTM: 1 << 13,
  HE: 1 << 14,
} as const;

/** `enum phy_type` values used in neighbour reports. */
export const PHY_TYPE = { DSSS: 2, OFDM: 4, HRDSSS: 5, ERP: 6, HT: 7, VHT: 9, HE: 14 } as const;

export interface BssidInfoFlags {
  /** 1 not reachable, 2 unknown, 3 reachable (default 3: every AP in the KMS's topology is). */
  reachability?: 1 | 2 | 3;
  security?: boolean;
  keyScope?: boolean;
  spectrumMgmt?: boolean;
  qos?: boolean;
  apsd?: boolean;
  rm?: boolean;
  delayedBa?: boolean;
  immediateBa?: boolean;
  mobilityDomain?: boolean;
  ht?: boolean;
  vht?: boolean;
  ftm?: boolean;
  he?: boolean;
}

const FLAG_BITS: [keyof BssidInfoFlags, number][] = [
  ['security', BSSID_INFO.SECURITY],
  ['keyScope', BSSID_INFO.KEY_SCOPE],
  ['spectrumMgmt', BSSID_INFO.SPECTRUM_MGMT],
  ['qos', BSSID_INFO.QOS],
  ['apsd', BSSID_INFO.APSD],
  ['rm', BSSID_INFO.RM],
  ['delayedBa', BSSID_INFO.DELAYED_BA],
  ['immediateBa', BSSID_INFO.IMMEDIATE_BA],
  ['mobilityDomain', BSSID_INFO.MOBILITY_DOMAIN],
  ['ht', BSSID_INFO.HT],
  ['vht', BSSID_INFO.VHT],
  ['ftm', BSSID_INFO.FTM],
  ['he', BSSID_INFO.HE],
];

export function bssidInfo(f: BssidInfoFlags): number {
  let v = f.reachability ?? 3;
  for (const [k, bit] of FLAG_BITS) if (f[k]) v |= bit;
  return v >>> 0;
}

export function bssidInfoFlags(info: number): BssidInfoFlags {
  const f: BssidInfoFlags = { reachability: (info & 3) as 1 | 2 | 3 };
  for (const [k, bit] of FLAG_BITS) if (info & bit) (f as Record<string, unknown>)[k] = true;
  return f;
}

export interface NeighborReport {
  bssid: string;
  /** The 32-bit BSSID Information field. */
  info: number;
  opClass: number;
  channel: number;
  phyType: number;
  /** Raw subelements (e.g. 3 candidate preference, 6 wide bandwidth channel), kept as given. */
  subelements: Buffer;
}

/** BSSID (6), BSSID Information (4), Operating Class, Channel Number, PHY Type. */
export const NR_FIXED = 13;
/** Element ID of the Neighbor Report element. */
export const EID_NEIGHBOR_REPORT = 52;
/** Subelement IDs the KMS reads or writes (IEEE 802.11-2016 Table 9-150). */
export const NR_SUBELEMENT = { CANDIDATE_PREFERENCE: 3, WIDE_BANDWIDTH_CHANNEL: 6 } as const;
/** Shortest body of those subelements; longer is allowed (later amendments may extend them). */
const SUBELEMENT_MIN: Record<number, [number, NeighborReportReason]> = {
  [NR_SUBELEMENT.CANDIDATE_PREFERENCE]: [1, 'nr-preference-short'],
  [NR_SUBELEMENT.WIDE_BANDWIDTH_CHANNEL]: [3, 'nr-wide-bandwidth-short'],
};

export type NeighborReportReason =
  | 'nr-short' // fewer than the 13 fixed octets
  | 'nr-long' // more than an element can carry (255 octets)
  | 'nr-subelement-truncated' // a subelement's ID and length octets run past the end
  | 'nr-subelement-overrun' // a subelement's body runs past the end
  | 'nr-preference-short' // a BSS Transition Candidate Preference subelement without its octet
  | 'nr-wide-bandwidth-short' // a Wide Bandwidth Channel subelement of fewer than 3 octets
  | 'nr-bad-bssid' // (encoding) not a MAC address
  | 'nr-bad-field' // (encoding) info not a 32-bit value, or class/channel/PHY not an octet
  | 'element-truncated' // in a run of elements: an ID and length running past the end
  | 'element-overrun'; // in a run of elements: a body running past the end

/** Why a Neighbor Report cannot be decoded or encoded. A RangeError: bad input, never a bug. */
export class NeighborReportError extends RangeError {
  override readonly name = 'NeighborReportError';
  constructor(
    readonly reason: NeighborReportReason,
    detail?: string,
  ) {
    super(detail ? `${reason}: ${detail}` : reason);
  }
}

/** Checks that `b[from, b.length)` is whole subelements, each long enough for what the KMS reads. */
function checkSubelements(b: Uint8Array, from: number): void {
  for (let p = from; p < b.length; ) {
    if (p + 2 > b.length) throw new NeighborReportError('nr-subelement-truncated', `at octet ${p} of ${b.length}`);
    const id = b[p]!;
    const len = b[p + 1]!;
    if (p + 2 + len > b.length)
      throw new NeighborReportError('nr-subelement-overrun', `subelement ${id} of ${len} octets at ${p} of ${b.length}`);
    const min = SUBELEMENT_MIN[id];
    if (min && len < min[0]) throw new NeighborReportError(min[1], `${len} octets`);
    p += 2 + len;
  }
}

/** Octets of the body buildNeighborReport makes for `nr`. */
export function neighborReportLength(nr: NeighborReport): number {
  return NR_FIXED + nr.subelements.length;
}

/** Neighbor Report element body (no EID/length): BSSID, info (le32), class, channel, PHY, subelements. */
export function buildNeighborReport(nr: NeighborReport): Buffer {
  const bssid = normalizeMac(nr.bssid);
  if (!bssid) throw new NeighborReportError('nr-bad-bssid', JSON.stringify(nr.bssid));
  if (!Number.isInteger(nr.info) || nr.info < 0 || nr.info > 0xffffffff)
    throw new NeighborReportError('nr-bad-field', `BSSID information ${nr.info}`);
  for (const [v, what] of [
    [nr.opClass, 'operating class'],
    [nr.channel, 'channel'],
    [nr.phyType, 'PHY type'],
  ] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 255) throw new NeighborReportError('nr-bad-field', `${what} must be 0..255, got ${v}`);
  }
  const len = neighborReportLength(nr);
  if (len > 255) throw new NeighborReportError('nr-long', `${len} octets`);
  const b = Buffer.allocUnsafe(len);
  writeMac(bssid, b, 0);
  b.writeUInt32LE(nr.info, 6);
  b[10] = nr.opClass;
  b[11] = nr.channel;
  b[12] = nr.phyType;
  b.set(nr.subelements, NR_FIXED);
  // What is sent must decode: the same subelement rules as the decoder.
  checkSubelements(b, NR_FIXED);
  return b;
}

/**
 * Reads an NR body (hostapd's own entry from SHOW_NEIGHBOR or `rrm_nr_get_own`, an element of a
 * captured frame, a station's log). Throws NeighborReportError with the reason it is not one.
 * The subelements are copied: the result does not hold on to `body`.
 */
export function decodeNeighborReport(body: Uint8Array): NeighborReport {
  if (body.length < NR_FIXED) throw new NeighborReportError('nr-short', `${body.length} octets`);
  if (body.length > 255) throw new NeighborReportError('nr-long', `${body.length} octets`);
  checkSubelements(body, NR_FIXED);
  const b = Buffer.from(body.buffer, body.byteOffset, body.length);
  return {
    bssid: macAt(b, 0),
    info: b.readUInt32LE(6),
    opClass: b[10]!,
    channel: b[11]!,
    phyType: b[12]!,
    subelements: Buffer.from(b.subarray(NR_FIXED)),
  };
}

/** A whole Neighbor Report element: EID 52, length, body. */
export function buildNeighborReportElement(nr: NeighborReport): Buffer {
  const body = buildNeighborReport(nr);
  return Buffer.concat([Buffer.from([EID_NEIGHBOR_REPORT, body.length]), body]);
}

/**
 * The Neighbor Reports among a run of whole elements (a Neighbor Report Response after its dialog
 * token, a BSS Transition Management frame's candidate list), in order; other elements are skipped.
 * Throws NeighborReportError when the run does not tile or a Neighbor Report in it is malformed.
 */
export function neighborReportsIn(elements: Uint8Array): NeighborReport[] {
  const out: NeighborReport[] = [];
  for (let p = 0; p < elements.length; ) {
    if (p + 2 > elements.length) throw new NeighborReportError('element-truncated', `at octet ${p} of ${elements.length}`);
    const len = elements[p + 1]!;
    if (p + 2 + len > elements.length)
      throw new NeighborReportError('element-overrun', `element ${elements[p]} of ${len} octets at ${p} of ${elements.length}`);
    if (elements[p] === EID_NEIGHBOR_REPORT) out.push(decodeNeighborReport(elements.subarray(p + 2, p + 2 + len)));
    p += 2 + len;
  }
  return out;
}

/** The subelements of a report, in order (decodeNeighborReport and buildNeighborReport have checked they tile). */
export function subelementsOf(nr: NeighborReport): { id: number; body: Buffer }[] {
  const out: { id: number; body: Buffer }[] = [];
  const s = nr.subelements;
  for (let p = 0; p + 2 <= s.length && p + 2 + s[p + 1]! <= s.length; p += 2 + s[p + 1]!)
    out.push({ id: s[p]!, body: s.subarray(p + 2, p + 2 + s[p + 1]!) });
  return out;
}

/** The BSS Transition Candidate Preference (1..255, 0 = excluded), when the report carries one. */
export function candidatePreference(nr: NeighborReport): number | undefined {
  return subelementsOf(nr).find((e) => e.id === NR_SUBELEMENT.CANDIDATE_PREFERENCE)?.body[0];
}

export interface NeighborPolicy {
  /** The neighbour is an FT BSS of the same mobility domain as the AP the list is for: set b10. */
  sameMobilityDomain: boolean;
  /** The KMS places this station's keys there (PMK-R1 / PMKSA), so a cached key works: set Key Scope. */
  sharedKeys: boolean;
  /** BSS Transition Candidate Preference subelement (1..255), optional. */
  preference?: number;
}

/**
 * The entry to give *other* APs for a BSS, starting from that BSS's own report as hostapd built it
 * (its QoS/APSD/RM/HT/VHT/HE bits, class, channel, PHY and wide-bandwidth subelement are right) and
 * adding what hostapd cannot know: reachability, the Mobility Domain bit and key scope.
 */
export function neighborEntryFrom(own: NeighborReport, policy: NeighborPolicy): NeighborReport {
  let info = (own.info & ~0x3) | BSSID_INFO.REACHABLE | BSSID_INFO.SECURITY;
  info = policy.sameMobilityDomain ? info | BSSID_INFO.MOBILITY_DOMAIN : info & ~BSSID_INFO.MOBILITY_DOMAIN;
  info = policy.sharedKeys ? info | BSSID_INFO.KEY_SCOPE : info & ~BSSID_INFO.KEY_SCOPE;
  const kept = subelementsOf(own).filter((e) => e.id !== NR_SUBELEMENT.CANDIDATE_PREFERENCE);
  let subelements = Buffer.concat(kept.map((e) => Buffer.concat([Buffer.from([e.id, e.body.length]), e.body])));
  if (policy.preference !== undefined) {
    if (!Number.isInteger(policy.preference) || policy.preference < 0 || policy.preference > 255)
      throw new RangeError('preference must be 0..255');
    subelements = Buffer.concat([Buffer.from([NR_SUBELEMENT.CANDIDATE_PREFERENCE, 1, policy.preference]), subelements]);
  }
  return { ...own, info: info >>> 0, subelements };
}

/** Operating class of a BSS heard by a monitor (radiotap gives the frequency). null if unknown. */
export function opClassForFreq(freqMhz: number): number | null {
  if (freqMhz >= 5955 && freqMhz <= 7115) return 131; // 6 GHz, 20 MHz
  if (freqMhz === 2484) return 82;
  if (freqMhz >= 2412 && freqMhz <= 2472) return 81;
  const ch = (freqMhz - 5000) / 5;
  if (ch >= 36 && ch <= 48) return 115;
  if (ch >= 52 && ch <= 64) return 118;
  if (ch >= 100 && ch <= 144) return 121;
  if (ch >= 149 && ch <= 165) return 125;
  return null;
}
