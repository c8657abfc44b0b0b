// The placement ledger's cluster-store entries: what a member writes is read back the same, and
// every malformed entry is refused with its reason (an entry from a newer or broken writer must never become a placement).
import { describe, expect, it } from 'vitest';
import { encodePlacementEntry, parsePlacementEntry } from '../../../daemon/cluster/placement-entry.js';
import type { Placement } from '../../../daemon/distribution/placement.js';

const p = (bssid: string, over: Partial<Placement> = {}): Placement => ({
  staMac: '02:00:00:00:03:00',
  ap: 'ap2',
  bssid,
  kind: 'ft',
  keyName: 'cd'.repeat(16),
  state: 'sent',
  via: 'push',
  placedAt: 1_700_000_000_000,
  expiresAt: 1_700_003_600_000,
  attempts: 1,
  lastError: null,
  ...over,
});

describe('placement ledger entries', () => {
  it('reads back what it wrote: the station once, each placement whole', () => {
    const written = [
      p('02:00:00:00:01:01'),
      p('02:00:00:00:01:02', { state: 'queued', lastError: 'no answer', placedAt: null, attempts: 3 }),
    ];
    const value = encodePlacementEntry('a', '02:00:00:00:03:00', written);
    expect(JSON.parse(value.toString()).placements[0]).not.toHaveProperty('staMac');
    expect(parsePlacementEntry(value)).toEqual({ member: 'a', placements: written });
  });

  it('refuses a malformed entry and says why', () => {
    const { staMac: _sta, ...noSta } = p('02:00:00:00:01:01');
    const cases: [string, unknown][] = [
      ['entry version 3', { v: 3, member: 'a', sta: 's', placements: [] }],
      ['no member', { v: 2, sta: 's', placements: [] }],
      ['no station or placements', { v: 2, member: 'a', placements: [] }],
      ['no station or placements', { v: 2, member: 'a', sta: 's', placements: {} }],
      ['no placement', { v: 2, member: 'a', sta: 's', placements: [null] }],
      ['placement field missing', { v: 2, member: 'a', sta: 's', placements: [{ ...noSta, bssid: 7 }] }],
      ['placement times missing', { v: 2, member: 'a', sta: 's', placements: [{ ...noSta, expiresAt: '1' }] }],
      ['entry version 1', { v: 1, member: 'a', placement: noSta }],
    ];
    for (const [why, entry] of cases) expect(parsePlacementEntry(Buffer.from(JSON.stringify(entry))), why).toBe(why);
    expect(parsePlacementEntry(Buffer.from('{"v":2,'))).toBe('not JSON');
  });
});
