import { describe, expect, it } from 'vitest';
import { decodeStationEntry, encodeStationEntry, type StationEntry } from '../../../daemon/cluster/station-entry.js';

// The value of stations/<sta> in etcd: what one member writes, another reads back exactly, and
// anything else put there is refused with its reason rather than trusted.

const STA = '02:00:00:00:00:01';
const entry = (over: Partial<StationEntry['row']> = {}): StationEntry => ({
  member: 'a',
  committedAt: 1_760_000_000_500,
  row: {
    staMac: STA,
    json: JSON.stringify({ staMac: STA, authenticatedAt: 1_760_000_000_000 }),
    expiresAt: 1_760_003_600_000,
    authenticatedAt: 1_760_000_000_000,
    sealedKeys: Buffer.from([1, 2, 3, 250, 251]),
    ...over,
  },
});
const mutate = (f: (o: Record<string, unknown>) => void) => {
  const o = JSON.parse(encodeStationEntry(entry()).toString()) as Record<string, unknown>;
  f(o);
  return Buffer.from(JSON.stringify(o));
};

describe('station entry codec', () => {
  it('round-trips a row with keys and one without', () => {
    for (const e of [entry(), entry({ sealedKeys: null })]) {
      const d = decodeStationEntry(encodeStationEntry(e), STA);
      expect(d).toEqual({ ok: true, entry: e });
    }
  });

  it('holds no key material in the clear: the keys are the sealed blob only', () => {
    const text = encodeStationEntry(entry()).toString();
    expect(JSON.parse(text).keys).toBe(Buffer.from([1, 2, 3, 250, 251]).toString('base64'));
  });

  const bad: [string, Buffer, RegExp][] = [
    ['not JSON', Buffer.from('{'), /not JSON/],
    ['an array', Buffer.from('[]'), /not a JSON object/],
    ['another version', mutate((o) => (o.v = 2)), /version 2/],
    ['no member', mutate((o) => delete o.member), /no member/],
    ['a bad MAC', mutate((o) => (o.staMac = 'nope')), /no station MAC/],
    ['another station under this key', mutate((o) => (o.staMac = '02:00:00:00:00:02')), /under the key of/],
    ['a fractional time', mutate((o) => (o.expiresAt = 1.5)), /expiresAt/],
    ['a record that is not JSON', mutate((o) => (o.record = '{')), /record is not JSON/],
    ['a record of another authentication', mutate((o) => (o.authenticatedAt = 5)), /does not match/],
    ['keys that are not base64', mutate((o) => (o.keys = '***')), /base64/],
    ['keys of the wrong type', mutate((o) => (o.keys = 12)), /base64/],
  ];
  for (const [what, value, reason] of bad) {
    it(`refuses ${what}`, () => {
      const d = decodeStationEntry(value, STA);
      expect(d.ok).toBe(false);
      if (!d.ok) expect(d.reason).toMatch(reason);
    });
  }
});
