import { describe, expect, it } from 'vitest';
import { parseElements } from '../../../adapters/pcap/elements.js';
import { FrameDecodeError } from '../../../adapters/pcap/errors.js';
import {
  buildNeighborReport,
  buildNeighborReportElement,
  candidatePreference,
  decodeNeighborReport,
  EID_NEIGHBOR_REPORT,
  neighborReportLength,
  NeighborReportError,
  neighborReportsIn,
  subelementsOf,
  type NeighborReport,
  type NeighborReportReason,
} from '../../../daemon/neighbors/neighbor-report.js';
import { neighborReportFromLog } from '../../../hw/vlab/guest/steps.js';

// The one 802.11k Neighbor Report codec (daemon/neighbors/neighbor-report.ts), tested the way
// dns-packet tests its records: every value encodes to the length it announces and decodes back to
// itself, every valid body re-encodes to the same octets, and every malformed input is refused
// with its own reason, never by an exception of another kind. The capture decoder (adapters/pcap)
// and the lab's log reader go through it, so they are checked against the same cases.

const sub = (id: number, ...body: number[]) => Buffer.from([id, body.length, ...body]);
const nr = (o: Partial<NeighborReport> = {}): NeighborReport => ({
  bssid: '02:00:00:00:01:00',
  info: 0x9ef,
  opClass: 115,
  channel: 36,
  phyType: 9,
  subelements: Buffer.alloc(0),
  ...o,
});

const VALID: [string, NeighborReport][] = [
  ['no subelements', nr()],
  [
    "DAWN example: hostapd's own HT report with a wide bandwidth subelement",
    nr({ bssid: 'f0:9f:c2:f4:ae:2c', opClass: 81, channel: 9, phyType: 7, subelements: sub(6, 0, 9, 0) }),
  ],
  ['candidate preference then wide bandwidth', nr({ subelements: Buffer.concat([sub(3, 200), sub(6, 1, 42, 0)]) })],
  ['preference 0 (excluded candidate)', nr({ subelements: sub(3, 0) })],
  ['a longer wide bandwidth subelement (later amendments may extend it)', nr({ subelements: sub(6, 1, 42, 0, 7) })],
  [
    'unknown and empty subelements kept as given',
    nr({ subelements: Buffer.concat([sub(221), sub(45, ...new Array(26).fill(1)), sub(255, 1)]) }),
  ],
  ['every field at its largest', nr({ bssid: 'ff:ff:ff:ff:ff:ff', info: 0xffffffff, opClass: 255, channel: 255, phyType: 255 })],
  ['every field at zero', nr({ bssid: '00:00:00:00:00:00', info: 0, opClass: 0, channel: 0, phyType: 0 })],
  ['the longest body an element holds (255 octets)', nr({ subelements: Buffer.concat([sub(221, ...new Array(240).fill(0xaa))]) })],
];

/** What the codec must answer for `body`, worked out here independently of it. */
function expectedReason(body: Uint8Array): NeighborReportReason | null {
  if (body.length < 13) return 'nr-short';
  if (body.length > 255) return 'nr-long';
  let p = 13;
  while (p < body.length) {
    if (p + 1 >= body.length) return 'nr-subelement-truncated';
    const id = body[p]!;
    const len = body[p + 1]!;
    if (p + 2 + len > body.length) return 'nr-subelement-overrun';
    if (id === 3 && len < 1) return 'nr-preference-short';
    if (id === 6 && len < 3) return 'nr-wide-bandwidth-short';
    p += 2 + len;
  }
  return null;
}

function reasonOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof NeighborReportError) return e.reason;
    if (e instanceof FrameDecodeError) return e.reason;
    throw e;
  }
  return 'accepted';
}

