import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MasterKeyMismatchError, SqliteRecordStore } from '../../../adapters/store/sqlite-store.js';
import type { StationKeys } from '../../../daemon/records/station.js';
import { HOUR, captureLogger, liveRecords, macOf, makeKeys, makeRecord, save, tempDir } from './fixtures.js';

const NOW = 1_760_000_000_000;

describe('SqliteRecordStore', () => {
  let tmp: ReturnType<typeof tempDir>;
  let path: string;
  let key: Buffer;
  const open: SqliteRecordStore[] = [];
  const openStore = (k = key, logger = captureLogger()) => {
    const s = new SqliteRecordStore(path, k, { logger });
    open.push(s);
    return { store: s, logger };
  };
  /** A second, raw connection: what an attacker with the file (or a bug) could do to it. */
  const raw = (fn: (db: Database.Database) => void) => {
    const db = new Database(path);
    try {
      fn(db);
    } finally {
      db.close();
    }
  };

  beforeEach(() => {
    tmp = tempDir();
    path = join(tmp.dir, 'kms.sqlite');
    key = randomBytes(32);
  });
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
    tmp.cleanup();
  });

  it('round-trips records and keys, and keeps them across close and reopen', () => {
    const { store } = openStore();
    const r1 = makeRecord(macOf(1), NOW, { currentAp: { bssid: null, nasIdentifier: 'ap2', clientAddress: '10.0.0.2', since: NOW } });
    const r2 = makeRecord(macOf(2), NOW, { vlan: null, classes: [], pmkR0Name: 'ab'.repeat(16) });
    const k1 = makeKeys();
    const k2: StationKeys = { pmk: randomBytes(48), mpmk: null, pmkR0: null, pmkR0Name: null };
    save(store, r1, k1);
    save(store, r2, k2);
    store.saveMachineAuth({ staMac: macOf(1), identity: 'host/pc1.example.org', at: NOW }, NOW + HOUR);
    expect(sortByMac(liveRecords(store, NOW))).toEqual([r1, r2]);
    expect(store.loadKeys(macOf(1))).toEqual(k1);
    expect(store.loadKeys(macOf(2))).toEqual(k2);
    store.close();

    const { store: again } = openStore();
    expect(sortByMac(liveRecords(again, NOW))).toEqual([r1, r2]);
    const rows = [...again.loadStationRows(NOW)].sort((a, b) => a.staMac.localeCompare(b.staMac));
    expect(rows.map((r) => ({ ...r, json: JSON.parse(r.json) as unknown }))).toEqual(
      [r1, r2].map((r) => ({ staMac: r.staMac, json: r, expiresAt: r.expiresAt })),
    );
    expect([...again.loadStationRows(r1.expiresAt)]).toEqual([]);
    expect(again.loadKeys(macOf(1))).toEqual(k1);
    expect(again.loadKeys(macOf(2))).toEqual(k2);
    expect(again.loadMachineAuths(NOW)).toEqual([{ staMac: macOf(1), identity: 'host/pc1.example.org', at: NOW }]);
    expect(again.loadKeys(macOf(3))).toBeNull();
  });

  it('accepts any MAC spelling for a station and finds it by the canonical one', () => {
    const { store } = openStore();
    const keys = makeKeys();
    save(store, makeRecord('02-00-00-00-00-0A', NOW), keys);
    expect(store.loadKeys('02:00:00:00:00:0a')).toEqual(keys);
    expect(store.loadKeys('not a mac')).toBeNull();
    expect(() => save(store, makeRecord('nope', NOW), keys)).toThrow(/station MAC "nope"/);
  });

  it('a write with keys null keeps the stored keys; new keys replace them', () => {
    const { store } = openStore();
    const first = makeKeys();
    save(store, makeRecord(macOf(1), NOW), first);
    const updated = makeRecord(macOf(1), NOW, { session: 'active', updatedAt: NOW + 5 });
    save(store, updated, null);
    expect(liveRecords(store, NOW)).toEqual([updated]);
    expect(store.loadKeys(macOf(1))).toEqual(first);
    const second = makeKeys();
    save(store, updated, second);
    expect(store.loadKeys(macOf(1))).toEqual(second);
    // A station first saved without keys has none.
    save(store, makeRecord(macOf(2), NOW), null);
    expect(store.loadKeys(macOf(2))).toBeNull();
  });

  it('an update (keys null) never overwrites a newer authentication committed meanwhile', () => {
    const { store } = openStore();
    const old = makeRecord(macOf(3), NOW);
    save(store, old, makeKeys());
    // Another connection (kmsd's RADIUS thread) commits a re-authentication with new keys...
    const newer = makeRecord(macOf(3), NOW + 1000, { identity: 'second-login' });
    const newerKeys = makeKeys();
    save(store, newer, newerKeys);
    // ...and then an accounting update built from the old record arrives: it changes nothing.
    save(store, { ...old, session: 'active', updatedAt: NOW + 2000 }, null);
    expect(liveRecords(store, NOW)).toEqual([newer]);
    expect(store.loadKeys(macOf(3))).toEqual(newerKeys);
  });

  it('never writes key bytes in the clear: not in the database, its WAL or its shared memory', () => {
    const { store } = openStore();
    const all: Buffer[] = [];
    for (let i = 0; i < 50; i++) {
      const keys = makeKeys();
      all.push(keys.pmk!, keys.mpmk!, keys.pmkR0!, keys.pmkR0Name!);
      save(store, makeRecord(macOf(i), NOW), keys);
    }
    const files = () =>
      ['', '-wal', '-shm']
        .map((s) => path + s)
        .filter(existsSync)
        .map((f) => readFileSync(f));
    const check = (bytes: Buffer[]) => {
      // Control: the (non-secret) record text is there, so the search does look at the data.
      expect(bytes.some((b) => b.includes(`identity-of-${macOf(7)}@example.org`))).toBe(true);
      for (const k of all) {
        for (const b of bytes) {
          expect(b.includes(k)).toBe(false);
          expect(b.includes(k.toString('hex'))).toBe(false);
        }
      }
    };
    expect(existsSync(path + '-wal')).toBe(true);
    check(files()); // while open: the commits live in the WAL
    store.close();
    check(files()); // after close: checkpointed into the main file
  });

  it('creates the database file 0600 whatever the umask', () => {
    const old = process.umask(0o022);
    try {
      openStore();
    } finally {
      process.umask(old);
    }
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(path + '-wal').mode & 0o777).toBe(0o600);
  });

  it('refuses at open a database written under another master key, and leaves it intact', () => {
    const { store } = openStore();
    const keys = makeKeys();
    save(store, makeRecord(macOf(1), NOW), keys);
    store.close();
    expect(() => openStore(randomBytes(32))).toThrow(MasterKeyMismatchError);
    expect(() => openStore(randomBytes(32))).toThrow(/master key does not match.*kms\.sqlite/);
    const { store: right } = openStore();
    expect(right.loadKeys(macOf(1))).toEqual(keys);
  });

  it('rejects a master key that is not 32 octets, and a file that is not a database', () => {
    expect(() => openStore(randomBytes(16))).toThrow(/32 octets/);
    writeFileSync(path, randomBytes(8192));
    expect(() => openStore()).toThrow(/cannot open store .*kms\.sqlite/);
  });

  it('refuses a schema newer than it knows', () => {
    openStore().store.close();
    raw((db) => db.prepare('UPDATE schema_version SET version = 99').run());
    expect(() => openStore()).toThrow(/schema version 99, newer than this kms understands/);
  });

  it('returns null and warns, without key bytes, when a keys blob was tampered with', () => {
    const { store, logger } = openStore();
    const keys = makeKeys();
    save(store, makeRecord(macOf(1), NOW), keys);
    let blob: Buffer = Buffer.alloc(0);
    raw((db) => {
      blob = db.prepare('SELECT keys FROM stations WHERE sta_mac = ?').pluck().get(macOf(1)) as Buffer;
      const bad = Buffer.from(blob);
      bad[20] ^= 0x01; // a ciphertext bit
      db.prepare('UPDATE stations SET keys = ? WHERE sta_mac = ?').run(bad, macOf(1));
    });
    expect(store.loadKeys(macOf(1))).toBeNull();
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]).toMatchObject({ level: 'warn', fields: { staMac: macOf(1) } });
    expect(logger.lines[0].fields.reason).toMatch(/authentication failed/);
    const logged = JSON.stringify(logger.lines);
    for (const secret of [keys.pmk!, keys.mpmk!, keys.pmkR0!, keys.pmkR0Name!, blob]) {
      expect(logged).not.toContain(secret.toString('hex'));
      expect(logged).not.toContain(secret.toString('base64'));
    }
    // The record itself is still there: only the keys are unusable.
    expect(liveRecords(store, NOW)).toHaveLength(1);

    for (const bad of [blob.subarray(0, 10), Buffer.concat([Buffer.of(2), blob.subarray(1)])]) {
      raw((db) => db.prepare('UPDATE stations SET keys = ? WHERE sta_mac = ?').run(bad, macOf(1)));
      expect(store.loadKeys(macOf(1))).toBeNull();
    }
    expect(logger.lines.map((l) => l.fields.reason)).toEqual([
      expect.stringMatching(/authentication failed/),
      expect.stringMatching(/too short/),
      expect.stringMatching(/unknown sealed format version 2/),
    ]);
  });

  it('does not decrypt a keys blob moved to another station', () => {
    const { store, logger } = openStore();
    const ka = makeKeys();
    save(store, makeRecord(macOf(1), NOW), ka);
    save(store, makeRecord(macOf(2), NOW), makeKeys());
    raw((db) =>
      db.prepare('UPDATE stations SET keys = (SELECT keys FROM stations WHERE sta_mac = ?) WHERE sta_mac = ?').run(macOf(1), macOf(2)),
    );
    expect(store.loadKeys(macOf(2))).toBeNull();
    expect(logger.lines[0].fields).toMatchObject({ staMac: macOf(2) });
    expect(store.loadKeys(macOf(1))).toEqual(ka);
  });

  it('purges expired stations and machine authentications, and loads only live ones', () => {
    const { store } = openStore();
    save(store, makeRecord(macOf(1), NOW, { expiresAt: NOW - 1 }), makeKeys());
    save(store, makeRecord(macOf(2), NOW, { expiresAt: NOW }), makeKeys());
    const live = makeRecord(macOf(3), NOW, { expiresAt: NOW + 1 });
    const liveKeys = makeKeys();
    save(store, live, liveKeys);
    store.saveMachineAuth({ staMac: macOf(1), identity: 'host/old', at: NOW - HOUR }, NOW - 1);
    store.saveMachineAuth({ staMac: macOf(3), identity: 'host/new', at: NOW }, NOW + HOUR);

    expect(liveRecords(store, NOW)).toEqual([live]);
    expect(store.loadMachineAuths(NOW).map((m) => m.identity)).toEqual(['host/new']);
    expect(store.purgeExpired(NOW)).toBe(3);
    expect(store.purgeExpired(NOW)).toBe(0);
    expect(store.loadKeys(macOf(1))).toBeNull();
    expect(store.loadKeys(macOf(3))).toEqual(liveKeys);
    raw((db) => expect(db.prepare('SELECT count(*) FROM stations').pluck().get()).toBe(1));
  });

  it('a newer machine auth replaces the older', () => {
    const { store } = openStore();
    store.saveMachineAuth({ staMac: macOf(1), identity: 'host/a', at: NOW }, NOW + HOUR);
    store.saveMachineAuth({ staMac: macOf(1), identity: 'host/b', at: NOW + 1 }, NOW + HOUR);
    expect(store.loadMachineAuths(NOW)).toEqual([{ staMac: macOf(1), identity: 'host/b', at: NOW + 1 }]);
  });

  it('imports in bulk all or nothing, and loadStationRows never touches keys', () => {
    const { store, logger } = openStore();
    const items = Array.from({ length: 1000 }, (_, i) => ({ record: makeRecord(macOf(i), NOW), keys: makeKeys() }));
    expect(store.saveStations(items)).toBe(1000);
    expect(liveRecords(store, NOW)).toHaveLength(1000);
    expect(() =>
      store.saveStations([
        { record: makeRecord(macOf(5000), NOW), keys: null },
        { record: makeRecord('bad', NOW), keys: null },
      ]),
    ).toThrow(/station MAC "bad"/);
    expect(liveRecords(store, NOW)).toHaveLength(1000);

    raw((db) => db.prepare('UPDATE stations SET keys = zeroblob(40)').run());
    expect(liveRecords(store, NOW)).toHaveLength(1000);
    expect(logger.lines).toEqual([]);
  });

  it('records its WAL journal and schema version in the file', () => {
    openStore().store.close();
    raw((db) => {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.prepare('SELECT version FROM schema_version').pluck().all()).toEqual([3]);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    });
  });
});

