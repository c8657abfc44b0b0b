import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteRecordStore } from '../../../adapters/store/sqlite-store.js';
import { HOUR, captureLogger, makeKeys, makeRecord, tempDir } from './fixtures.js';

// The cluster outbox and replication import on real SQLite, between two stores that share a
// master key as cluster members do: a row copied sealed from one opens on the other.

const NOW = 1_760_000_000_000;
const STA = '02:00:00:00:00:01';

describe('SqliteClusterJournal', () => {
  let tmp: ReturnType<typeof tempDir>;
  const open: SqliteRecordStore[] = [];
  const key = randomBytes(32);
  const store = (name: string, k = key) => {
    const s = new SqliteRecordStore(join(tmp.dir, `${name}.sqlite`), k, { logger: captureLogger() });
    open.push(s);
    return s;
  };
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
    tmp.cleanup();
  });

  it('queues records in the same transaction as their rows and dequeues only the authentication named', () => {
    const a = store('a');
    const first = makeRecord(STA, NOW, { authenticatedAt: NOW });
    const rows = a.cluster.saveStationsQueued([{ record: first, keys: makeKeys() }]);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.sealedKeys).toBeInstanceOf(Buffer);
    expect(a.loadKeys(STA)).not.toBeNull();
    expect(a.cluster.queuedCount()).toBe(1);
    // A newer authentication queued meanwhile stays queued when the older one is acknowledged.
    const second = makeRecord(STA, NOW, { authenticatedAt: NOW + 1000 });
    a.cluster.saveStationsQueued([{ record: second, keys: makeKeys() }]);
    a.cluster.dequeue(rows);
    expect(a.cluster.queuedCount()).toBe(1);
    expect(a.cluster.queued(10, Number.MAX_SAFE_INTEGER)[0]!.authenticatedAt).toBe(NOW + 1000);
    a.cluster.dequeue([{ staMac: STA, authenticatedAt: NOW + 1000 }]);
    expect(a.cluster.queuedCount()).toBe(0);
  });

  it('leaves a live commit its own rows: queued() returns only rows older than the bound', () => {
    const a = store('a');
    a.cluster.saveStationsQueued([{ record: makeRecord(STA, NOW), keys: makeKeys() }]);
    expect(a.cluster.queued(10, 0)).toEqual([]);
    expect(a.cluster.queued(10, Number.MAX_SAFE_INTEGER)).toHaveLength(1);
  });

  it('imports a sealed row that opens on the other member, keeps the revision, and ignores older or equal rows', () => {
    const a = store('a');
    const b = store('b');
    const keys = makeKeys();
    const [row] = a.cluster.saveStationsQueued([{ record: makeRecord(STA, NOW, { authenticatedAt: NOW }), keys }]);
    expect(b.cluster.appliedRevision()).toBeNull();
    expect(b.cluster.importReplicated([row!], '42')).toHaveLength(1);
    expect(b.cluster.appliedRevision()).toBe('42');
    expect(b.loadKeys(STA)).toEqual(keys);
    expect(JSON.parse(b.loadStationRow(STA)!.json).authenticatedAt).toBe(NOW);
    // The same row again (a replay, or the member's own write coming back): nothing changes.
    expect(b.cluster.importReplicated([row!], '43')).toHaveLength(0);
    expect(b.cluster.appliedRevision()).toBe('43');
    // B's own newer login wins over A's older one.
    const bKeys = makeKeys();
    b.cluster.saveStationsQueued([{ record: makeRecord(STA, NOW, { authenticatedAt: NOW + 5000 }), keys: bKeys }]);
    expect(b.cluster.importReplicated([row!], '44')).toHaveLength(0);
    expect(b.loadKeys(STA)).toEqual(bKeys);
  });

  it('drops the local outbox row that a newer imported row supersedes', () => {
    const a = store('a');
    const b = store('b');
    b.cluster.saveStationsQueued([{ record: makeRecord(STA, NOW, { authenticatedAt: NOW }), keys: makeKeys() }]);
    const [newer] = a.cluster.saveStationsQueued([{ record: makeRecord(STA, NOW, { authenticatedAt: NOW + 10 }), keys: makeKeys() }]);
    expect(b.cluster.importReplicated([newer!], '7')).toHaveLength(1);
    expect(b.cluster.queuedCount()).toBe(0);
  });

  it('a row sealed under another master key does not open (members must share the key)', () => {
    const a = store('a');
    const other = store('other', randomBytes(32));
    const [row] = a.cluster.saveStationsQueued([{ record: makeRecord(STA, NOW), keys: makeKeys() }]);
    other.cluster.importReplicated([row!], '1');
    expect(other.loadKeys(STA)).toBeNull();
  });

  it('purges outbox rows of stations that expired', () => {
    const a = store('a');
    a.cluster.saveStationsQueued([{ record: makeRecord(STA, NOW, { expiresAt: NOW + HOUR }), keys: makeKeys() }]);
    a.purgeExpired(NOW + 2 * HOUR);
    expect(a.cluster.queuedCount()).toBe(0);
  });

  it('applies a later update of the same authentication, keeps the keys, and never undoes a revocation', () => {
    const a = store('a');
    const b = store('b');
    const keys = makeKeys();
    const rec = makeRecord(STA, NOW, { authenticatedAt: NOW, updatedAt: NOW });
    const [auth] = a.cluster.saveStationsQueued([{ record: rec, keys }]);
    b.cluster.importReplicated([auth!], '1');
    // An update (keys null: the stored ones stay) made later on A reaches B.
    const moved = {
      ...rec,
      currentAp: { bssid: '0a:00:00:00:00:02', nasIdentifier: 'ap2', clientAddress: '10.0.0.2', since: NOW + 5 },
      updatedAt: NOW + 5,
    };
    const [update] = a.cluster.saveStationsQueued([{ record: moved as typeof rec, keys: null }]);
    expect(update!.keysKept).toBe(true);
    expect(b.cluster.importReplicated([update!], '2')).toHaveLength(1);
    expect(JSON.parse(b.loadStationRow(STA)!.json).updatedAt).toBe(NOW + 5);
    expect(b.loadKeys(STA)).toEqual(keys);
    // The same update again, or an older one: nothing.
    expect(b.cluster.importReplicated([update!, auth!], '3')).toHaveLength(0);
    // B revokes; a later update from A without the revocation does not bring the session back.
    const revoked = { ...JSON.parse(b.loadStationRow(STA)!.json), revoked: { at: NOW + 6, reason: 'test' }, updatedAt: NOW + 6 };
    b.saveStations([{ record: revoked, keys: null }]);
    const [later] = a.cluster.saveStationsQueued([{ record: { ...rec, updatedAt: NOW + 7 }, keys: null }]);
    expect(b.cluster.importReplicated([later!], '4')).toHaveLength(1);
    const after = JSON.parse(b.loadStationRow(STA)!.json);
    expect(after.updatedAt).toBe(NOW + 7);
    expect(after.revoked).toEqual({ at: NOW + 6, reason: 'test' });
  });

  it('does not take an update alone for a newer authentication (it has no keys)', () => {
    const a = store('a');
    const b = store('b');
    const [update] = a.cluster.saveStationsQueued([{ record: makeRecord(STA, NOW), keys: null }]);
    expect(b.cluster.importReplicated([update!], '1')).toHaveLength(0);
    expect(b.loadStationRow(STA)).toBeUndefined();
  });
});
