import { describe, expect, it } from 'vitest';
import { FrameEventDecoder, type CapturedPacket } from '../../../adapters/pcap/index.js';
import type { FrameEvent } from '../../../daemon/roams/frame-events.js';
import {
  actionBody,
  assocRespBody,
  authBody,
  beaconBody,
  cat,
  dataHeader,
  eapolKey,
  eapPacket,
  fteIe,
  ftActionBody,
  ipPayload,
  KEY_INFO,
  mac,
  mdeIe,
  mgmtHeader,
  radiotap,
  reassocReqBody,
  reasonBody,
  rsnIe,
  ssidIe,
  u32le,
} from './build.js';

const STA = '02:00:00:00:02:00';
const AP1 = '02:00:00:00:00:00';
const AP2 = '02:00:00:00:01:00';
const PMKID = '0d93e545afa75635cf9bf28051145523';

function run(frames: Buffer[], o: { linkType?: number; withMgmt?: boolean } = {}) {
  const events: FrameEvent[] = [];
  const mgmt: string[] = [];
  const d = new FrameEventDecoder({
    onEvent: (e) => events.push(e),
    ...(o.withMgmt
      ? {
          onManagement: (_ts, _h, body) => {
            mgmt.push(body.kind);
          },
        }
      : {}),
  });
  frames.forEach((data, i) =>
    d.packet({ ts: 1000 + i, linkType: o.linkType ?? 127, data, origLen: data.length, interfaceId: 0 } as CapturedPacket),
  );
  return { events, stats: d.stats, mgmt };
}
const rt = radiotap({ flags: 0, freq: 2412, signal: -40 });

