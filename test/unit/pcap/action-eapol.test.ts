import { describe, expect, it } from 'vitest';
import { decodeAction, decodeEapol, FrameDecodeError, keyMessage, snapEthertype } from '../../../adapters/pcap/index.js';
import {
  actionBody,
  beaconReportIe,
  beaconRequestIe,
  cat,
  eapol,
  eapolKey,
  eapPacket,
  ftActionBody,
  ipPayload,
  KEY_INFO,
  mac,
  mdeIe,
  nrIe,
  rsnIe,
  u16le,
} from './build.js';
import { candidatePreference } from '../../../daemon/neighbors/neighbor-report.js';

const STA = '02:00:00:00:02:00';
const AP1 = '02:00:00:00:00:00';
const AP2 = '02:00:00:00:01:00';
const act = (b: Buffer) => decodeAction(b, 0, b.length);
const reason = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e instanceof FrameDecodeError ? e.reason : `not a FrameDecodeError: ${String(e)}`;
  }
  return 'no error';
};

describe('radio measurement (802.11k)', () => {
  it('measurement request with a beacon request (hwsim example 51000000000002ffffffffffff) and SSID subelement', () => {
    const body = actionBody(5, 0, [7], u16le(0), beaconRequestIe(1, { opClass: 81, channel: 0, mode: 1, ssid: 'vlab' }));
    expect(act(body)).toEqual({
      category: 5,
      action: 0,
      kind: 'rm-request',
      token: 7,
      repetitions: 0,
      requests: [
        {
          token: 1,
          mode: 0,
          type: 5,
          beacon: { opClass: 81, channel: 0, randomizationTu: 0, durationTu: 100, mode: 1, bssid: 'ff:ff:ff:ff:ff:ff', ssid: 'vlab' },
        },
      ],
    });
  });

  it('measurement report with beacon reports: RCPI to dBm, refused reports carry no body', () => {
    const body = actionBody(
      5,
      1,
      [7],
      beaconReportIe(1, { bssid: AP2, rcpi: 130, channel: 1 }),
      beaconReportIe(2, { bssid: AP1, mode: 4 }),
      beaconReportIe(3, { bssid: AP1, rcpi: 255 }),
    );
    const a = act(body);
    expect(a).toMatchObject({ kind: 'rm-report', token: 7 });
    if (a.kind !== 'rm-report') throw new Error('kind');
    expect(a.reports[0]).toEqual({
      token: 1,
      mode: 0,
      type: 5,
      beacon: {
        opClass: 81,
        channel: 1,
        startTsf: 1,
        durationTu: 100,
        frameInfo: 7,
        rcpi: 130,
        rsni: 255,
        rssiDbm: -45,
        bssid: AP2,
        antennaId: 0,
        parentTsf: 0x12345678,
      },
    });
    expect(a.reports[1]).toEqual({ token: 2, mode: 4, type: 5 });
    expect(a.reports[2]!.beacon!.rssiDbm).toBeUndefined();
  });

  it('link measurement and neighbour report request/response', () => {
    expect(act(actionBody(5, 2, [3, 0, 20]))).toMatchObject({ kind: 'link-measurement-request', token: 3 });
    expect(act(actionBody(5, 3, [3]))).toMatchObject({ kind: 'link-measurement-report', token: 3 });
    expect(act(actionBody(5, 4, [9]))).toMatchObject({ kind: 'neighbor-report-request', token: 9 });
    const resp = act(actionBody(5, 5, [9], nrIe(AP1), nrIe(AP2, { channel: 6, pref: 255 })));
    expect(resp).toMatchObject({ kind: 'neighbor-report-response', token: 9, neighbors: [{ bssid: AP1 }, { bssid: AP2, channel: 6 }] });
    if (resp.kind !== 'neighbor-report-response') throw new Error(resp.kind);
    expect(resp.neighbors.map(candidatePreference)).toEqual([undefined, 255]);
  });

  it('malformed measurement elements', () => {
    expect(reason(() => act(actionBody(5, 0, [7], u16le(0), cat([38, 2], [1, 0]))))).toBe('rm-request-element-short');
    expect(reason(() => act(actionBody(5, 0, [7], u16le(0), cat([38, 5], [1, 0, 5, 81, 0]))))).toBe('rm-beacon-request-short');
    expect(reason(() => act(actionBody(5, 1, [7], cat([39, 10], [1, 0, 5, 0, 0, 0, 0, 0, 0, 0]))))).toBe('rm-beacon-report-short');
    expect(reason(() => act(actionBody(5, 1, [7], cat([39, 10], [1]))))).toBe('ie-overrun');
    expect(reason(() => act(actionBody(5, 0, [7])))).toBe('action-body-short');
  });
});

