// Captured packet → radiotap → 802.11 → the core's FrameEvent (daemon/roams/frame-events.ts).
// Malformed frames are counted per reason and skipped, never fatal. Beacons and probes are only
// decoded when someone listens for management frames (the RF graph); roam analysis skips their
// bodies, which are most of the air and none of the roam.
import type { FrameEvent, FrameEventBase } from '../../daemon/roams/frame-events.js';
import { FrameDecodeError } from './errors.js';
import { LINKTYPE_IEEE802_11, LINKTYPE_IEEE802_11_RADIOTAP, type CapturedPacket } from './pcap-file.js';
import { decodeRadiotap, RT_FLAG_BAD_FCS, RT_FLAG_DATA_PAD, RT_FLAG_FCS, type Radiotap } from './radiotap.js';
import {
  decodeHeader,
  decodeManagement,
  MGMT,
  TYPE_DATA,
  TYPE_MGMT,
  FC_FROM_DS,
  FC_TO_DS,
  type Dot11Header,
  type MgmtBody,
} from './ieee80211.js';
import { decodeEapol, ETHERTYPE_EAPOL, snapEthertype } from './eapol.js';

export interface DecodeStats {
  packets: number;
  events: number;
  /** Frames that failed to decode, per FrameDecodeError reason. */
  malformed: Record<string, number>;
  malformedTotal: number;
  /** Frames the radio itself marked as failing the FCS check. */
  badFcs: number;
  unsupportedLinkType: number;
}

export interface FrameEventDecoderOptions {
  onEvent: (e: FrameEvent) => void;
  /** Every decoded management frame, beacons and probes included (RF graph, beacon reports). */
  onManagement?: (ts: number, h: Dot11Header, body: MgmtBody, rt: Radiotap | undefined) => void;
}

const BEACONISH = (1 << MGMT.BEACON) | (1 << MGMT.PROBE_REQ) | (1 << MGMT.PROBE_RESP);

export class FrameEventDecoder {
  readonly stats: DecodeStats = { packets: 0, events: 0, malformed: {}, malformedTotal: 0, badFcs: 0, unsupportedLinkType: 0 };

  constructor(private readonly opts: FrameEventDecoderOptions) {}

  /** Bound to this: pass it straight to a CaptureReader. */
  readonly packet = (p: CapturedPacket): void => {
    this.stats.packets++;
    try {
      this.decode(p);
    } catch (e) {
      if (!(e instanceof FrameDecodeError)) throw e;
      this.stats.malformed[e.reason] = (this.stats.malformed[e.reason] ?? 0) + 1;
      this.stats.malformedTotal++;
    }
  };

  private decode(p: CapturedPacket): void {
    let frame = p.data;
    let rt: Radiotap | undefined;
    if (p.linkType === LINKTYPE_IEEE802_11_RADIOTAP) {
      rt = decodeRadiotap(frame);
      if (rt.flags & RT_FLAG_BAD_FCS) {
        this.stats.badFcs++;
        return;
      }
      const end = rt.flags & RT_FLAG_FCS ? frame.length - 4 : frame.length;
      if (end < rt.length) throw new FrameDecodeError('fcs-overrun');
      frame = frame.subarray(rt.length, end);
    } else if (p.linkType !== LINKTYPE_IEEE802_11) {
      this.stats.unsupportedLinkType++;
      return;
    }
    const h = decodeHeader(frame, rt !== undefined && (rt.flags & RT_FLAG_DATA_PAD) !== 0);
    if (h.type === TYPE_MGMT) this.management(p.ts, h, frame, rt);
    else if (h.type === TYPE_DATA) this.data(p.ts, h, frame, rt);
  }

  private base(ts: number, h: Dot11Header, bssid: string | undefined, rt: Radiotap | undefined): FrameEventBase {
    const b: FrameEventBase = { ts, src: h.addr2!, dst: h.addr1, bssid, retry: h.retry, seqCtl: h.seqCtl };
    if (rt?.signalDbm !== undefined) b.signalDbm = rt.signalDbm;
    if (rt?.freqMhz !== undefined) b.freqMhz = rt.freqMhz;
    return b;
  }

  private emit(e: FrameEvent): void {
    this.stats.events++;
    this.opts.onEvent(e);
  }

  private management(ts: number, h: Dot11Header, frame: Buffer, rt: Radiotap | undefined): void {
    const onMgmt = this.opts.onManagement;
    if (!onMgmt && (BEACONISH >> h.subtype) & 1) return;
    const body = decodeManagement(h, frame);
    onMgmt?.(ts, h, body, rt);
    const base = this.base(ts, h, h.addr3, rt);
    switch (body.kind) {
      case 'auth':
        return this.emit({ ...base, kind: 'auth', algorithm: body.algorithm, transaction: body.transaction, status: body.status });
      case 'assoc-req':
      case 'reassoc-req': {
        const rsn = body.elements.rsn;
        return this.emit({
          ...base,
          kind: 'assoc-req',
          reassoc: body.kind === 'reassoc-req',
          ...(body.currentAp ? { currentAp: body.currentAp } : {}),
          rsn: rsn !== undefined,
          akms: rsn?.akms ?? [],
          pmkids: rsn?.pmkids ?? [],
          ft: body.elements.fte !== undefined,
        });
      }
      case 'assoc-resp':
      case 'reassoc-resp':
        return this.emit({ ...base, kind: 'assoc-resp', reassoc: body.kind === 'reassoc-resp', status: body.status });
      case 'deauth':
      case 'disassoc':
        return this.emit({ ...base, kind: body.kind, reason: body.reason });
      case 'action': {
        const a = body.action;
        if (a.kind === 'ft-request' || a.kind === 'ft-response' || a.kind === 'ft-confirm' || a.kind === 'ft-ack') {
          return this.emit({
            ...base,
            kind: 'ft-action',
            action: a.action,
            sta: a.sta,
            targetAp: a.targetAp,
            ...(a.status !== undefined ? { status: a.status } : {}),
          });
        }
        if (a.kind === 'btm-query' || a.kind === 'btm-request' || a.kind === 'btm-response') {
          const extra = a.kind === 'btm-response' ? { status: a.status, ...(a.target ? { target: a.target } : {}) } : {};
          return this.emit({ ...base, kind: 'btm', action: a.action, token: a.token, ...extra });
        }
        return;
      }
      default:
        return;
    }
  }

  private data(ts: number, h: Dot11Header, frame: Buffer, rt: Radiotap | undefined): void {
    if (h.subtype & 0x04) return; // Null / QoS Null: no payload, says nothing about traffic
    const ds = h.flags & (FC_TO_DS | FC_FROM_DS);
    if (ds === (FC_TO_DS | FC_FROM_DS)) return; // WDS/mesh: not a station-to-AP frame
    const bssid = ds === FC_TO_DS ? h.addr1 : ds === FC_FROM_DS ? h.addr2 : h.addr3;
    const base = this.base(ts, h, bssid, rt);
    if (!h.protected && snapEthertype(frame, h.bodyOffset, frame.length) === ETHERTYPE_EAPOL) {
      const e = decodeEapol(frame, h.bodyOffset + 8, frame.length);
      return this.emit({
        ...base,
        kind: 'eapol',
        eapolType: e.type,
        ...(e.eap ? { eapCode: e.eap.code, ...(e.eap.type !== undefined ? { eapType: e.eap.type } : {}) } : {}),
        ...(e.key ? { keyMessage: e.key.message } : {}),
      });
    }
    this.emit({ ...base, kind: 'data' });
  }
}