describe('captured packet → frame events', () => {
  it('management frames become auth / assoc-req / assoc-resp / deauth events with radio info', () => {
    const { events } = run([
      cat(rt, mgmtHeader(11, AP2, STA, AP2, { seq: 5 }), authBody(2, 1, 0, rsnIe({ akms: [0x000fac03] }), mdeIe('a1b2'), fteIe())),
      cat(
        rt,
        mgmtHeader(2, AP2, STA, AP2),
        reassocReqBody(AP1, ssidIe('s'), rsnIe({ akms: [0x000fac03], pmkids: [PMKID] }), mdeIe('a1b2'), fteIe()),
      ),
      cat(rt, mgmtHeader(3, STA, AP2, AP2), assocRespBody(0)),
      cat(rt, mgmtHeader(12, STA, AP1, AP1, { retry: true }), reasonBody(3)),
    ]);
    expect(events).toEqual([
      {
        ts: 1000,
        src: STA,
        dst: AP2,
        bssid: AP2,
        retry: false,
        seqCtl: 5 << 4,
        signalDbm: -40,
        freqMhz: 2412,
        kind: 'auth',
        algorithm: 2,
        transaction: 1,
        status: 0,
      },
      {
        ts: 1001,
        src: STA,
        dst: AP2,
        bssid: AP2,
        retry: false,
        seqCtl: 0,
        signalDbm: -40,
        freqMhz: 2412,
        kind: 'assoc-req',
        reassoc: true,
        currentAp: AP1,
        rsn: true,
        akms: [0x000fac03],
        pmkids: [PMKID],
        ft: true,
      },
      {
        ts: 1002,
        src: AP2,
        dst: STA,
        bssid: AP2,
        retry: false,
        seqCtl: 0,
        signalDbm: -40,
        freqMhz: 2412,
        kind: 'assoc-resp',
        reassoc: true,
        status: 0,
      },
      { ts: 1003, src: AP1, dst: STA, bssid: AP1, retry: true, seqCtl: 0, signalDbm: -40, freqMhz: 2412, kind: 'deauth', reason: 3 },
    ]);
  });

  it('FT and BTM action frames become events; other actions do not', () => {
    const { events } = run([
      cat(rt, mgmtHeader(13, AP1, STA, AP1), ftActionBody(1, STA, AP2)),
      cat(rt, mgmtHeader(13, STA, AP1, AP1), ftActionBody(2, STA, AP2, 0)),
      cat(rt, mgmtHeader(13, STA, AP1, AP1), actionBody(10, 7, [4, 1], [0, 0], [0])),
      cat(rt, mgmtHeader(13, AP1, STA, AP1), actionBody(10, 8, [4, 0, 0], mac(AP2))),
      cat(rt, mgmtHeader(13, AP1, STA, AP1), actionBody(3, 0, [1, 2, 3])),
    ]);
    expect(events.map((e) => e.kind)).toEqual(['ft-action', 'ft-action', 'btm', 'btm']);
    expect(events[0]).toMatchObject({ kind: 'ft-action', action: 1, sta: STA, targetAp: AP2 });
    expect(events[1]).toMatchObject({ kind: 'ft-action', action: 2, status: 0 });
    expect(events[2]).toMatchObject({ kind: 'btm', action: 7, token: 4 });
    expect(events[3]).toMatchObject({ kind: 'btm', action: 8, status: 0, target: AP2 });
  });

  it('data frames: EAPOL decoded, others are "data" with the BSSID from ToDS/FromDS; null and WDS frames dropped', () => {
    const { events } = run([
      cat(rt, dataHeader(STA, AP1, AP1, { fromDs: true, tid: 7 }), eapPacket(1, 1, 1)),
      cat(rt, dataHeader(AP1, STA, AP1, { toDs: true, tid: 7 }), eapolKey(KEY_INFO.M4)),
      cat(rt, dataHeader(AP1, STA, 'ff:ff:ff:ff:ff:ff', { toDs: true, protected: true }), Buffer.alloc(40)),
      cat(rt, dataHeader(STA, AP1, AP1, { fromDs: true }), ipPayload()),
      cat(rt, dataHeader(AP1, STA, AP1, { toDs: true, nullData: true })),
      cat(rt, dataHeader(AP1, AP2, STA, { toDs: true, fromDs: true, a4: STA }), ipPayload()),
    ]);
    expect(events.map((e) => [e.kind, e.bssid, e.src])).toEqual([
      ['eapol', AP1, AP1],
      ['eapol', AP1, STA],
      ['data', AP1, STA],
      ['data', AP1, AP1],
    ]);
    expect(events[0]).toMatchObject({ eapolType: 0, eapCode: 1, eapType: 1 });
    expect(events[1]).toMatchObject({ eapolType: 3, keyMessage: 'M4' });
  });

  it('beacons are skipped unless management frames are wanted', () => {
    const beacon = cat(rt, mgmtHeader(8, 'ff:ff:ff:ff:ff:ff', AP1, AP1), beaconBody(ssidIe('x')));
    expect(run([beacon]).events).toEqual([]);
    expect(run([beacon], { withMgmt: true }).mgmt).toEqual(['beacon']);
  });

  it('FCS: stripped when radiotap says it is there; frames with a bad FCS are counted and dropped', () => {
    const auth = cat(mgmtHeader(11, AP2, STA, AP2), authBody(0, 1, 0));
    const withFcs = run([cat(radiotap({ flags: 0x10 }), auth, u32le(0xdeadbeef))]);
    expect(withFcs.events).toHaveLength(1);
    const bad = run([cat(radiotap({ flags: 0x50 }), auth, u32le(0))]);
    expect(bad.events).toHaveLength(0);
    expect(bad.stats.badFcs).toBe(1);
  });

  it('plain 802.11 link type (105) needs no radiotap; other link types are counted', () => {
    expect(run([cat(mgmtHeader(11, AP2, STA, AP2), authBody(0, 1, 0))], { linkType: 105 }).events).toHaveLength(1);
    expect(run([Buffer.alloc(60)], { linkType: 1 }).stats.unsupportedLinkType).toBe(1);
  });

  it('malformed frames are counted per reason and never stop the stream', () => {
    const good = cat(rt, mgmtHeader(11, AP2, STA, AP2), authBody(0, 1, 0));
    const { events, stats } = run([
      Buffer.alloc(3),
      cat(rt, Buffer.alloc(5)),
      cat(rt, mgmtHeader(11, AP2, STA, AP2), Buffer.alloc(2)),
      good,
      cat(rt, mgmtHeader(2, AP2, STA, AP2), reassocReqBody(AP1, Buffer.from([48, 30, 1, 0]))),
      cat(radiotap({ flags: 0x10 }), Buffer.alloc(2)),
    ]);
    expect(events).toHaveLength(1);
    expect(stats).toMatchObject({
      packets: 6,
      events: 1,
      malformedTotal: 5,
      malformed: { 'radiotap-short': 1, 'dot11-short': 1, 'mgmt-body-short': 1, 'ie-overrun': 1, 'fcs-overrun': 1 },
    });
  });
});