describe('BSS transition management (802.11v)', () => {
  it('query, request (with disassociation imminent, termination duration and URL), response', () => {
    expect(act(actionBody(10, 6, [1, 16], nrIe(AP2)))).toMatchObject({
      kind: 'btm-query',
      token: 1,
      reason: 16,
      candidates: [{ bssid: AP2 }],
    });
    const req = actionBody(10, 7, [2, 0x1f], u16le(10), [255], Buffer.alloc(12), [3], Buffer.from('x.y'), nrIe(AP1, { pref: 255 }));
    expect(act(req)).toMatchObject({
      kind: 'btm-request',
      token: 2,
      mode: 0x1f,
      disassocTimer: 10,
      validity: 255,
      url: 'x.y',
      candidates: [{ bssid: AP1, subelements: Buffer.from([3, 1, 255]) }],
    });
    expect(act(actionBody(10, 8, [2, 0, 0], mac(AP1)))).toMatchObject({ kind: 'btm-response', status: 0, target: AP1, candidates: [] });
    const reject = act(actionBody(10, 8, [2, 7, 0]));
    expect(reject).toMatchObject({ kind: 'btm-response', status: 7 });
    expect((reject as { target?: string }).target).toBeUndefined();
  });

  it('malformed BTM frames', () => {
    expect(reason(() => act(actionBody(10, 7, [2, 0x10], u16le(0), [0], [9, 1])))).toBe('btm-url-overrun');
    expect(reason(() => act(actionBody(10, 7, [2, 0x08], u16le(0), [0], [1, 2])))).toBe('action-body-short');
    expect(reason(() => act(actionBody(10, 8, [2])))).toBe('action-body-short');
  });
});

describe('FT action frames (802.11r over the DS)', () => {
  it('request, response with status, confirm, ack', () => {
    expect(act(ftActionBody(1, STA, AP2, undefined, rsnIe({ akms: [0x000fac03] }), mdeIe('a1b2', 1)))).toMatchObject({
      category: 6,
      action: 1,
      kind: 'ft-request',
      sta: STA,
      targetAp: AP2,
      elements: { mde: { mdid: 'a1b2', ftOverDs: true } },
    });
    expect(act(ftActionBody(2, STA, AP2, 53))).toMatchObject({ kind: 'ft-response', status: 53 });
    expect(act(ftActionBody(3, STA, AP2))).toMatchObject({ kind: 'ft-confirm' });
    expect(act(ftActionBody(4, STA, AP2, 0))).toMatchObject({ kind: 'ft-ack', status: 0 });
    expect(act(actionBody(6, 9))).toMatchObject({ kind: 'other', category: 6, action: 9 });
    expect(reason(() => act(actionBody(6, 2, mac(STA), mac(AP2))))).toBe('action-body-short');
  });

  it('other categories are named, not decoded', () => {
    expect(act(actionBody(3, 0, [1, 2, 3]))).toEqual({ category: 3, action: 0, kind: 'other' });
    expect(reason(() => act(Buffer.from([5])))).toBe('action-body-short');
  });
});