describe('background WAL checkpoints', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  const writeBatch = (store: SqliteRecordStore, from: number, n: number) =>
    store.saveStations(Array.from({ length: n }, (_, i) => ({ record: makeRecord(macOf(from + i), NOW), keys: makeKeys() })));
  // Polls a condition; the deadline only bounds a broken run (a busy machine is slow, not wrong).
  const until = async (what: string, ok: () => boolean, deadlineMs = 60_000) => {
    const end = Date.now() + deadlineMs;
    while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    if (!ok()) throw new Error(`timed out waiting for ${what}`);
  };

  const autoCheckpointPages = (store: SqliteRecordStore) =>
    (store as unknown as { db: Database.Database }).db.pragma('wal_autocheckpoint', { simple: true });

  it('copies commits into the database file from another thread, not inside the commit', async () => {
    const path = join(tmp.dir, 'kms.sqlite');
    const store = new SqliteRecordStore(path, randomBytes(32), { logger: captureLogger(), backgroundCheckpointMs: 10 });
    try {
      // The main connection no longer checkpoints in its commits...
      expect(autoCheckpointPages(store)).toBe(0);
      const before = statSync(path).size;
      writeBatch(store, 0, 8000);
      // ...and the thread copies them into the file anyway.
      await until('the pages in the database file', () => statSync(path).size > before + 1000 * 4096);
      expect(store.checkpointStats!.checkpoints).toBeGreaterThan(0);
      expect(store.checkpointStats!.errors).toBe(0);
    } finally {
      store.close();
    }
  });

  it('keeps the WAL bounded while commits never stop (the log is started over)', async () => {
    const path = join(tmp.dir, 'kms.sqlite');
    const store = new SqliteRecordStore(path, randomBytes(32), {
      logger: captureLogger(),
      backgroundCheckpointMs: 10,
      walRestartFrames: 500,
    });
    try {
      // A writer that never pauses for long: without the restart, PASSIVE checkpoints copy the
      // frames but the log is never started over, and the file grows by every commit. It writes
      // an amount, not for a time: a busy machine writes less per second.
      const deadline = Date.now() + 120_000;
      for (let i = 0; statSync(path).size <= 16 * 1024 * 1024 && Date.now() < deadline; i++) {
        writeBatch(store, i * 20, 20);
        await new Promise((r) => setImmediate(r));
      }
      const written = statSync(path).size;
      expect(store.checkpointStats!.restarts).toBeGreaterThan(0);
      // 500 frames is 2 MB; what the writer added between two passes comes on top.
      expect(statSync(`${path}-wal`).size).toBeLessThan(16 * 1024 * 1024);
      expect(written).toBeGreaterThan(16 * 1024 * 1024);
      expect(store.checkpointStats!.errors).toBe(0);
    } finally {
      store.close();
    }
  });

  it('goes back to checkpointing in commits, and says so, when the thread dies', async () => {
    const path = join(tmp.dir, 'kms.sqlite');
    const logger = captureLogger();
    const store = new SqliteRecordStore(path, randomBytes(32), { logger, backgroundCheckpointMs: 60_000 });
    try {
      // The only way to make the thread die on cue: end it from outside, as a crash would.
      const internals = store as unknown as { checkpointer: { worker: { terminate(): Promise<number> } } };
      await internals.checkpointer.worker.terminate();
      await until('the failure to be logged', () => logger.lines.some((l) => l.level === 'error'));
      expect(logger.lines.find((l) => l.level === 'error')!.msg).toMatch(/checkpoint thread stopped/);
      expect(store.checkpointStats).toBeNull();
      expect(autoCheckpointPages(store)).toBe(1000);
      const before = statSync(path).size;
      writeBatch(store, 0, 8000); // well over SQLite's 1,000-page automatic threshold
      expect(statSync(path).size).toBeGreaterThan(before + 1000 * 4096);
    } finally {
      store.close();
    }
  });
});

