import { describe, expect, it } from 'vitest';
import { parseElements } from '../../../adapters/pcap/elements.js';
import { bandChannels, buildBeaconRequest } from '../../../daemon/neighbors/beacon-request.js';
import {
  BSSID_INFO,
  bssidInfo,
  bssidInfoFlags,
  buildNeighborReport,
  buildNeighborReportElement,
  decodeNeighborReport,
  neighborEntryFrom,
  opClassForFreq,
  PHY_TYPE,
} from '../../../daemon/neighbors/neighbor-report.js';

describe('Beacon request builder', () => {
  it('builds the hwsim table-mode example 51000000000002ffffffffffff', () => {
    expect(buildBeaconRequest({ opClass: 81, channel: 0, mode: 'table' }).toString('hex')).toBe('51000000000002ffffffffffff');
  });

  it('builds the hwsim passive request 510b0000640000ffffffffffff and active 51000000640001ffffffffffff', () => {
    expect(buildBeaconRequest({ opClass: 81, channel: 11, mode: 'passive', durationTu: 100 }).toString('hex')).toBe(
      '510b0000640000ffffffffffff',
    );
    expect(buildBeaconRequest({ opClass: 81, channel: 0, mode: 'active' }).toString('hex')).toBe('51000000640001ffffffffffff');
  });

  it('adds the subelements hwsim uses: SSID, reporting detail, request, AP channel report, last indication', () => {
    const hex = buildBeaconRequest({
      opClass: 81,
      channel: 255,
      mode: 'active',
      durationTu: 100,
      ssid: 'another',
      reportingDetail: 1,
      requestIds: [0, 1, 6],
      apChannelReports: [{ opClass: 81, channels: [1, 11] }],
      lastIndication: true,
      bssid: '02:00:00:00:01:00',
    }).toString('hex');
    expect(hex).toBe(
      `51ff00006400010200000001000007${Buffer.from('another').toString('hex')}020101` + '0a03000106' + '330351010b' + 'a40101',
    );
  });

  it('refuses values the frame cannot carry', () => {
    expect(() => buildBeaconRequest({ opClass: 0, channel: 0, mode: 'table' })).toThrow(RangeError);
    expect(() => buildBeaconRequest({ opClass: 81, channel: 256, mode: 'table' })).toThrow(RangeError);
    expect(() => buildBeaconRequest({ opClass: 81, channel: 0, mode: 'table', ssid: 'x'.repeat(33) })).toThrow(RangeError);
    expect(() => buildBeaconRequest({ opClass: 81, channel: 0, mode: 'table', requestIds: [0] })).toThrow(/reportingDetail 1/);
    expect(() => buildBeaconRequest({ opClass: 81, channel: 0, mode: 'bogus' as 'table' })).toThrow(RangeError);
  });

  it('asks 5 GHz stations about the whole band through AP channel reports', () => {
    const b = bandChannels(128);
    expect(b.channel).toBe(255);
    expect(b.apChannelReports!.flatMap((r) => r.channels)).toContain(149);
    expect(bandChannels(81)).toEqual({ opClass: 81, channel: 0 });
    expect(buildBeaconRequest({ ...b, mode: 'active' }).length).toBe(13 + (3 + 4) + (3 + 4) + (3 + 12) + (3 + 5));
  });
});

describe('Neighbor report builder', () => {
  // DAWN documentation example (docs/hostapd-interfaces.md, "Neighbor Report"): hostapd's own report
  // of an HT AP on channel 9.
  const DAWN = 'f09fc2f4ae2cef0900005109070603000900';

  it('reproduces the DAWN example bit for bit from its flags', () => {
    const info = bssidInfo({ security: true, keyScope: true, qos: true, apsd: true, rm: true, delayedBa: true, ht: true });
    expect(info).toBe(0x000009ef);
    const nr = {
      bssid: 'f0:9f:c2:f4:ae:2c',
      info,
      opClass: 81,
      channel: 9,
      phyType: PHY_TYPE.HT,
      subelements: Buffer.from('0603000900', 'hex'),
    };
    expect(buildNeighborReport(nr).toString('hex')).toBe(DAWN);
    expect(decodeNeighborReport(Buffer.from(DAWN, 'hex'))).toEqual(nr);
    expect(bssidInfoFlags(0x9ef)).toEqual({
      reachability: 3,
      security: true,
      keyScope: true,
      qos: true,
      apsd: true,
      rm: true,
      delayedBa: true,
      ht: true,
    });
  });

  it('sets the Mobility Domain bit (b10) that hostapd leaves clear, keeping every other bit and subelement', () => {
    const own = decodeNeighborReport(Buffer.from(DAWN, 'hex'));
    expect(own.info & BSSID_INFO.MOBILITY_DOMAIN).toBe(0);
    const entry = neighborEntryFrom(own, { sameMobilityDomain: true, sharedKeys: true });
    expect(entry.info).toBe(0x00000def);
    const hex = buildNeighborReport(entry).toString('hex');
    expect(hex).toBe('f09fc2f4ae2cef0d00005109070603000900');
    // The capture decoder of adapters/pcap reads the same element through the same codec and sees b10.
    const frame = buildNeighborReportElement(entry);
    expect(parseElements(frame, 0, frame.length).neighborReports).toEqual([entry]);
  });

  it('clears MD and key scope for a neighbour outside the mobility domain, and adds a candidate preference', () => {
    const own = decodeNeighborReport(Buffer.from(DAWN, 'hex'));
    const entry = neighborEntryFrom(
      { ...own, info: own.info | BSSID_INFO.MOBILITY_DOMAIN },
      { sameMobilityDomain: false, sharedKeys: false, preference: 200 },
    );
    expect(entry.info).toBe(0x9ef & ~BSSID_INFO.KEY_SCOPE);
    expect(entry.subelements.toString('hex')).toBe('0301c80603000900');
    // Reachability is forced to 3 (reachable): hostapd's own entry already says so, others may not.
    expect(neighborEntryFrom({ ...own, info: 0 }, { sameMobilityDomain: true, sharedKeys: true }).info).toBe(
      BSSID_INFO.REACHABLE | BSSID_INFO.SECURITY | BSSID_INFO.KEY_SCOPE | BSSID_INFO.MOBILITY_DOMAIN,
    );
  });

  it('reads the hwsim nr 00112233445500000000510107', () => {
    expect(decodeNeighborReport(Buffer.from('00112233445500000000510107', 'hex'))).toMatchObject({
      bssid: '00:11:22:33:44:55',
      info: 0,
      opClass: 81,
      channel: 1,
      phyType: 7,
    });
  });

  it("rejects bad values in the commands (the codec's own cases are in neighbor-report-codec.test.ts)", () => {
    expect(() => buildNeighborReport({ bssid: 'zz', info: 0, opClass: 81, channel: 1, phyType: 7, subelements: Buffer.alloc(0) })).toThrow(
      RangeError,
    );
  });

  it('derives operating classes from monitor frequencies', () => {
    expect([2412, 2484, 5180, 5260, 5500, 5745, 5955, 4000].map(opClassForFreq)).toEqual([81, 82, 115, 118, 121, 125, 131, null]);
  });
});
