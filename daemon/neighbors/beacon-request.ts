// Builds the Beacon request the KMS asks a station for (IEEE 802.11-2016 §9.4.2.21.7;
// docs/hostapd-interfaces.md, "Beacon request"): the Measurement Request body an AP driver sends
// (adapters/hostapd turns it into the AP's own command form). Pure: no I/O.
import { normalizeMac, writeMac } from '../common/mac.js';

export type BeaconMode = 'passive' | 'active' | 'table';
export const BEACON_MODE: Record<BeaconMode, number> = { passive: 0, active: 1, table: 2 };

/** Optional subelement IDs of a Beacon request (Table 9-88). */
export const REQUEST_SUBELEMENT = {
  SSID: 0,
  REPORTING_INFO: 1,
  REPORTING_DETAIL: 2,
  REQUEST: 10,
  AP_CHANNEL_REPORT: 51,
  LAST_INDICATION: 164,
} as const;

export interface BeaconRequestParams {
  opClass: number;
  /** 0 = every channel of opClass, 255 = the channels of the AP Channel Reports. */
  channel: number;
  mode: BeaconMode;
  /** Upper bound of the random delay before measuring (TU). Default 0. */
  randIntervalTu?: number;
  /** Time per channel (TU). Active/passive need > 0 (wpa_supplicant ignores 0); the table mode takes 0. */
  durationTu?: number;
  /** Only this BSSID; default the wildcard ff:ff:ff:ff:ff:ff. */
  bssid?: string;
  /** Only this SSID (up to 32 octets); "" = wildcard SSID subelement. */
  ssid?: string | Buffer;
  /** 0 no frame body, 1 fixed fields + `requestIds` elements, 2 everything. Absent = the station's default (2). */
  reportingDetail?: 0 | 1 | 2;
  /** Element IDs to include in the frame body (with reportingDetail 1). */
  requestIds?: number[];
  /** Channels to measure on when channel is 255. */
  apChannelReports?: { opClass: number; channels: number[] }[];
  /** Ask the station to flag its last report (Last Beacon Report Indication Request). */
  lastIndication?: boolean;
}

function intIn(v: number, what: string, min = 0, max = 255): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${what} must be an integer ${min}..${max}, got ${v}`);
  return v;
}

function subelement(id: number, data: Buffer): Buffer {
  if (data.length > 255) throw new RangeError(`beacon request subelement ${id} is longer than 255 octets`);
  return Buffer.concat([Buffer.from([id, data.length]), data]);
}

/** The Beacon request body: opClass, channel, rand interval, duration, mode, BSSID, subelements. */
export function buildBeaconRequest(p: BeaconRequestParams): Buffer {
  const fixed = Buffer.alloc(13);
  fixed[0] = intIn(p.opClass, 'operating class', 1);
  fixed[1] = intIn(p.channel, 'channel');
  fixed.writeUInt16LE(intIn(p.randIntervalTu ?? 0, 'randomization interval', 0, 0xffff), 2);
  fixed.writeUInt16LE(intIn(p.durationTu ?? (p.mode === 'table' ? 0 : 100), 'measurement duration', 0, 0xffff), 4);
  const mode = BEACON_MODE[p.mode];
  if (mode === undefined) throw new RangeError(`unknown beacon measurement mode ${String(p.mode)}`);
  fixed[6] = mode;
  const bssid = normalizeMac(p.bssid ?? 'ff:ff:ff:ff:ff:ff');
  if (!bssid) throw new RangeError(`bad BSSID ${JSON.stringify(p.bssid)}`);
  writeMac(bssid, fixed, 7);
  const subs: Buffer[] = [];
  if (p.ssid !== undefined) {
    const ssid = typeof p.ssid === 'string' ? Buffer.from(p.ssid, 'utf8') : p.ssid;
    if (ssid.length > 32) throw new RangeError(`SSID of ${ssid.length} octets (at most 32)`);
    subs.push(subelement(REQUEST_SUBELEMENT.SSID, ssid));
  }
  if (p.reportingDetail !== undefined) {
    subs.push(subelement(REQUEST_SUBELEMENT.REPORTING_DETAIL, Buffer.from([intIn(p.reportingDetail, 'reporting detail', 0, 2)])));
  }
  if (p.requestIds !== undefined) {
    // wpa_supplicant ignores a Request subelement unless the reporting detail is 1.
    if (p.reportingDetail !== 1) throw new RangeError('requestIds need reportingDetail 1');
    subs.push(subelement(REQUEST_SUBELEMENT.REQUEST, Buffer.from(p.requestIds.map((id) => intIn(id, 'requested element ID')))));
  }
  for (const r of p.apChannelReports ?? []) {
    subs.push(
      subelement(
        REQUEST_SUBELEMENT.AP_CHANNEL_REPORT,
        Buffer.from([
          intIn(r.opClass, 'AP channel report class', 1),
          ...r.channels.map((c) => intIn(c, 'AP channel report channel', 1, 254)),
        ]),
      ),
    );
  }
  if (p.lastIndication) subs.push(subelement(REQUEST_SUBELEMENT.LAST_INDICATION, Buffer.from([1])));
  return Buffer.concat([fixed, ...subs]);
}

/**
 * Channels worth measuring for a station served on `opClass` (global or US classes of 2.4/5 GHz):
 * the whole band, since roam candidates sit on other channels of it. Returns the request's
 * channel (0 = the class itself suffices, 255 = use the returned channel reports).
 */
export function bandChannels(opClass: number): {
  opClass: number;
  channel: number;
  apChannelReports?: { opClass: number; channels: number[] }[];
} {
  if (opClass >= 81 && opClass <= 84) return { opClass: 81, channel: 0 }; // 2.4 GHz: class 81 holds 1..13
  if ((opClass >= 115 && opClass <= 130) || (opClass >= 1 && opClass <= 5)) {
    return {
      opClass: 115,
      channel: 255,
      apChannelReports: [
        { opClass: 115, channels: [36, 40, 44, 48] },
        { opClass: 118, channels: [52, 56, 60, 64] },
        { opClass: 121, channels: [100, 104, 108, 112, 116, 120, 124, 128, 132, 136, 140, 144] },
        { opClass: 125, channels: [149, 153, 157, 161, 165] },
      ],
    };
  }
  return { opClass, channel: 0 };
}
