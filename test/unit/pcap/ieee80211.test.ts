import { describe, expect, it } from 'vitest';
import { decodeHeader, decodeManagement, FrameDecodeError, parseElements, type MgmtBody } from '../../../adapters/pcap/index.js';
import {
  assocReqBody,
  assocRespBody,
  authBody,
  beaconBody,
  cat,
  dataHeader,
  dsIe,
  extCapsIe,
  fteIe,
  htOpIe,
  ie,
  mac,
  mdeIe,
  mgmtHeader,
  nrIe,
  reassocReqBody,
  reasonBody,
  rmCapsIe,
  rsnIe,
  ssidIe,
  timeoutIe,
} from './build.js';

const STA = '02:00:00:00:02:00';
const AP1 = '02:00:00:00:00:00';
const AP2 = '02:00:00:00:01:00';
const reason = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e instanceof FrameDecodeError ? e.reason : `not a FrameDecodeError: ${String(e)}`;
  }
  return 'no error';
};
const mgmt = (subtype: number, da: string, sa: string, bssid: string, body: Buffer, o = {}): MgmtBody => {
  const f = cat(mgmtHeader(subtype, da, sa, bssid, o), body);
  return decodeManagement(decodeHeader(f), f);
};
const PMKID1 = '0d93e545afa75635cf9bf28051145523';
const PMKID2 = '6decf4fc7639eb5ff7ebada3f45ec9fe';

describe('802.11 header', () => {
  it('management: addresses, retry, sequence control', () => {
    const h = decodeHeader(mgmtHeader(11, AP2, STA, AP2, { retry: true, seq: 1234, frag: 1 }));
    expect(h).toMatchObject({
      type: 0,
      subtype: 11,
      retry: true,
      protected: false,
      addr1: AP2,
      addr2: STA,
      addr3: AP2,
      seqCtl: (1234 << 4) | 1,
      tid: -1,
      bodyOffset: 24,
    });
  });

  it('management with +HTC has a 4-octet HT Control before the body', () => {
    expect(decodeHeader(mgmtHeader(13, AP1, STA, AP1, { order: true })).bodyOffset).toBe(28);
  });

  it('data: QoS TID, four-address, HT Control and radiotap padding', () => {
    expect(decodeHeader(dataHeader(AP1, STA, 'ff:ff:ff:ff:ff:ff', { toDs: true }))).toMatchObject({
      type: 2,
      subtype: 0,
      tid: -1,
      bodyOffset: 24,
    });
    expect(decodeHeader(dataHeader(STA, AP1, AP1, { fromDs: true, tid: 6 }))).toMatchObject({ subtype: 8, tid: 6, bodyOffset: 26 });
    expect(decodeHeader(dataHeader(STA, AP1, AP1, { fromDs: true, tid: 6, order: true }))).toMatchObject({ bodyOffset: 30 });
    expect(decodeHeader(dataHeader(AP2, AP1, STA, { toDs: true, fromDs: true, a4: '02:00:00:00:09:00', tid: 0 }))).toMatchObject({
      addr4: '02:00:00:00:09:00',
      bodyOffset: 32,
    });
    // radiotap flag 0x20: the 26-octet QoS header is padded to 28
    expect(decodeHeader(cat(dataHeader(STA, AP1, AP1, { fromDs: true, tid: 0 }), Buffer.alloc(2)), true).bodyOffset).toBe(28);
  });

  it('control frames: ACK has one address, RTS two', () => {
    const ack = cat([0xd4, 0], [0, 0], mac(STA));
    expect(decodeHeader(ack)).toMatchObject({ type: 1, subtype: 13, addr1: STA, seqCtl: -1 });
    expect(decodeHeader(ack).addr2).toBeUndefined();
    const rts = cat([0xb4, 0], [0, 0], mac(AP1), mac(STA));
    expect(decodeHeader(rts)).toMatchObject({ subtype: 11, addr2: STA });
  });

  it('malformed headers', () => {
    expect(reason(() => decodeHeader(Buffer.alloc(9)))).toBe('dot11-short');
    expect(reason(() => decodeHeader(cat([0x81, 0], Buffer.alloc(22))))).toBe('dot11-version');
    expect(reason(() => decodeHeader(cat([0x0c, 0], Buffer.alloc(22))))).toBe('dot11-extension-type');
    expect(reason(() => decodeHeader(mgmtHeader(8, AP1, STA, AP1).subarray(0, 20)))).toBe('dot11-short');
    expect(reason(() => decodeHeader(cat([0xb4, 0], Buffer.alloc(10))))).toBe('dot11-ctrl-short');
    expect(reason(() => decodeHeader(dataHeader(STA, AP1, AP1, { tid: 0 }).subarray(0, 25)))).toBe('dot11-short');
  });
});

