// Fuzz test of the Beacon report parser. Properties:
// 1. nothing but BeaconReportError escapes, for any input (random, mutated, valid);
// 2. whatever parses is well-formed (canonical unicast BSSID, channel 1..254, RCPI ≤ 220 or 255,
//    subelements tiling the tail exactly);
// 3. freshly generated valid reports parse to exactly what was generated.
// Reproduce with NEIGHBORS_FUZZ_SEED=<seed>; NEIGHBORS_FUZZ_ITERATIONS changes the count.
import { describe, expect, it } from 'vitest';
import {
  BeaconReportError,
  parseBeaconReport,
  parseBeaconReportEvent,
  type BeaconReport,
} from '../../../daemon/neighbors/beacon-report.js';
import { prng, reportBody, sub } from './helpers.js';

const SEED = Number(process.env.NEIGHBORS_FUZZ_SEED ?? 0xbeac0);
const ITERATIONS = Number(process.env.NEIGHBORS_FUZZ_ITERATIONS ?? 120_000);

function wellFormed(r: BeaconReport, len: number): void {
  expect(r.bssid).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
  expect(parseInt(r.bssid.slice(0, 2), 16) & 1).toBe(0);
  expect(r.channel).toBeGreaterThanOrEqual(1);
  expect(r.channel).toBeLessThanOrEqual(254);
  expect(r.rcpi <= 220 || r.rcpi === 255).toBe(true);
  expect(r.signalDbm === null || (r.signalDbm >= -110 && r.signalDbm <= 0)).toBe(true);
  expect(26 + r.subelements.reduce((n, s) => n + 2 + s.data.length, 0)).toBe(len);
}

describe('Beacon report parser fuzz', () => {
  it(`survives ${ITERATIONS} generated inputs (seed ${SEED})`, () => {
    const rnd = prng(SEED);
    const tally = { parsed: 0, rejected: {} as Record<string, number>, exact: 0 };
    for (let i = 0; i < ITERATIONS; i++) {
      const kind = i % 4;
      let input: Buffer;
      let expected: { fields: Parameters<typeof reportBody>[0]; subs: number } | null = null;
      if (kind === 0) {
        input = rnd.bytes(rnd.int(300)); // noise, any length
      } else {
        const fields = {
          opClass: rnd.int(256),
          channel: 1 + rnd.int(254),
          startTsf: (BigInt(rnd.u32()) << 32n) | BigInt(rnd.u32()),
          durationTu: rnd.int(65536),
          frameInfo: rnd.int(256),
          rcpi: rnd.int(3) === 0 ? 255 : rnd.int(221),
          rsni: rnd.int(256),
          bssid: `02:${rnd
            .bytes(5)
            .toString('hex')
            .replace(/(..)(?!$)/g, '$1:')}`,
          antennaId: rnd.int(256),
          parentTsf: rnd.u32(),
        };
        const subs: Buffer[] = [];
        let room = 252 - 26;
        for (let n = rnd.int(4); n > 0; n--) {
          const id = [1, 2, 164, 221, 0, 77][rnd.int(6)]!;
          const len = id === 1 ? 12 + rnd.int(40) : id === 2 ? 2 : id === 164 ? 1 : id === 221 ? 3 + rnd.int(10) : rnd.int(20);
          if (len + 2 > room || ((id === 2 || id === 164) && subs.some((s) => s[0] === id))) continue;
          subs.push(sub(id, id === 164 ? [rnd.int(2)] : rnd.bytes(len)));
          room -= len + 2;
        }
        input = reportBody({ ...fields, subelements: Buffer.concat(subs) });
        if (kind === 1) expected = { fields, subs: subs.length };
        else if (kind === 2) {
          // One to four mutations: flip bits, cut, extend, or overwrite a length octet.
          for (let m = 1 + rnd.int(4); m > 0; m--) {
            const op = rnd.int(4);
            if (op === 0 && input.length) input[rnd.int(input.length)]! ^= 1 << rnd.int(8);
            else if (op === 1) input = input.subarray(0, rnd.int(input.length + 1));
            else if (op === 2) input = Buffer.concat([input, rnd.bytes(1 + rnd.int(30))]);
            else if (input.length > 27) input[26 + rnd.int(input.length - 26)] = rnd.int(256);
          }
        } else {
          input = Buffer.from(input); // kind 3: valid body through the event path with a random mode
        }
      }
      try {
        const r = kind === 3 ? parseBeaconReportEvent(rnd.int(8), input) : parseBeaconReport(input);
        tally.parsed++;
        wellFormed(r, input.length);
        if (expected) {
          const f = expected.fields!;
          expect(r).toMatchObject({
            opClass: f.opClass,
            channel: f.channel,
            startTsf: f.startTsf,
            durationTu: f.durationTu,
            frameInfo: f.frameInfo,
            rcpi: f.rcpi,
            rsni: f.rsni,
            bssid: f.bssid,
            antennaId: f.antennaId,
            parentTsf: f.parentTsf,
          });
          expect(r.subelements.length).toBe(expected.subs);
          tally.exact++;
        }
      } catch (e) {
        if (!(e instanceof BeaconReportError)) throw new Error(`input ${input.toString('hex')} threw ${(e as Error).stack}`);
        if (expected) throw new Error(`valid input ${input.toString('hex')} rejected: ${e.message}`);
        tally.rejected[e.reason] = (tally.rejected[e.reason] ?? 0) + 1;
      }
    }
    // Every rejection reason is exercised, and valid inputs all round-tripped.
    expect(Object.keys(tally.rejected).sort()).toEqual([
      'bad-bssid',
      'bad-channel',
      'bad-rcpi',
      'bad-subelement',
      'empty',
      'incapable',
      'late',
      'refused',
      'too-long',
      'truncated',
    ]);
    expect(tally.exact).toBe(ITERATIONS / 4);
    expect(tally.parsed + Object.values(tally.rejected).reduce((a, b) => a + b, 0)).toBe(ITERATIONS);
  });
});
