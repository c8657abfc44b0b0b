import { describe, expect, it } from 'vitest';
import { parseEvent } from '../../../adapters/hostapd/events.js';
import { parseUbusEvent } from '../../../adapters/hostapd/ubus-driver.js';
import {
  BeaconReportError,
  dbmToRcpi,
  parseBeaconReport,
  parseBeaconReportEvent,
  rcpiToDbm,
  reportedPhyType,
  rsniToDb,
} from '../../../daemon/neighbors/beacon-report.js';
import { reportBody, sub } from './helpers.js';

const STA = '02:00:00:00:00:41';
const reason = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    if (e instanceof BeaconReportError) return e.reason;
    throw e;
  }
  return 'parsed';
};

describe('Beacon report parser', () => {
  it('reads every fixed field of a hand-built report (documented offsets, little-endian)', () => {
    const hex = '7324' + '0807060504030201' + '6400' + '07' + '96' + '3c' + '020000000700' + '01' + '44332211';
    const r = parseBeaconReport(Buffer.from(hex, 'hex'));
    expect(r).toMatchObject({
      opClass: 115,
      channel: 36,
      startTsf: 0x0102030405060708n,
      durationTu: 100,
      frameInfo: 7,
      rcpi: 150,
      rsni: 60,
      bssid: '02:00:00:00:07:00',
      antennaId: 1,
      parentTsf: 0x11223344,
      subelements: [],
      signalDbm: -35,
      snrDb: 20,
      frameBody: null,
      last: null,
    });
    expect(reportedPhyType(r.frameInfo)).toBe(7);
  });

  it('RCPI ↔ dBm follows hostapd rssi_to_rcpi ((dBm + 110) × 2), 255 = not available', () => {
    expect(rcpiToDbm(0)).toBe(-110);
    expect(rcpiToDbm(220)).toBe(0);
    expect(rcpiToDbm(141)).toBe(-39.5);
    expect(rcpiToDbm(255)).toBeNull();
    expect(rcpiToDbm(221)).toBeNull();
    expect(dbmToRcpi(-30)).toBe(160);
    expect(dbmToRcpi(-200)).toBe(0);
    expect(dbmToRcpi(20)).toBe(220);
    expect(rsniToDb(255)).toBeNull();
    expect(rsniToDb(0)).toBe(-10);
    const r = parseBeaconReport(reportBody({ rcpi: 255 }));
    expect(r.signalDbm).toBeNull();
  });

  it('keeps subelements: frame body, fragment ID, last indication, vendor, unknown IDs', () => {
    const body = reportBody({
      subelements: Buffer.concat([
        sub(1, Buffer.concat([Buffer.alloc(8, 1), Buffer.from([0x64, 0x00, 0x11, 0x04]), Buffer.from('0003726d6d', 'hex')])),
        sub(2, [0x05, 0x81]),
        sub(164, [1]),
        sub(221, [0x00, 0x13, 0x74, 0x01]),
        sub(99, []),
      ]),
    });
    const r = parseBeaconReport(body);
    expect(r.subelements.map((s) => s.id)).toEqual([1, 2, 164, 221, 99]);
    expect(r.frameBody!.length).toBe(17);
    expect(r.last).toBe(true);
  });

  it('takes hostapd BEACON-RESP-RX lines through the event parser (hwsim REQ_BEACON table mode shape)', () => {
    const body = reportBody({
      opClass: 81,
      channel: 1,
      rcpi: dbmToRcpi(-30),
      rsni: 255,
      frameInfo: 0,
      bssid: '02:00:00:00:03:00',
      subelements: sub(164, [0]),
    });
    const ev = parseEvent(`<3>BEACON-RESP-RX ${STA} 1 00 ${body.toString('hex')}`, 'wlan0');
    expect(ev?.type).toBe('beacon-report');
    if (ev?.type !== 'beacon-report') throw new Error('unreachable');
    const r = parseBeaconReportEvent(ev.reportMode, ev.body);
    expect(r).toMatchObject({ opClass: 81, channel: 1, signalDbm: -30, bssid: '02:00:00:00:03:00', last: false });
  });

  it('rejects what hostapd prints for the hwsim test_rrm_rep_parse_proto frames', () => {
    // Frame 0501012703ffff05: a Measurement Report element of length 3, mode ff → an empty body.
    const empty = parseEvent(`<3>BEACON-RESP-RX ${STA} 1 ff `, 'w');
    // Frame 05010127ffffff05 + 252 × 00: mode ff and a body of 252 zero octets.
    const zeros = parseEvent(`<3>BEACON-RESP-RX ${STA} 1 ff ${'00'.repeat(252)}`, 'w');
    for (const ev of [empty, zeros]) {
      if (ev?.type !== 'beacon-report') throw new Error('expected a beacon-report event');
      expect(reason(() => parseBeaconReportEvent(ev.reportMode, ev.body))).toBe('late');
    }
    // Without the mode check the zero body still fails: channel 0 is a wildcard.
    expect(reason(() => parseBeaconReport(Buffer.alloc(252)))).toBe('bad-channel');
    // Incapable (02) and refused (04) answers (hwsim reporting-info and unknown-opclass tests) carry no body.
    expect(reason(() => parseBeaconReportEvent(0x02, Buffer.alloc(0)))).toBe('incapable');
    expect(reason(() => parseBeaconReportEvent(0x04, Buffer.alloc(0)))).toBe('refused');
    // "No matching BSS" (hwsim passive_no_match): mode 00 and an empty body.
    expect(reason(() => parseBeaconReportEvent(0, Buffer.alloc(0)))).toBe('empty');
  });

  it('reads the body the ubus adapter rebuilds from OpenWrt beacon-report fields', () => {
    const line = `{ "beacon-report": {"address":"${STA}","op-class":115,"channel":36,"start-time":123456789012,"duration":100,"report-info":2,"rcpi":150,"rsni":255,"bssid":"02:00:00:00:07:00","antenna-id":0,"parent-tsf":4660} }`;
    const ev = parseUbusEvent(line, 'wlan0');
    if (ev?.type !== 'beacon-report') throw new Error('expected a beacon-report event');
    expect(parseBeaconReportEvent(ev.reportMode, ev.body)).toMatchObject({
      opClass: 115,
      channel: 36,
      startTsf: 123456789012n,
      signalDbm: -35,
      parentTsf: 4660,
      bssid: '02:00:00:00:07:00',
    });
  });

  const malformed: [string, Buffer, string][] = [
    ['empty', Buffer.alloc(0), 'empty'],
    ['25 octets', reportBody().subarray(0, 25), 'truncated'],
    ['one octet', Buffer.from([81]), 'truncated'],
    ['253 octets', Buffer.concat([reportBody(), sub(221, Buffer.alloc(225, 1))]), 'too-long'],
    ['channel 0', reportBody({ channel: 0 }), 'bad-channel'],
    ['channel 255', reportBody({ channel: 255 }), 'bad-channel'],
    ['RCPI 221 (reserved)', reportBody({ rcpi: 221 }), 'bad-rcpi'],
    ['RCPI 254 (reserved)', reportBody({ rcpi: 254 }), 'bad-rcpi'],
    ['broadcast BSSID', reportBody({ bssid: 'ff:ff:ff:ff:ff:ff' }), 'bad-bssid'],
    ['group BSSID', reportBody({ bssid: '01:00:5e:00:00:01' }), 'bad-bssid'],
    ['zero BSSID', reportBody({ bssid: '00:00:00:00:00:00' }), 'bad-bssid'],
    ['lone subelement octet', Buffer.concat([reportBody(), Buffer.from([1])]), 'bad-subelement'],
    ['subelement overrun', Buffer.concat([reportBody(), Buffer.from([1, 20, 0, 0])]), 'bad-subelement'],
    ['frame body of 11 octets', Buffer.concat([reportBody(), sub(1, Buffer.alloc(11))]), 'bad-subelement'],
    ['fragment ID of 1 octet', Buffer.concat([reportBody(), sub(2, [1])]), 'bad-subelement'],
    ['last indication 2', Buffer.concat([reportBody(), sub(164, [2])]), 'bad-subelement'],
    ['last indication twice', Buffer.concat([reportBody(), sub(164, [0]), sub(164, [1])]), 'bad-subelement'],
    ['vendor without OUI', Buffer.concat([reportBody(), sub(221, [0, 1])]), 'bad-subelement'],
  ];
  it.each(malformed)('rejects %s with a reason', (_what, body, why) => {
    expect(reason(() => parseBeaconReport(body))).toBe(why);
  });

  it('accepts the largest report an element can carry (252 octets)', () => {
    const r = parseBeaconReport(Buffer.concat([reportBody(), sub(221, Buffer.alloc(224, 1))]));
    expect(r.subelements[0]!.data.length).toBe(224);
  });

  it('late bit wins over a well-formed body', () => {
    expect(reason(() => parseBeaconReportEvent(0x01, reportBody()))).toBe('late');
    expect(parseBeaconReportEvent(0x00, reportBody()).bssid).toBe('02:00:00:00:07:00');
    // Bits 3..7 of the mode are reserved: they do not void the measurement.
    expect(parseBeaconReportEvent(0x08, reportBody()).channel).toBe(36);
  });
});