describe('placements', () => {
  it('reads a ledger written with the old state name "placed": sent for FT, added for OKC', () => {
    const t = tempDir();
    const path = join(t.dir, 'old.sqlite');
    const key = randomBytes(32);
    new SqliteRecordStore(path, key).close();
    const db = new Database(path);
    const insert =
      db.prepare(`INSERT INTO placements (sta_mac, bssid, kind, key_name, ap, state, via, placed_at, expires_at, attempts, last_error)
      VALUES (?, ?, ?, ?, 'ap2', 'placed', ?, ?, ?, 1, NULL)`);
    insert.run(macOf(1), '02:00:00:00:04:00', 'ft', 'aa', 'push', NOW, NOW + HOUR);
    insert.run(macOf(1), '02:00:00:00:04:00', 'okc', 'bb', 'pmksa-add', NOW, NOW + HOUR);
    db.close();
    const store = new SqliteRecordStore(path, key);
    try {
      const states = store.placements
        .loadPlacements(NOW)
        .map((p) => [p.kind, p.state])
        .sort();
      expect(states).toEqual([
        ['ft', 'sent'],
        ['okc', 'added'],
      ]);
    } finally {
      store.close();
      t.cleanup();
    }
  });

  it('keeps one row per station, BSSID, kind and key name, and purges by expiry', () => {
    const t = tempDir();
    const store = new SqliteRecordStore(join(t.dir, 'p.sqlite'), randomBytes(32));
    try {
      const base = {
        staMac: macOf(1),
        ap: 'ap2',
        bssid: '02:00:00:00:04:00',
        kind: 'ft' as const,
        keyName: 'aa',
        state: 'sent' as const,
        via: 'push' as const,
        placedAt: NOW,
        expiresAt: NOW + HOUR,
        attempts: 1,
        lastError: null,
      };
      store.placements.savePlacements([
        base,
        { ...base, bssid: '02:00:00:00:05:00', state: 'queued', placedAt: null, lastError: 'ssh down' },
      ]);
      store.placements.savePlacements([{ ...base, expiresAt: NOW + 2 * HOUR, attempts: 2 }]);
      const rows = store.placements.loadPlacements(NOW);
      expect(rows).toHaveLength(2);
      expect(rows.find((r) => r.bssid === '02:00:00:00:04:00')).toMatchObject({ attempts: 2, expiresAt: NOW + 2 * HOUR });
      expect(rows.find((r) => r.bssid === '02:00:00:00:05:00')).toMatchObject({ state: 'queued', lastError: 'ssh down', placedAt: null });
      expect(store.purgeExpired(NOW + HOUR + 1)).toBe(1);
      expect(store.placements.loadPlacements(NOW)).toHaveLength(1);
    } finally {
      store.close();
      t.cleanup();
    }
  });
});

function sortByMac<T extends { staMac: string }>(list: T[]): T[] {
  return [...list].sort((a, b) => a.staMac.localeCompare(b.staMac));
}
