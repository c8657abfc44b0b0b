import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { SqliteRecordStore } from '../../../adapters/store/sqlite-store.js';
import { StationTable } from '../../../daemon/records/station-table.js';
import type { AccessAcceptFacts } from '../../../daemon/records/facts.js';
import { AKM } from '../../../daemon/keys/index.js';
import { liveRecords, tempDir } from '../store/fixtures.js';
import { kmsCore, type KmsCore } from '../../helpers/kms-core.js';

// The core's station table over the real SQLite store (no fakes), fed as kmsd feeds it: records
// committed by a StationRecorder on its own connection (the RADIUS thread's), adopted through
// StationLife; accounting through StationLife too. What it persists, when, and what it clears.

const MSK = Buffer.from(Array.from({ length: 64 }, (_, i) => i));

function facts(over: Partial<AccessAcceptFacts> = {}): AccessAcceptFacts {
  return {
    staMac: '02:00:00:00:01:00',
    clientAddress: '10.0.0.1',
    nasIdentifier: 'ap1.example.com',
    bssid: '02:00:00:00:03:00',
    ssid: 'hostapd-kms',
    mdid: 'a1b2',
    akm: AKM.FT_IEEE8021X,
    pairwiseCipher: 0x000fac04,
    userName: 'alice',
    cui: null,
    classes: [],
    vlan: null,
    filterId: null,
    arubaUserRole: null,
    sessionTimeout: null,
    acctSessionId: null,
    msk: MSK,
    ...over,
  };
}

/** Accounting-Start of the default station at a second AP. */
const startAtAp2 = {
  staMac: '02:00:00:00:01:00',
  status: 'start',
  clientAddress: '10.0.0.2',
  nasIdentifier: 'ap2.example.com',
  bssid: '02:00:00:00:03:01',
  acctSessionId: 'S1',
} as const;

describe('StationTable', () => {
  let tmp: ReturnType<typeof tempDir>;
  let core: KmsCore;
  let store: SqliteRecordStore;
  let table: StationTable;
  const key = randomBytes(32);
  let clock = 1_800_000_000_000;
  const policy = { defaultLifetimeS: 3600, machineAuthWindowS: 600 };
  const warnings: string[] = [];
  const accept = (f: AccessAcceptFacts) => core.accept(f);
  beforeEach(() => {
    tmp = tempDir();
    warnings.length = 0;
    core = kmsCore(tmp.dir, key, { policy, now: () => clock, warning: (_s, m) => void warnings.push(m) });
    store = core.store;
    table = core.stations;
  });
  afterEach(() => {
    core.close();
    tmp.cleanup();
  });

  it('derives the documented vector PMKR0Name and persists it before resolving', async () => {
    await accept(facts());
    const reopened = new StationTable(store, {}, () => clock);
    expect(reopened.load()).toBe(1);
    expect(reopened.get('02:00:00:00:01:00')!.pmkR0Name).toBe('0d93e545afa75635cf9bf28051145523');
    expect(reopened.keysFor('02:00:00:00:01:00')!.pmkR0!.toString('hex')).toBe(
      'ba9de5965fd375e9c34f7d5592eade5a4e8b7f79f56ebc86d46a2d3de8eb27b1',
    );
  });

  it('commits saves from one turn of the event loop together', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => accept(facts({ staMac: `02:00:00:00:02:${i.toString(16).padStart(2, '0')}` }))));
    expect(core.recorder.writeStats.largestBatch).toBe(20);
    expect(liveRecords(store, clock)).toHaveLength(20);
  });

  it('a re-authentication without MS-MPPE keys clears the old keys', async () => {
    await accept(facts());
    await accept(facts({ msk: null }));
    expect(table.keysFor('02:00:00:00:01:00')).toEqual({ pmk: null, mpmk: null, pmkR0: null, pmkR0Name: null });
    expect(table.get('02:00:00:00:01:00')!.pmkR0Name).toBeNull();
    expect(warnings.join('\n')).toMatch(/no MS-MPPE keys/);
  });

  it('says why an FT station got no PMK-R0', async () => {
    await accept(facts({ mdid: null, nasIdentifier: null }));
    expect(warnings).toContain('FT AKM but no PMK-R0: the Access-Request lacked Mobility-Domain-Id, NAS-Identifier (R0KH-ID)');
    expect(table.get('02:00:00:00:01:00')!.hasPmk).toBe(true);
  });

  it('machine authentication counts only within its window', async () => {
    await accept(facts({ userName: 'host/pc1.example.com', akm: AKM.IEEE8021X }));
    clock += 599_000;
    await accept(facts({ userName: 'alice', akm: AKM.IEEE8021X }));
    expect(table.get('02:00:00:00:01:00')!.machineAuth.authenticated).toBe(true);
    clock += 2_000;
    await accept(facts({ userName: 'alice', akm: AKM.IEEE8021X }));
    expect(table.get('02:00:00:00:01:00')!.machineAuth.authenticated).toBe(false);
  });

  it('expires and purges records', async () => {
    await accept(facts({ sessionTimeout: 60 }));
    clock += 61_000;
    expect(table.get('02:00:00:00:01:00')).toBeUndefined();
    expect(table.purgeExpired()).toBe(1);
    expect(liveRecords(store, 0)).toHaveLength(0);
  });

  it('holds no copy: a record committed through another connection (the RADIUS thread) is read from the store', async () => {
    const other = new StationTable(store, {}, () => clock);
    const record = await accept(facts({ staMac: '02:00:00:00:05:01' }));
    expect(other.get('02:00:00:00:05:01')!.pmkR0Name).toBe(record.pmkR0Name);
    expect(other.list().map((r) => r.staMac)).toEqual(['02:00:00:00:05:01']);
    expect(other.size).toBe(1);
  });

  it('an accounting update is read back at once, before and after its commit', async () => {
    await accept(facts());
    clock += 1000;
    void core.life.onAccounting(startAtAp2);
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
    await accept(facts());
    clock += 1000;
    void core.life.onAccounting(startAtAp2);
    clock += 1000;
    await accept(facts({ userName: 'bob' }));
    expect(table.get('02:00:00:00:01:00')!.identity).toBe('bob');
    expect(table.get('02:00:00:00:01:00')!.currentAp).toBeNull();
    await new Promise((r) => setImmediate(r));
    expect(liveRecords(store, clock)[0]!.identity).toBe('bob');
  });

  it('counts only stations that have not expired', async () => {
    await accept(facts({ sessionTimeout: 60 }));
    await accept(facts({ staMac: '02:00:00:00:01:01' }));
    expect(table.size).toBe(2);
    clock += 61_000;
    expect(table.size).toBe(1);
  });
});