describe('management bodies', () => {
  it('beacon: SSID, DS channel, RSN, MDE, RM capabilities, BSS transition, HT primary channel', () => {
    const b = mgmt(
      8,
      'ff:ff:ff:ff:ff:ff',
      AP1,
      AP1,
      beaconBody(
        ssidIe('vlab-enterprise'),
        dsIe(1),
        rsnIe({ akms: [0x000fac03, 0x000fac01] }),
        mdeIe('a1b2', 1),
        rmCapsIe(),
        extCapsIe(),
        htOpIe(1),
      ),
    );
    expect(b).toMatchObject({
      kind: 'beacon',
      interval: 100,
      capability: 0x0411,
      elements: {
        ssid: 'vlab-enterprise',
        dsChannel: 1,
        htPrimaryChannel: 1,
        bssTransition: true,
        rsn: { version: 1, groupCipher: 0x000fac04, pairwise: [0x000fac04], akms: [0x000fac03, 0x000fac01], capabilities: 0, pmkids: [] },
        mde: { mdid: 'a1b2', ftOverDs: true, resourceRequest: false },
        rmCaps: {
          linkMeasurement: true,
          neighborReport: true,
          beaconPassive: true,
          beaconActive: true,
          beaconTable: true,
          apChannelReport: true,
        },
      },
    });
  });

  it('probe request and response', () => {
    expect(mgmt(4, 'ff:ff:ff:ff:ff:ff', STA, 'ff:ff:ff:ff:ff:ff', ssidIe(''))).toMatchObject({ kind: 'probe-req', elements: { ssid: '' } });
    expect(mgmt(5, STA, AP2, AP2, beaconBody(ssidIe('x'), dsIe(6)))).toMatchObject({
      kind: 'probe-resp',
      elements: { ssid: 'x', dsChannel: 6 },
    });
  });

  it('authentication: open, FT (with RSN/MDE/FTE), SAE (body not parsed as elements), status', () => {
    expect(mgmt(11, AP2, STA, AP2, authBody(0, 1, 0))).toMatchObject({ kind: 'auth', algorithm: 0, transaction: 1, status: 0 });
    const ft = mgmt(
      11,
      STA,
      AP2,
      AP2,
      authBody(2, 2, 0, rsnIe({ akms: [0x000fac03], pmkids: [PMKID1] }), mdeIe('a1b2'), fteIe({ r1kh: AP2, r0kh: 'ap1.vlab' })),
    );
    expect(ft).toMatchObject({
      kind: 'auth',
      algorithm: 2,
      transaction: 2,
      elements: { rsn: { pmkids: [PMKID1] }, mde: { mdid: 'a1b2' }, fte: { r1khId: AP2, r0khId: 'ap1.vlab', micLength: 16 } },
    });
    const sae = mgmt(11, AP2, STA, AP2, authBody(3, 1, 0, Buffer.from([19, 0, 0xff, 0xff, 0xff])));
    expect(sae).toMatchObject({ kind: 'auth', algorithm: 3 });
    expect((sae as { elements?: unknown }).elements).toBeUndefined();
    expect(mgmt(11, STA, AP2, AP2, authBody(2, 2, 53))).toMatchObject({ status: 53 });
  });

  it('association and reassociation requests: RSN with PMKID list, MDE, FTE, current AP', () => {
    expect(mgmt(0, AP1, STA, AP1, assocReqBody(ssidIe('s'), rsnIe({ pmkids: [PMKID1, PMKID2], gmgmt: 0x000fac06 })))).toMatchObject({
      kind: 'assoc-req',
      listenInterval: 10,
      elements: { rsn: { pmkids: [PMKID1, PMKID2], groupMgmtCipher: 0x000fac06 } },
    });
    expect(
      mgmt(2, AP2, STA, AP2, reassocReqBody(AP1, rsnIe({ akms: [0x000fac03], pmkids: [PMKID1] }), mdeIe('a1b2'), fteIe())),
    ).toMatchObject({
      kind: 'reassoc-req',
      currentAp: AP1,
      elements: { mde: { mdid: 'a1b2' }, fte: { anonce: '11'.repeat(32), snonce: '22'.repeat(32) } },
    });
  });

  it('association responses: status, AID, timeout interval', () => {
    expect(mgmt(1, STA, AP1, AP1, assocRespBody(0, 3))).toMatchObject({ kind: 'assoc-resp', status: 0, aid: 3 });
    expect(mgmt(3, STA, AP2, AP2, assocRespBody(30, 0, timeoutIe(3, 1000)))).toMatchObject({
      kind: 'reassoc-resp',
      status: 30,
      elements: { timeoutInterval: { type: 3, value: 1000 } },
    });
  });

  it('deauthentication and disassociation reasons; PMF-protected bodies stay opaque', () => {
    expect(mgmt(12, STA, AP1, AP1, reasonBody(7))).toEqual({ kind: 'deauth', reason: 7 });
    expect(mgmt(10, AP1, STA, AP1, reasonBody(8))).toEqual({ kind: 'disassoc', reason: 8 });
    expect(mgmt(12, STA, AP1, AP1, Buffer.alloc(20), { protected: true })).toEqual({ kind: 'opaque', subtype: 12, protected: true });
    expect(mgmt(6, STA, AP1, AP1, Buffer.alloc(4))).toEqual({ kind: 'opaque', subtype: 6, protected: false });
  });

  it('malformed bodies', () => {
    expect(reason(() => mgmt(8, STA, AP1, AP1, Buffer.alloc(11)))).toBe('mgmt-body-short');
    expect(reason(() => mgmt(11, STA, AP1, AP1, Buffer.alloc(5)))).toBe('mgmt-body-short');
    expect(reason(() => mgmt(2, STA, AP1, AP1, Buffer.alloc(9)))).toBe('mgmt-body-short');
    expect(reason(() => mgmt(12, STA, AP1, AP1, Buffer.alloc(1)))).toBe('mgmt-body-short');
  });
});

