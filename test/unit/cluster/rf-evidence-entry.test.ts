// RF evidence entries in the cluster store: read back as written, and refused, with the reason,
// when any item is malformed (an entry from a broken or newer writer never reaches the graph).
import { describe, expect, it } from 'vitest';
import { encodeRfEvidence, parseRfEvidence } from '../../../daemon/cluster/rf-evidence-relay.js';
import type { RfEvidence } from '../../../daemon/neighbors/evidence.js';

describe('RF evidence entries', () => {
  it('reads back what it wrote', () => {
    const ev: RfEvidence[] = [
      { kind: 'roam', sta: '02:00:00:00:00:41', from: 'ap1', to: 'ap2', at: 1 },
      { kind: 'beacon', ap: 'ap1', bssid: '02:00:00:00:02:00', dbm: -70, at: 2 },
      { kind: 'beacon', ap: 'ap1', bssid: '02:00:00:00:03:00', dbm: null, at: 3 },
    ];
    expect(parseRfEvidence(encodeRfEvidence('a', ev))).toEqual({ member: 'a', evidence: ev });
  });

  it('refuses a malformed entry and says why', () => {
    const cases: [string, unknown][] = [
      ['entry version 2', { v: 2, member: 'a', evidence: [] }],
      ['no member or evidence', { v: 1, evidence: [] }],
      ['no member or evidence', { v: 1, member: 'a', evidence: {} }],
      ['evidence without a time', { v: 1, member: 'a', evidence: [{ kind: 'roam', sta: 's', from: 'a', to: 'b' }] }],
      ['roam field missing', { v: 1, member: 'a', evidence: [{ kind: 'roam', sta: 's', from: 'a', at: 1 }] }],
      ['beacon field missing', { v: 1, member: 'a', evidence: [{ kind: 'beacon', ap: 'a', at: 1 }] }],
      ['beacon signal not a number', { v: 1, member: 'a', evidence: [{ kind: 'beacon', ap: 'a', bssid: 'b', dbm: '-70', at: 1 }] }],
      ['evidence kind probe', { v: 1, member: 'a', evidence: [{ kind: 'probe', at: 1 }] }],
    ];
    for (const [why, entry] of cases) expect(parseRfEvidence(Buffer.from(JSON.stringify(entry))), why).toBe(why);
    expect(parseRfEvidence(Buffer.from('{'))).toBe('not JSON');
  });
});
