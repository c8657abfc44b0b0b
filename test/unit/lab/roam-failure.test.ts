import { describe, expect, it } from 'vitest';
import { analyseRoams, ftFailureOf } from '../../../hw/vlab/roams.js';
import { checkExpectations } from '../../../hw/vlab/expect.js';
import type { WifiFrame } from '../../../hw/vlab/pcap.js';
import type { RoamRecord } from '../../../hw/vlab/job.js';

// The lab names the cause of an FT roam that did not complete, from the frames alone (so on any
// hostapd version): above all the ANonce race of a slow FT Authentication answer.

const STA = '02:00:00:00:05:00';
const AP = '02:00:00:00:03:00';
const roam: RoamRecord = {
  station: 'sta1',
  stationMac: STA,
  from: 'ap2',
  fromBssid: '02:00:00:00:01:00',
  to: 'ap4',
  toBssid: AP,
  via: 'wpa_cli',
  requestedAt: 1000,
};
const f = (at: number, kind: WifiFrame['kind'], src: string, dst: string, extra: Partial<WifiFrame> = {}): WifiFrame => ({
  at,
  kind,
  src,
  dst,
  ...extra,
});

const raceFrames: WifiFrame[] = [
  f(1001, 'auth', STA, AP, { authAlg: 2, authSeq: 1, status: 0 }),
  f(1101, 'auth', STA, AP, { authAlg: 2, authSeq: 1, status: 0 }), // the station's retransmission
  f(1102, 'auth', AP, STA, { authAlg: 2, authSeq: 2, status: 0 }),
  f(1103, 'auth', AP, STA, { authAlg: 2, authSeq: 2, status: 0 }), // answered again, fresh ANonce
  f(1110, 'reassoc-req', STA, AP),
  f(1111, 'reassoc-resp', AP, STA, { status: 55 }),
  f(1200, 'auth', STA, AP, { authAlg: 0, authSeq: 1, status: 0 }),
  f(1300, 'eap', AP, STA),
  f(1310, 'eap', STA, AP),
  f(1400, 'eapol-key', AP, STA),
];

describe('FT roam failures named from the frames', () => {
  it('a retransmitted FT Authentication and status 55 is the ANonce race', () => {
    expect(ftFailureOf(raceFrames, STA)).toMatch(/^FT ANonce race: the station sent 2 FT Authentication requests.*status 55/);
  });

  it('other refusals say their status; a clean FT roam says nothing', () => {
    expect(ftFailureOf([raceFrames[0]!, raceFrames[2]!, f(1110, 'reassoc-resp', AP, STA, { status: 53 })], STA)).toBe(
      'the AP refused the FT Reassociation with status 53',
    );
    expect(ftFailureOf([raceFrames[0]!, f(1102, 'auth', AP, STA, { authAlg: 2, authSeq: 2, status: 53 })], STA)).toBe(
      'the AP refused the FT Authentication with status 53',
    );
    expect(ftFailureOf([raceFrames[0]!, raceFrames[2]!, f(1110, 'reassoc-resp', AP, STA, { status: 0 })], STA)).toBeNull();
  });

  it('the failed expectation quotes the cause, and still fails', () => {
    const rows = analyseRoams([roam], raceFrames);
    expect(rows[0]).toMatchObject({ method: 'ft', eapFrames: 2 });
    const problems = checkExpectations([{ station: 'sta1', from: 'ap2', to: 'ap4', method: 'ft', eapFrames: 0 }], rows);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/2 EAP frames, expected 0 \(FT ANonce race/);
  });
});