describe('information elements', () => {
  const els = (...parts: Buffer[]) => {
    const b = cat(...parts);
    return parseElements(b, 0, b.length);
  };

  it('RSN may stop after any whole field, never inside one', () => {
    expect(els(ie(48, [1, 0]))).toMatchObject({ rsn: { version: 1, pairwise: [], akms: [] } });
    expect(els(ie(48, [1, 0, 0, 0x0f, 0xac, 4]))).toMatchObject({ rsn: { groupCipher: 0x000fac04, pairwise: [] } });
    expect(reason(() => els(ie(48, [1, 0, 0, 0x0f])))).toBe('ie-rsn-truncated');
    expect(reason(() => els(ie(48, [1, 0, 0, 0x0f, 0xac, 4, 5, 0, 0, 0x0f, 0xac, 4])))).toBe('ie-rsn-overrun');
    expect(reason(() => els(ie(48, [1])))).toBe('ie-rsn-short');
    const pmkidOverrun = rsnIe({ pmkids: [PMKID1] });
    pmkidOverrun[pmkidOverrun.length - 17] = 2; // PMKID count 2, one present
    expect(reason(() => els(pmkidOverrun))).toBe('ie-rsn-overrun');
  });

  it('FTE: a 24-octet MIC for the SHA-384 FT AKM, and found by the subelements otherwise', () => {
    expect(els(rsnIe({ akms: [0x000fac0d] }), fteIe({ micLen: 24, r1kh: AP2 }))).toMatchObject({ fte: { micLength: 24, r1khId: AP2 } });
    expect(els(fteIe({ micLen: 24, r0kh: 'r0' }))).toMatchObject({ fte: { micLength: 24, r0khId: 'r0' } });
    expect(reason(() => els(ie(55, Buffer.alloc(60))))).toBe('ie-fte-short');
  });

  it('neighbour report: BSSID, BSSID information, class, channel, PHY, preference subelement', () => {
    // The DAWN example (docs/hostapd-interfaces.md, "Neighbor Report"): f09fc2f4ae2c, info 0x000009ef,
    // class 81, channel 9, PHY 7, wide-bandwidth subelement.
    const dawn = ie(52, Buffer.from('f09fc2f4ae2cef0900005109070603000900', 'hex'));
    expect(els(dawn).neighborReports).toEqual([
      { bssid: 'f0:9f:c2:f4:ae:2c', info: 0x9ef, opClass: 81, channel: 9, phyType: 7, subelements: Buffer.from('0603000900', 'hex') },
    ]);
    expect(els(nrIe(AP2, { pref: 200, channel: 11 })).neighborReports[0]).toMatchObject({
      bssid: AP2,
      channel: 11,
      subelements: Buffer.from([3, 1, 200]),
    });
    // The core's codec decides; its reasons come through as ie-<reason>.
    expect(reason(() => els(ie(52, Buffer.alloc(12))))).toBe('ie-nr-short');
    expect(reason(() => els(ie(52, cat(Buffer.alloc(13), [3, 5, 1]))))).toBe('ie-nr-subelement-overrun');
    expect(reason(() => els(ie(52, cat(Buffer.alloc(13), [3]))))).toBe('ie-nr-subelement-truncated');
    expect(reason(() => els(ie(52, cat(Buffer.alloc(13), [3, 0]))))).toBe('ie-nr-preference-short');
  });

  it('first occurrence wins; unknown elements are skipped', () => {
    expect(els(ie(221, [0, 0x50, 0xf2, 1]), ssidIe('a'), ssidIe('b'), dsIe(1), dsIe(11))).toMatchObject({ ssid: 'a', dsChannel: 1 });
  });

  it('lengths the standard fixes are checked', () => {
    expect(reason(() => els(ie(0, Buffer.alloc(33))))).toBe('ie-ssid-length');
    expect(reason(() => els(ie(3, [])))).toBe('ie-ds-length');
    expect(reason(() => els(ie(54, [1, 2])))).toBe('ie-mde-length');
    expect(reason(() => els(ie(70, [1, 2, 3])))).toBe('ie-rm-caps-length');
    expect(reason(() => els(ie(56, [1, 2])))).toBe('ie-timeout-length');
    expect(reason(() => els(ie(61, [])))).toBe('ie-ht-op-length');
    expect(reason(() => els(Buffer.from([0, 5, 1, 2])))).toBe('ie-overrun');
    expect(reason(() => els(Buffer.from([0])))).toBe('ie-header-overrun');
  });
});