describe('Neighbor Report codec: round trips', () => {
  for (const [name, value] of VALID) {
    it(name, () => {
      const body = buildNeighborReport(value);
      expect(body.length).toBe(neighborReportLength(value));
      const back = decodeNeighborReport(body);
      expect(back).toEqual(value);
      expect(buildNeighborReport(back).equals(body)).toBe(true);
      // As an element, through the element walker, the capture decoder and a BTM-style candidate list.
      const el = buildNeighborReportElement(value);
      expect([el[0], el[1]]).toEqual([EID_NEIGHBOR_REPORT, body.length]);
      expect(neighborReportsIn(el)).toEqual([value]);
      expect(parseElements(el, 0, el.length).neighborReports).toEqual([value]);
      const run = Buffer.concat([sub(0, 0x61), el, sub(127, 0, 0, 8), el]);
      expect(neighborReportsIn(run)).toEqual([value, value]);
      expect(parseElements(run, 0, run.length).neighborReports).toEqual([value, value]);
    });
  }

  it('decoding copies: the report does not change when the input buffer does', () => {
    const body = buildNeighborReport(VALID[2]![1]);
    const back = decodeNeighborReport(body);
    body.fill(0);
    expect(back).toEqual(VALID[2]![1]);
  });

  it('decodes a body that is a view into a larger buffer (a frame being walked)', () => {
    const body = buildNeighborReport(VALID[1]![1]);
    const frame = Buffer.concat([Buffer.from([1, 2, 3]), body, Buffer.from([4])]);
    expect(decodeNeighborReport(new Uint8Array(frame.buffer, frame.byteOffset + 3, body.length))).toEqual(VALID[1]![1]);
  });

  it('reads the subelements and the candidate preference', () => {
    const v = VALID[2]![1];
    expect(subelementsOf(v)).toEqual([
      { id: 3, body: Buffer.from([200]) },
      { id: 6, body: Buffer.from([1, 42, 0]) },
    ]);
    expect(candidatePreference(v)).toBe(200);
    expect(candidatePreference(VALID[0]![1])).toBeUndefined();
    expect(candidatePreference(VALID[3]![1])).toBe(0);
  });
});

describe('Neighbor Report codec: every malformed body refused with its reason', () => {
  it('every cut of every valid body: too short, a truncated subelement header, or an overrun body', () => {
    for (const [, value] of VALID) {
      const body = buildNeighborReport(value);
      for (let n = 0; n < body.length; n++) {
        const cut = body.subarray(0, n);
        const want = expectedReason(cut);
        if (want === null) {
          // A cut on a subelement boundary is a valid, shorter report, and re-encodes to itself.
          expect(buildNeighborReport(decodeNeighborReport(cut)).equals(cut), `${n} octets`).toBe(true);
        } else {
          expect(
            reasonOf(() => decodeNeighborReport(cut)),
            `${n} of ${body.length} octets`,
          ).toBe(want);
          if (want !== 'nr-long')
            expect(
              reasonOf(() => parseElements(Buffer.concat([Buffer.from([52, n]), cut]), 0, n + 2)),
              `${n} octets`,
            ).toBe(`ie-${want}`);
        }
      }
    }
  });

  it('every body length from 0 to 300 with well-formed filler', () => {
    for (let n = 0; n <= 300; n++) {
      // 13 fixed octets, then unknown subelements of 0 octets (2 octets each) and one odd octet if left.
      const body = Buffer.alloc(n, 221);
      for (let p = 14; p < n; p += 2) body[p] = 0;
      const want = expectedReason(body);
      expect(
        reasonOf(() => decodeNeighborReport(body)),
        `${n} octets`,
      ).toBe(want ?? 'accepted');
    }
    expect(reasonOf(() => decodeNeighborReport(Buffer.alloc(256)))).toBe('nr-long');
  });

  it('candidate preference and wide bandwidth subelements too short to read', () => {
    const fixed = Buffer.alloc(13);
    expect(reasonOf(() => decodeNeighborReport(Buffer.concat([fixed, sub(3)])))).toBe('nr-preference-short');
    for (const body of [[], [1], [1, 42]]) {
      expect(reasonOf(() => decodeNeighborReport(Buffer.concat([fixed, sub(6, ...body)])))).toBe('nr-wide-bandwidth-short');
    }
    expect(reasonOf(() => decodeNeighborReport(Buffer.concat([fixed, sub(6, 1, 42, 0)])))).toBe('accepted');
    // After a valid one, still checked.
    expect(reasonOf(() => decodeNeighborReport(Buffer.concat([fixed, sub(3, 1), sub(3)])))).toBe('nr-preference-short');
  });

  it('random bodies: the codec agrees with the rules above on each, and what it accepts re-encodes to itself', () => {
    let seed = 0x5eed;
    const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
    for (let i = 0; i < 5000; i++) {
      const body = Buffer.from(Array.from({ length: 10 + rnd(40) }, () => (rnd(4) === 0 ? [3, 6, 0, 1, 2][rnd(5)]! : rnd(256))));
      const want = expectedReason(body);
      expect(
        reasonOf(() => decodeNeighborReport(body)),
        body.toString('hex'),
      ).toBe(want ?? 'accepted');
      if (want === null) expect(buildNeighborReport(decodeNeighborReport(body)).equals(body)).toBe(true);
    }
  });
});

