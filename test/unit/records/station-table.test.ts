import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { SqliteRecordStore } from '../../../adapters/store/sqlite-store.js';
import { StationTable } from '../../../daemon/records/station-table.js';
import { StationRecorder } from '../../../daemon/records/recorder.js';
import type { AccessAcceptFacts } from '../../../daemon/records/facts.js';
import { AKM } from '../../../daemon/keys/index.js';
import { liveRecords, tempDir } from '../store/fixtures.js';

// The core's station table over the real SQLite store (no fakes): what it persists, when, and
// what it clears.

const MSK = Buffer.from(Array.from({ length: 64 }, (_, i) => i));

function facts(over: Partial<AccessAcceptFacts> = {}): AccessAcceptFacts {
  return {
    staMac: '02:00:00:00:01:00', clientAddress: '10.0.0.1', nasIdentifier: 'ap1.example.com', bssid: '02:00:00:00:03:00',
    ssid: 'hostapd-kms', mdid: 'a1b2', akm: AKM.FT_IEEE8021X, pairwiseCipher: 0x000fac04, userName: 'alice', cui: null,
    classes: [], vlan: null, filterId: null, arubaUserRole: null, sessionTimeout: null, acctSessionId: null, msk: MSK, ...over,
  };
}

/** Accounting-Start of the default station at a second AP. */
const startAtAp2 = {
  staMac: '02:00:00:00:01:00', status: 'start', clientAddress: '10.0.0.2', nasIdentifier: 'ap2.example.com',
  bssid: '02:00:00:00:03:01', acctSessionId: 'S1',
} as const;