describe('EAPOL', () => {
  const dec = (b: Buffer) => {
    expect(snapEthertype(b, 0, b.length)).toBe(0x888e);
    return decodeEapol(b, 8, b.length);
  };

  it('LLC/SNAP: RFC 1042 and bridge-tunnel encapsulation, anything else is not SNAP', () => {
    expect(snapEthertype(ipPayload(), 0, 48)).toBe(0x0800);
    const bt = Buffer.from(eapPacket(1, 1, 1));
    bt[5] = 0xf8;
    expect(snapEthertype(bt, 0, bt.length)).toBe(0x888e);
    expect(snapEthertype(Buffer.from([0xaa, 0xaa, 3, 0, 0, 1, 0x88, 0x8e]), 0, 8)).toBe(-1);
    expect(snapEthertype(Buffer.from([0xaa, 0xaa, 3]), 0, 3)).toBe(-1);
  });

  it('EAP packets: code, identifier, method type', () => {
    expect(dec(eapPacket(1, 1, 1))).toEqual({ version: 2, type: 0, length: 5, eap: { code: 1, id: 1, length: 5, type: 1 } });
    expect(dec(eapPacket(2, 4, 25, Buffer.alloc(10)))).toMatchObject({ eap: { code: 2, type: 25, length: 15 } });
    expect(dec(eapPacket(3, 9))).toMatchObject({ eap: { code: 3, id: 9, length: 4 } });
    expect(dec(eapPacket(4, 9)).eap!.type).toBeUndefined();
    expect(dec(eapol(1, Buffer.alloc(0), 1))).toEqual({ version: 1, type: 1, length: 0 });
  });

  it('EAPOL-Key: 4-way messages 1-4, group key messages, requests', () => {
    const msg = (info: number, kd?: Buffer) => dec(eapolKey(info, kd ? { keyData: kd } : {})).key!.message;
    expect(msg(KEY_INFO.M1)).toBe('M1');
    expect(msg(KEY_INFO.M2, Buffer.alloc(22))).toBe('M2');
    expect(msg(KEY_INFO.M3, Buffer.alloc(56))).toBe('M3');
    expect(msg(KEY_INFO.M4)).toBe('M4');
    expect(msg(KEY_INFO.G1, Buffer.alloc(40))).toBe('G1');
    expect(msg(KEY_INFO.G2)).toBe('G2');
    expect(msg(KEY_INFO.REQUEST)).toBe('request');
    // WPA(1) M4: no Secure bit, but no Key Data either
    expect(keyMessage(0x0109, 0)).toBe('M4');
    expect(keyMessage(0x0109, 22)).toBe('M2');
    expect(dec(eapolKey(KEY_INFO.M1, { replay: 7 })).key).toMatchObject({
      descriptor: 2,
      pairwise: true,
      replayCounter: 7,
      micLength: 16,
      keyDataLength: 0,
    });
  });

  it('EAPOL-Key with a 24-octet MIC (SHA-384 AKMs) is found from the lengths', () => {
    expect(dec(eapolKey(KEY_INFO.M2, { micLen: 24, keyData: Buffer.alloc(20) })).key).toMatchObject({
      message: 'M2',
      micLength: 24,
      keyDataLength: 20,
    });
  });

  it('trailing padding after the PDU is allowed; a PDU longer than the frame is not', () => {
    expect(dec(cat(eapPacket(3, 1), Buffer.alloc(10))).eap!.code).toBe(3);
    const short = eapPacket(1, 1, 1);
    expect(reason(() => decodeEapol(short, 8, short.length - 1))).toBe('eapol-overrun');
    expect(reason(() => decodeEapol(short, 8, 10))).toBe('eapol-short');
    expect(reason(() => dec(eapol(0, Buffer.from([1, 1, 0, 9, 1]))))).toBe('eap-length');
    expect(reason(() => dec(eapol(0, Buffer.from([1, 1]))))).toBe('eap-short');
    expect(reason(() => dec(eapol(3, Buffer.alloc(50))))).toBe('eapol-key-short');
    const k = Buffer.from(eapolKey(KEY_INFO.M1));
    k.writeUInt16BE(5, k.length - 2); // Key Data Length 5, no key data
    expect(reason(() => dec(k))).toBe('eapol-key-length-mismatch');
  });
});