describe('Neighbor Report codec: encoding refuses what it could not decode', () => {
  const cases: [string, Partial<NeighborReport>, NeighborReportReason][] = [
    ['a BSSID that is not a MAC', { bssid: 'zz' }, 'nr-bad-bssid'],
    ['a 5-octet BSSID', { bssid: '02:00:00:00:01' }, 'nr-bad-bssid'],
    ['negative BSSID information', { info: -1 }, 'nr-bad-field'],
    ['BSSID information past 32 bits', { info: 2 ** 32 }, 'nr-bad-field'],
    ['fractional BSSID information', { info: 1.5 }, 'nr-bad-field'],
    ['operating class 256', { opClass: 256 }, 'nr-bad-field'],
    ['channel -1', { channel: -1 }, 'nr-bad-field'],
    ['PHY type 7.5', { phyType: 7.5 }, 'nr-bad-field'],
    ['a body of 256 octets', { subelements: sub(221, ...new Array(241).fill(0)) }, 'nr-long'],
    ['subelements ending in half a header', { subelements: Buffer.from([3]) }, 'nr-subelement-truncated'],
    ['a subelement longer than what follows', { subelements: Buffer.from([6, 3, 1]) }, 'nr-subelement-overrun'],
    ['an empty candidate preference', { subelements: sub(3) }, 'nr-preference-short'],
    ['a 2-octet wide bandwidth channel', { subelements: sub(6, 1, 42) }, 'nr-wide-bandwidth-short'],
  ];
  for (const [name, over, reason] of cases) {
    it(name, () => {
      expect(reasonOf(() => buildNeighborReport(nr(over)))).toBe(reason);
      expect(() => buildNeighborReport(nr(over))).toThrow(RangeError);
    });
  }
});

describe('Neighbor Report codec: runs of elements', () => {
  it('every cut of a run: a truncated element header or an overrun element, unless it ends on an element', () => {
    const els = [sub(0, 0x61), buildNeighborReportElement(VALID[1]![1]), sub(127, 0, 0, 8)];
    const run = Buffer.concat(els);
    const bounds = new Set([0, els[0]!.length, els[0]!.length + els[1]!.length]);
    for (let n = 0; n < run.length; n++) {
      let p = 0;
      while (p + 2 <= n && p + 2 + run[p + 1]! <= n) p += 2 + run[p + 1]!;
      const want = bounds.has(n) ? 'accepted' : p + 2 > n ? 'element-truncated' : 'element-overrun';
      expect(
        reasonOf(() => neighborReportsIn(run.subarray(0, n))),
        `${n} octets`,
      ).toBe(want);
    }
  });

  it('a malformed report inside a well-formed run says what is wrong with the report', () => {
    expect(reasonOf(() => neighborReportsIn(Buffer.from([52, 12, ...new Array(12).fill(0)])))).toBe('nr-short');
    expect(neighborReportsIn(Buffer.alloc(0))).toEqual([]);
  });

  it("the lab reads a station's Neighbor Report hexdump through the same codec", () => {
    const hex = (b: Buffer) => [...b].map((x) => ` ${x.toString(16).padStart(2, '0')}`).join('');
    const good = Buffer.concat([Buffer.from([7]), buildNeighborReportElement(VALID[1]![1])]);
    expect(neighborReportFromLog(`RRM: New Neighbor Report - hexdump(len=${good.length}):${hex(good)}`)).toEqual([VALID[1]![1]]);
    const bad = Buffer.from([7, 52, 15, ...new Array(13).fill(0), 3, 0]);
    expect(reasonOf(() => neighborReportFromLog(`RRM: New Neighbor Report - hexdump(len=${bad.length}):${hex(bad)}`))).toBe(
      'nr-preference-short',
    );
  });
});