describe('StationTable', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: SqliteRecordStore;
  const key = randomBytes(32);
  let clock = 1_800_000_000_000;
  const policy = { defaultLifetimeS: 3600, machineAuthWindowS: 600 };
  beforeEach(() => {
    tmp = tempDir();
    store = new SqliteRecordStore(join(tmp.dir, 'kms.sqlite'), key);
  });
  afterEach(() => {
    store.close();
    tmp.cleanup();
  });

  it('derives the notes vector PMKR0Name and persists it before resolving', async () => {
    const table = new StationTable(store, policy, {}, () => clock);
    await table.onAccessAccept(facts());
    const reopened = new StationTable(store, policy, {}, () => clock);
    expect(reopened.load()).toBe(1);
    expect(reopened.get('02:00:00:00:01:00')!.pmkR0Name).toBe('0d93e545afa75635cf9bf28051145523');
    expect(reopened.keysFor('02:00:00:00:01:00')!.pmkR0!.toString('hex')).toBe('ba9de5965fd375e9c34f7d5592eade5a4e8b7f79f56ebc86d46a2d3de8eb27b1');
  });

  it('commits saves from one turn of the event loop together', async () => {
    const table = new StationTable(store, policy, {}, () => clock);
    await Promise.all(Array.from({ length: 20 }, (_, i) => table.onAccessAccept(facts({ staMac: `02:00:00:00:02:${i.toString(16).padStart(2, '0')}` }))));
    expect(table.writeStats.largestBatch).toBe(20);
    expect(liveRecords(store, clock)).toHaveLength(20);
  });

  it('a re-authentication without MS-MPPE keys clears the old keys', async () => {
    const warnings: string[] = [];
    const table = new StationTable(store, policy, { warning: (_s, m) => warnings.push(m) }, () => clock);
    await table.onAccessAccept(facts());
    await table.onAccessAccept(facts({ msk: null }));
    expect(table.keysFor('02:00:00:00:01:00')).toEqual({ pmk: null, mpmk: null, pmkR0: null, pmkR0Name: null });
    expect(table.get('02:00:00:00:01:00')!.pmkR0Name).toBeNull();
    expect(warnings.join('\n')).toMatch(/no MS-MPPE keys/);
  });

  it('says why an FT station got no PMK-R0', async () => {
    const warnings: string[] = [];
    const table = new StationTable(store, policy, { warning: (_s, m) => warnings.push(m) }, () => clock);
    await table.onAccessAccept(facts({ mdid: null, nasIdentifier: null }));
    expect(warnings).toContain('FT AKM but no PMK-R0: the Access-Request lacked Mobility-Domain-Id, NAS-Identifier (R0KH-ID)');
    expect(table.get('02:00:00:00:01:00')!.hasPmk).toBe(true);
  });

  it('machine authentication counts only within its window', async () => {
    const table = new StationTable(store, policy, {}, () => clock);
    await table.onAccessAccept(facts({ userName: 'host/pc1.example.com', akm: AKM.IEEE8021X }));
    clock += 599_000;
    await table.onAccessAccept(facts({ userName: 'alice', akm: AKM.IEEE8021X }));
    expect(table.get('02:00:00:00:01:00')!.machineAuth.authenticated).toBe(true);
    clock += 2_000;
    await table.onAccessAccept(facts({ userName: 'alice', akm: AKM.IEEE8021X }));
    expect(table.get('02:00:00:00:01:00')!.machineAuth.authenticated).toBe(false);
  });

  it('expires and purges records', async () => {
    const table = new StationTable(store, policy, {}, () => clock);
    await table.onAccessAccept(facts({ sessionTimeout: 60 }));
    clock += 61_000;
    expect(table.get('02:00:00:00:01:00')).toBeUndefined();
    expect(table.purgeExpired()).toBe(1);
    expect(liveRecords(store, 0)).toHaveLength(0);
  });

  it('holds no copy: a record committed through another connection (the RADIUS thread) is read from the store', async () => {
    const table = new StationTable(store, policy, {}, () => clock);
    const other = new SqliteRecordStore(join(tmp.dir, 'kms.sqlite'), key);
    try {
      const { record } = await new StationRecorder(other, policy, () => {}, () => clock).record(facts({ staMac: '02:00:00:00:05:01' }));
      const learned: string[] = [];
      const announcing = new StationTable(store, policy, { stationLearned: (r) => learned.push(r.staMac) }, () => clock);
      announcing.adopt(record);
      expect(learned).toEqual(['02:00:00:00:05:01']);
      expect(table.get('02:00:00:00:05:01')!.pmkR0Name).toBe(record.pmkR0Name);
      expect(table.list().map((r) => r.staMac)).toEqual(['02:00:00:00:05:01']);
      expect(table.size).toBe(1);
    } finally {
      other.close();
    }
  });

  it('an accounting update is read back at once, before and after its commit', async () => {
    const table = new StationTable(store, policy, {}, () => clock);
    await table.onAccessAccept(facts());
    clock += 1000;
    table.onAccounting(startAtAp2);
    // Queued for the next group commit: the store has the old record, the table the new one.
    expect(liveRecords(store, clock)[0]!.currentAp).toBeNull();
    expect(table.get('02:00:00:00:01:00')!.currentAp!.bssid).toBe('02:00:00:00:03:01');
    expect(table.list()[0]!.currentAp!.bssid).toBe('02:00:00:00:03:01');
    table.flush();
    await new Promise((r) => setImmediate(r));
    expect(liveRecords(store, clock)[0]!.currentAp!.bssid).toBe('02:00:00:00:03:01');
    expect(table.get('02:00:00:00:01:00')!.acctSessionId).toBe('S1');
  });

  it('a new authentication voids an accounting update still queued for the previous one', async () => {
    const table = new StationTable(store, policy, {}, () => clock);
    await table.onAccessAccept(facts());
    clock += 1000;
    table.onAccounting(startAtAp2);
    clock += 1000;
    await table.onAccessAccept(facts({ userName: 'bob' }));
    expect(table.get('02:00:00:00:01:00')!.identity).toBe('bob');
    expect(table.get('02:00:00:00:01:00')!.currentAp).toBeNull();
    await new Promise((r) => setImmediate(r));
    expect(liveRecords(store, clock)[0]!.identity).toBe('bob');
  });

  it('counts only stations that have not expired', async () => {
    const table = new StationTable(store, policy, {}, () => clock);
    await table.onAccessAccept(facts({ sessionTimeout: 60 }));
    await table.onAccessAccept(facts({ staMac: '02:00:00:00:01:01' }));
    expect(table.size).toBe(2);
    clock += 61_000;
    expect(table.size).toBe(1);
  });
});
