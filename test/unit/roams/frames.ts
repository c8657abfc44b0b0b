// Hand-built frame-event sequences for the tracker tests. Times are ms; every builder takes the
// frame's time first. Sequence numbers count up per transmitter unless a test pins one (retries).
import type { FrameEvent, KeyMessage, Mac } from '../../../daemon/roams/frame-events.js';

export const STA = '02:00:00:00:02:00';
export const AP1 = '02:00:00:00:00:00';
export const AP2 = '02:00:00:00:01:00';
export const AP3 = '02:00:00:00:03:00';
export const BCAST = 'ff:ff:ff:ff:ff:ff';
export const AKM_EAP = 0x000fac01;
export const AKM_FT_EAP = 0x000fac03;
export const AKM_PSK = 0x000fac02;
const PMKID = '0d93e545afa75635cf9bf28051145523';

const seqs = new Map<Mac, number>();
const nextSeq = (src: Mac) => {
  const s = ((seqs.get(src) ?? 0) + 1) & 0xfff;
  seqs.set(src, s);
  return s << 4;
};
export interface Opt {
  retry?: boolean;
  seqCtl?: number;
}
const base = (ts: number, src: Mac, dst: Mac, bssid: Mac, o: Opt = {}) => ({
  ts,
  src,
  dst,
  bssid,
  retry: o.retry ?? false,
  seqCtl: o.seqCtl ?? nextSeq(src),
});

/** Station → AP authentication request (transaction 1). alg: 0 open, 2 FT, 3 SAE. */
export const authReq = (ts: number, ap: Mac, alg = 0, o: Opt & { sta?: Mac; transaction?: number } = {}): FrameEvent => ({
  ...base(ts, o.sta ?? STA, ap, ap, o),
  kind: 'auth',
  algorithm: alg,
  transaction: o.transaction ?? 1,
  status: 0,
});
/** AP → station authentication response. */
export const authResp = (ts: number, ap: Mac, alg = 0, status = 0, o: Opt & { sta?: Mac; transaction?: number } = {}): FrameEvent => ({
  ...base(ts, ap, o.sta ?? STA, ap, o),
  kind: 'auth',
  algorithm: alg,
  transaction: o.transaction ?? 2,
  status,
});
export const assocReq = (
  ts: number,
  ap: Mac,
  o: Opt & { reassoc?: boolean; currentAp?: Mac; ft?: boolean; akms?: number[]; rsn?: boolean; pmkid?: boolean; sta?: Mac } = {},
): FrameEvent => ({
  ...base(ts, o.sta ?? STA, ap, ap, o),
  kind: 'assoc-req',
  reassoc: o.reassoc ?? true,
  ...(o.currentAp ? { currentAp: o.currentAp } : {}),
  rsn: o.rsn ?? true,
  akms: o.akms ?? [o.ft ? AKM_FT_EAP : AKM_EAP],
  pmkids: o.pmkid ? [PMKID] : [],
  ft: o.ft ?? false,
});
export const assocResp = (ts: number, ap: Mac, status = 0, o: Opt & { reassoc?: boolean; sta?: Mac } = {}): FrameEvent => ({
  ...base(ts, ap, o.sta ?? STA, ap, o),
  kind: 'assoc-resp',
  reassoc: o.reassoc ?? true,
  status,
});
/** EAP packet; fromAp picks the direction. code 1 request, 2 response, 3 success, 4 failure. */
export const eap = (ts: number, ap: Mac, fromAp: boolean, code = fromAp ? 1 : 2, o: Opt & { sta?: Mac } = {}): FrameEvent => {
  const sta = o.sta ?? STA;
  return {
    ...base(ts, fromAp ? ap : sta, fromAp ? sta : ap, ap, o),
    kind: 'eapol',
    eapolType: 0,
    eapCode: code,
    ...(code <= 2 ? { eapType: 25 } : {}),
  };
};
export const key = (ts: number, ap: Mac, msg: KeyMessage, o: Opt & { sta?: Mac } = {}): FrameEvent => {
  const sta = o.sta ?? STA;
  const fromAp = msg === 'M1' || msg === 'M3' || msg === 'G1';
  return { ...base(ts, fromAp ? ap : sta, fromAp ? sta : ap, ap, o), kind: 'eapol', eapolType: 3, keyMessage: msg };
};
/** A data frame between station and AP (toAp: uplink). */
export const data = (ts: number, ap: Mac, toAp = true, o: Opt & { sta?: Mac } = {}): FrameEvent => {
  const sta = o.sta ?? STA;
  return { ...base(ts, toAp ? sta : ap, toAp ? ap : sta, ap, o), kind: 'data' };
};
export const ftAction = (
  ts: number,
  currentAp: Mac,
  target: Mac,
  action: 1 | 2,
  status?: number,
  o: Opt & { sta?: Mac } = {},
): FrameEvent => {
  const sta = o.sta ?? STA;
  return {
    ...base(ts, action === 1 ? sta : currentAp, action === 1 ? currentAp : sta, currentAp, o),
    kind: 'ft-action',
    action,
    sta,
    targetAp: target,
    ...(status !== undefined ? { status } : {}),
  };
};
export const deauth = (ts: number, ap: Mac, byAp: boolean, reason = 3, o: Opt & { sta?: Mac; to?: Mac } = {}): FrameEvent => {
  const sta = o.sta ?? STA;
  return { ...base(ts, byAp ? ap : sta, o.to ?? (byAp ? sta : ap), ap, o), kind: 'deauth', reason };
};
export const btmRequest = (ts: number, ap: Mac, o: Opt & { sta?: Mac } = {}): FrameEvent => ({
  ...base(ts, ap, o.sta ?? STA, ap, o),
  kind: 'btm',
  action: 7,
  token: 1,
});

/** Open auth + (re)association + `eapCount` EAP packets + 4-way handshake, frames 2 ms apart. */
export function fourWayConnect(
  t: number,
  ap: Mac,
  o: { eapCount?: number; reassoc?: boolean; currentAp?: Mac; akms?: number[]; sta?: Mac } = {},
): FrameEvent[] {
  const s = { ...(o.sta ? { sta: o.sta } : {}) };
  const out: FrameEvent[] = [
    authReq(t, ap, 0, s),
    authResp(t + 2, ap, 0, 0, s),
    assocReq(t + 4, ap, {
      ...s,
      reassoc: o.reassoc ?? true,
      ...(o.currentAp ? { currentAp: o.currentAp } : {}),
      ...(o.akms ? { akms: o.akms } : {}),
      pmkid: (o.eapCount ?? 0) === 0,
    }),
    assocResp(t + 6, ap, 0, { ...s, reassoc: o.reassoc ?? true }),
  ];
  let at = t + 8;
  for (let i = 0; i < (o.eapCount ?? 0); i++, at += 2) out.push(eap(at, ap, i % 2 === 0, undefined, s));
  if (o.eapCount) {
    out.push(eap(at, ap, true, 3, s));
    at += 2;
  }
  for (const m of ['M1', 'M2', 'M3', 'M4'] as const) {
    out.push(key(at, ap, m, s));
    at += 2;
  }
  return out;
}
