// The argument objects of the `hostapd.<ifname>` ubus methods the KMS calls (OpenWrt's
// hostapd/src/src/ap/ubus.c), one checked builder each. Pure: no I/O.
import { BEACON_MODE, buildBeaconRequest, type BeaconRequestParams } from '../../daemon/neighbors/beacon-request.js';
import { decodeNeighborReport } from '../../daemon/neighbors/neighbor-report.js';
import type { BssTransitionParams, DisconnectParams, NeighborDbEntry } from '../../daemon/ports/ap-driver.js';
import { normalizeMac } from '../../daemon/common/mac.js';

function mac(v: string, what: string): string {
  const m = normalizeMac(v);
  if (!m) throw new RangeError(`${what}: bad MAC address ${JSON.stringify(v)}`);
  return m;
}

function uint(v: number, what: string, max: number): number {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`${what} must be an integer 0..${max}, got ${v}`);
  return v;
}

function nrHex(body: Buffer, what: string): string {
  try {
    decodeNeighborReport(body);
  } catch (e) {
    throw new RangeError(`${what}: not a Neighbor Report element body (${(e as Error).message})`);
  }
  return body.toString('hex');
}

export interface RrmBeaconReqArgs {
  addr: string;
  /** 0 passive, 1 active, 2 beacon table. */
  mode: number;
  op_class: number;
  channel: number;
  duration: number;
  bssid?: string;
  ssid?: string;
}

/** `rrm_beacon_req`: no reporting detail or channel reports there (ubus.c takes only these fields). */
export function rrmBeaconReqArgs(staMac: string, p: BeaconRequestParams): RrmBeaconReqArgs {
  const addr = mac(staMac, 'rrm_beacon_req');
  buildBeaconRequest(p); // same validation as the ctrl-iface form
  const out: RrmBeaconReqArgs = {
    addr,
    mode: BEACON_MODE[p.mode],
    op_class: p.opClass,
    channel: p.channel,
    duration: p.durationTu ?? (p.mode === 'table' ? 0 : 100),
  };
  if (p.bssid) out.bssid = mac(p.bssid, 'rrm_beacon_req bssid');
  if (typeof p.ssid === 'string') out.ssid = p.ssid;
  return out;
}

/** `rrm_nr_set`: the whole non-own list as `[bssid, ssid text, nr hex]` (ubus takes the SSID as text). */
export function rrmNrSetArgs(entries: readonly NeighborDbEntry[]): { list: [string, string, string][] } {
  return {
    list: entries.map((e) => {
      if (e.ssid.length < 1 || e.ssid.length > 32) throw new RangeError(`rrm_nr_set: SSID of ${e.ssid.length} octets (1..32)`);
      return [mac(e.bssid, 'rrm_nr_set'), e.ssid.toString('utf8'), nrHex(e.nr, 'rrm_nr_set')];
    }),
  };
}

/** `bss_transition_request`: the candidates as Neighbor Report bodies in hex. */
export function bssTransitionArgs(req: BssTransitionParams): Record<string, unknown> {
  const out: Record<string, unknown> = {
    addr: mac(req.staMac, 'bss_transition_request'),
    neighbors: req.candidates.map((c) => nrHex(c, 'bss_transition_request')),
  };
  if (req.disassocImminent !== undefined) out.disassociation_imminent = req.disassocImminent;
  if (req.disassocTimerTbtt !== undefined) out.disassociation_timer = uint(req.disassocTimerTbtt, 'disassociation timer', 0xffff);
  if (req.validityIntervalTbtt !== undefined) out.validity_period = uint(req.validityIntervalTbtt, 'validity interval', 255);
  if (req.abridged !== undefined) out.abridged = req.abridged;
  return out;
}

/** `del_client` with deauth: a Deauthentication frame with this reason, and no ban. */
export function delClientArgs(req: DisconnectParams): { addr: string; reason: number; deauth: true; ban_time: 0 } {
  return { addr: mac(req.staMac, 'del_client'), reason: uint(req.reason ?? 1, 'reason code', 0xffff), deauth: true, ban_time: 0 };
}
