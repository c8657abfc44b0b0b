import { describe, expect, it } from 'vitest';
import { RecordStationLocator, locationOf } from '../../../daemon/records/station-locator.js';
import type { StationRecord } from '../../../daemon/records/station.js';

const record = (staMac: string, over: Partial<StationRecord> = {}): StationRecord => ({
  staMac,
  ap: { bssid: '02:00:00:00:01:00', nasIdentifier: 'ap1', clientAddress: '10.0.0.11' },
  currentAp: null,
  ssid: 'corp',
  mdid: null,
  akm: null,
  pairwiseCipher: null,
  identity: 'alice',
  cui: null,
  classes: [],
  vlan: null,
  role: { filterId: null, arubaUserRole: null },
  machineAuth: { authenticated: false, identity: null, at: null },
  sessionTimeout: null,
  acctSessionId: null,
  session: 'authenticated',
  pmkR0Name: null,
  hasPmk: false,
  authenticatedAt: 1,
  updatedAt: 1,
  expiresAt: 2,
  ...over,
});

describe('RecordStationLocator', () => {
  const records = [
    record('02:00:00:00:00:01', { acctSessionId: 'D10059148802D570', cui: 'cui-1' }),
    record('02:00:00:00:00:02', {
      currentAp: { bssid: '02:00:00:00:02:00', nasIdentifier: 'ap2', clientAddress: '10.0.0.12', since: 5 },
      session: 'active',
    }),
    record('02:00:00:00:00:03', { identity: 'bob' }),
  ];
  const locator = new RecordStationLocator({ get: (m) => records.find((r) => r.staMac === m), list: () => records });
  const q = { staMac: null, userName: null, acctSessionId: null, cui: null };

  it('finds by MAC, and every other attribute given must match too', () => {
    expect(locator.locate({ ...q, staMac: '02:00:00:00:00:03' }, 16).map((l) => l.staMac)).toEqual(['02:00:00:00:00:03']);
    expect(locator.locate({ ...q, staMac: '02:00:00:00:00:03', userName: 'alice' }, 16)).toEqual([]);
    expect(locator.locate({ ...q, staMac: '02:00:00:00:00:09' }, 16)).toEqual([]);
  });

  it("finds by User-Name (all of a user's stations, up to the limit), Acct-Session-Id (any case) and CUI", () => {
    expect(locator.locate({ ...q, userName: 'alice' }, 16).map((l) => l.staMac)).toEqual(['02:00:00:00:00:01', '02:00:00:00:00:02']);
    expect(locator.locate({ ...q, userName: 'alice' }, 1)).toHaveLength(1);
    expect(locator.locate({ ...q, acctSessionId: 'd10059148802d570' }, 16).map((l) => l.staMac)).toEqual(['02:00:00:00:00:01']);
    expect(locator.locate({ ...q, cui: 'cui-1', userName: 'bob' }, 16)).toEqual([]);
  });

  it('the AP is where accounting saw the station last, else where it authenticated', () => {
    expect(locationOf(records[1]!)).toMatchObject({
      clientAddress: '10.0.0.12',
      bssid: '02:00:00:00:02:00',
      nasIdentifier: 'ap2',
      session: 'active',
    });
    expect(locationOf(records[0]!)).toMatchObject({ clientAddress: '10.0.0.11', bssid: '02:00:00:00:01:00' });
  });
});
