// Action frame bodies (IEEE 802.11-2016 §9.6) that matter for roaming: Radio Measurement (802.11k:
// measurement request/report with the Beacon request/report fields, link measurement, neighbour report),
// WNM BSS Transition Management (802.11v: query, request, response) and Fast BSS Transition
// (802.11r over the DS: request, response, confirm, ack). Field layouts: the standard, and
// docs/hostapd-interfaces.md "802.11k elements".
import { need } from './errors.js';
import { macAt } from '../../daemon/common/mac.js';
import { parseElements, type Elements, type NeighborReport } from './elements.js';

export const CATEGORY = { BLOCK_ACK: 3, PUBLIC: 4, RADIO_MEASUREMENT: 5, FT: 6, SA_QUERY: 8, WNM: 10 } as const;

export interface BeaconRequest {
  opClass: number;
  channel: number;
  randomizationTu: number;
  durationTu: number;
  /** 0 passive, 1 active, 2 beacon table. */
  mode: number;
  bssid: string;
  ssid?: string;
}

export interface BeaconReport {
  opClass: number;
  channel: number;
  startTsf: number;
  durationTu: number;
  frameInfo: number;
  rcpi: number;
  rsni: number;
  /** From RCPI: dBm = RCPI/2 - 110; undefined when RCPI is 255 (not available). */
  rssiDbm?: number;
  bssid: string;
  antennaId: number;
  parentTsf: number;
}

export interface MeasurementRequest {
  token: number;
  mode: number;
  type: number;
  beacon?: BeaconRequest;
}
/** mode bits: 0 late, 1 incapable, 2 refused; a refused/incapable report has no body. */
export interface MeasurementReport {
  token: number;
  mode: number;
  type: number;
  beacon?: BeaconReport;
}

export type ActionFrame = { category: number; action: number } & (
  | { kind: 'rm-request'; token: number; repetitions: number; requests: MeasurementRequest[] }
  | { kind: 'rm-report'; token: number; reports: MeasurementReport[] }
  | { kind: 'link-measurement-request' | 'link-measurement-report' | 'neighbor-report-request'; token: number }
  | { kind: 'neighbor-report-response'; token: number; neighbors: NeighborReport[] }
  | { kind: 'btm-query'; token: number; reason: number; candidates: NeighborReport[] }
  | {
      kind: 'btm-request';
      token: number;
      mode: number;
      disassocTimer: number;
      validity: number;
      url?: string;
      candidates: NeighborReport[];
    }
  | { kind: 'btm-response'; token: number; status: number; terminationDelay: number; target?: string; candidates: NeighborReport[] }
  | { kind: 'ft-request' | 'ft-response' | 'ft-confirm' | 'ft-ack'; sta: string; targetAp: string; status?: number; elements: Elements }
  | { kind: 'other' }
);

const MEASURE_BEACON = 5;

/** Walks elements of one id (38 or 39) in b[p, end); other ids are skipped. */
function eachElement(b: Buffer, p: number, end: number, id: number, fn: (o: number, len: number) => void): void {
  while (p < end) {
    need(p + 2 <= end && p + 2 + b[p + 1]! <= end, 'ie-overrun');
    if (b[p] === id) fn(p + 2, b[p + 1]!);
    p += 2 + b[p + 1]!;
  }
}

function measurementRequest(b: Buffer, o: number, len: number): MeasurementRequest {
  need(len >= 3, 'rm-request-element-short');
  const r: MeasurementRequest = { token: b[o]!, mode: b[o + 1]!, type: b[o + 2]! };
  if (r.type === MEASURE_BEACON && len > 3) {
    need(len >= 16, 'rm-beacon-request-short');
    const q = o + 3;
    r.beacon = {
      opClass: b[q]!,
      channel: b[q + 1]!,
      randomizationTu: b.readUInt16LE(q + 2),
      durationTu: b.readUInt16LE(q + 4),
      mode: b[q + 6]!,
      bssid: macAt(b, q + 7),
    };
    const beacon = r.beacon;
    eachElement(b, q + 13, o + len, 0, (s, l) => {
      beacon.ssid ??= b.toString('utf8', s, s + l);
    });
  }
  return r;
}

function measurementReport(b: Buffer, o: number, len: number): MeasurementReport {
  need(len >= 3, 'rm-report-element-short');
  const r: MeasurementReport = { token: b[o]!, mode: b[o + 1]!, type: b[o + 2]! };
  // Late/incapable/refused reports (mode bits 0-2) carry no measurement.
  if (r.type === MEASURE_BEACON && (r.mode & 0x07) === 0 && len > 3) {
    need(len >= 3 + 26, 'rm-beacon-report-short');
    const q = o + 3;
    const rcpi = b[q + 13]!;
    r.beacon = {
      opClass: b[q]!,
      channel: b[q + 1]!,
      startTsf: b.readUInt32LE(q + 6) * 4294967296 + b.readUInt32LE(q + 2),
      durationTu: b.readUInt16LE(q + 10),
      frameInfo: b[q + 12]!,
      rcpi,
      rsni: b[q + 14]!,
      bssid: macAt(b, q + 15),
      antennaId: b[q + 21]!,
      parentTsf: b.readUInt32LE(q + 22),
    };
    if (rcpi <= 220) r.beacon.rssiDbm = rcpi / 2 - 110;
  }
  return r;
}

