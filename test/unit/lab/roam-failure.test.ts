import { describe, expect, it } from 'vitest';
import { analyseRoams, ftFailureOf } from '../../../hw/vlab/roams.js';
import { checkExpectations } from '../../../hw/vlab/expect.js';
import { readPcap, type WifiFrame } from '../../../hw/vlab/pcap.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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

  it('a station that gave up before the first answer: the requests and how late the answer was', () => {
    // Seen with kms-pull-race-slow: three FT Authentications 100 ms apart, the AP's answer 346 ms after the first.
    const frames = [
      f(1000, 'auth', STA, AP, { authAlg: 2, authSeq: 1, status: 0 }),
      f(1108, 'auth', STA, AP, { authAlg: 2, authSeq: 1, status: 0 }),
      f(1213, 'auth', STA, AP, { authAlg: 2, authSeq: 1, status: 0 }),
      f(1346, 'auth', AP, STA, { authAlg: 2, authSeq: 2, status: 0 }),
    ];
    expect(ftFailureOf(frames, STA)).toBe(
      "FT Authentication given up by the station: it sent 3 requests and did not reassociate; the AP's first answer came 346 ms after the first",
    );
    expect(ftFailureOf(frames.slice(0, 3), STA)).toMatch(/the AP never answered$/);
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

// Captured in the lab (kms-ft under a CPU hog, Debian's 2.10): sta1's FT roam to ap4, which had to
// PULL the key. ap4 answered the FT Authentication 166 ms after it, the station had resent it at
// 113 ms, and ap4 refused the Reassociation that used the first answer's ANonce.
describe('a real FT ANonce race (captured frames)', () => {
  it('a roam step that never connected still gets its cause from the frames', () => {
    const frames = readPcap(readFileSync(join(import.meta.dirname, '../../fixtures/pcap/kms-ft-pull-anonce-race.pcap')));
    const first = frames.find((x) => x.kind === 'auth' && x.src === '02:00:00:00:04:00')!;
    const attempt: RoamRecord = {
      station: 'sta1',
      stationMac: '02:00:00:00:04:00',
      from: 'ap2',
      fromBssid: '02:00:00:00:01:00',
      to: 'ap4',
      toBssid: '02:00:00:00:03:00',
      via: 'wpa_cli',
      requestedAt: first.at - 50,
      // no connectedAt: the step timed out
    };
    const [row] = analyseRoams([attempt], frames);
    expect(row).toMatchObject({ method: 'ft', requestToConnectedMs: null });
    expect(row!.ftFailure).toMatch(/^FT ANonce race: the station sent 2 FT Authentication requests/);
  });
});