function radioMeasurement(b: Buffer, o: number, end: number, action: number): ActionFrame {
  const base = { category: CATEGORY.RADIO_MEASUREMENT, action };
  need(end - o >= 1, 'action-body-short');
  const token = b[o]!;
  switch (action) {
    case 0: {
      need(end - o >= 3, 'action-body-short');
      const requests: MeasurementRequest[] = [];
      eachElement(b, o + 3, end, 38, (s, l) => requests.push(measurementRequest(b, s, l)));
      return { ...base, kind: 'rm-request', token, repetitions: b.readUInt16LE(o + 1), requests };
    }
    case 1: {
      const reports: MeasurementReport[] = [];
      eachElement(b, o + 1, end, 39, (s, l) => reports.push(measurementReport(b, s, l)));
      return { ...base, kind: 'rm-report', token, reports };
    }
    case 2:
      return { ...base, kind: 'link-measurement-request', token };
    case 3:
      return { ...base, kind: 'link-measurement-report', token };
    case 4:
      return { ...base, kind: 'neighbor-report-request', token };
    case 5:
      return { ...base, kind: 'neighbor-report-response', token, neighbors: parseElements(b, o + 1, end).neighborReports };
    default:
      return { ...base, kind: 'other' };
  }
}

function wnm(b: Buffer, o: number, end: number, action: number): ActionFrame {
  const base = { category: CATEGORY.WNM, action };
  switch (action) {
    case 6:
      need(end - o >= 2, 'action-body-short');
      return { ...base, kind: 'btm-query', token: b[o]!, reason: b[o + 1]!, candidates: parseElements(b, o + 2, end).neighborReports };
    case 7: {
      need(end - o >= 5, 'action-body-short');
      const mode = b[o + 1]!;
      let p = o + 5;
      if (mode & 0x08) p += 12; // BSS Termination Duration subelement
      let url: string | undefined;
      if (mode & 0x10) {
        need(p + 1 <= end && p + 1 + b[p]! <= end, 'btm-url-overrun');
        url = b.toString('utf8', p + 1, p + 1 + b[p]!);
        p += 1 + b[p]!;
      }
      need(p <= end, 'action-body-short');
      return {
        ...base,
        kind: 'btm-request',
        token: b[o]!,
        mode,
        disassocTimer: b.readUInt16LE(o + 2),
        validity: b[o + 4]!,
        ...(url !== undefined ? { url } : {}),
        candidates: parseElements(b, p, end).neighborReports,
      };
    }
    case 8: {
      need(end - o >= 3, 'action-body-short');
      const status = b[o + 1]!;
      let p = o + 3;
      let target: string | undefined;
      // Status 0 (accept) is followed by the BSSID the station will move to.
      if (status === 0 && end - p >= 6) {
        target = macAt(b, p);
        p += 6;
      }
      return {
        ...base,
        kind: 'btm-response',
        token: b[o]!,
        status,
        terminationDelay: b[o + 2]!,
        ...(target !== undefined ? { target } : {}),
        candidates: parseElements(b, p, end).neighborReports,
      };
    }
    default:
      return { ...base, kind: 'other' };
  }
}

const FT_KINDS = ['ft-request', 'ft-response', 'ft-confirm', 'ft-ack'] as const;

function ft(b: Buffer, o: number, end: number, action: number): ActionFrame {
  const base = { category: CATEGORY.FT, action };
  const kind = FT_KINDS[action - 1];
  if (!kind) return { ...base, kind: 'other' };
  need(end - o >= 12, 'action-body-short');
  const withStatus = kind === 'ft-response' || kind === 'ft-ack';
  need(!withStatus || end - o >= 14, 'action-body-short');
  const ies = o + (withStatus ? 14 : 12);
  return {
    ...base,
    kind,
    sta: macAt(b, o),
    targetAp: macAt(b, o + 6),
    ...(withStatus ? { status: b.readUInt16LE(o + 12) } : {}),
    elements: parseElements(b, ies, end),
  };
}

/** Decodes an Action (or Action No Ack) body in b[o, end). */
export function decodeAction(b: Buffer, o: number, end: number): ActionFrame {
  need(end - o >= 2, 'action-body-short');
  const category = b[o]!;
  const action = b[o + 1]!;
  if (category === CATEGORY.RADIO_MEASUREMENT) return radioMeasurement(b, o + 2, end, action);
  if (category === CATEGORY.WNM) return wnm(b, o + 2, end, action);
  if (category === CATEGORY.FT) return ft(b, o + 2, end, action);
  return { category, action, kind: 'other' };
}
