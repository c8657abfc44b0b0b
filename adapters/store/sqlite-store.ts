// RecordStore on SQLite (better-sqlite3). One file, WAL journal, synchronous calls: the core
// relays an Access-Accept only after saveStations() returns, and better-sqlite3 returns only
// after SQLite has committed.
//
// Durability: WAL with synchronous=NORMAL. A commit appends its frames to the -wal file
// with write(2) before the call returns, but fsyncs only at checkpoints. Against a process
// crash (kill -9, OOM kill, a throw that takes the daemon down) that is enough: the written
// pages are in the kernel's page cache and reach the disk without the process, so every
// commit that returned survives (test/unit/store/crash.test.ts kills a writer to check it).
// What NORMAL gives up is power loss or a kernel crash: the commits since the last
// checkpoint may be lost (never corrupted: the WAL is checksummed and rolled back to the
// last good frame). synchronous=FULL fsyncs the WAL on every commit and closes that gap at
// several times the cost per autocommit write (docs/dependencies.md, "station store"). Choose
// FULL with `{ synchronous: 'FULL' }` where a power cut must not cost a re-authentication.
import { closeSync, existsSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { normalizeMac, parseMac } from '../../daemon/common/mac.js';
import type { Log } from '../../daemon/log/log.js';
import type { MachineAuthRecord, StationKeys, StationRecord } from '../../daemon/records/station.js';
import type { RecordStore, StationWrite } from '../../daemon/ports/record-store.js';
import { decodeStationKeys, encodeStationKeys, SealedBox } from './sealed-box.js';
import { migrate } from './schema.js';
import { SqlitePlacementTable } from './placement-table.js';
import { SqliteNeighborTable } from './neighbor-table.js';
import { SqliteClusterJournal } from './cluster-journal-table.js';
import { BackgroundCheckpointer } from './background-checkpoint.js';
import { guardStatements, type StatementGuard } from './statement-guard.js';

export interface SqliteStoreOptions {
  logger?: Log;
  /** NORMAL (default) survives process crashes; FULL also survives power loss. See above. */
  synchronous?: 'NORMAL' | 'FULL';
  /** How long a write waits for another connection's lock before SQLITE_BUSY. */
  busyTimeoutMs?: number;
  /**
   * Run WAL checkpoints on a background thread this often instead of inside commits (see
   * background-checkpoint.ts). Off (SQLite's automatic checkpoints) when absent or 0.
   */
  backgroundCheckpointMs?: number;
  /** How much nicer than the opening thread the checkpoint thread runs (0: the same). */
  checkpointThreadNice?: number;
  /** WAL size (4 KB frames) at which the checkpoint thread starts the log over (tests lower it). */
  walRestartFrames?: number;
  /** Another connection checkpoints this database (kmsd's RADIUS thread): this one never does. */
  checkpointsElsewhere?: boolean;
  /** Runs around every statement of this connection (kmsd's main thread: its priority ceiling). */
  statementGuard?: StatementGuard;
}

export class MasterKeyMismatchError extends Error {
  constructor(readonly path: string) {
    super(
      `the master key does not match the one store ${path} was written with ` +
        '(wrong master-key credential or file?); refusing to open it',
    );
    this.name = 'MasterKeyMismatchError';
  }
}

const KEY_CHECK_NAME = 'master_key_check';
const KEY_CHECK_PLAINTEXT = Buffer.from('hostapd-kms master key check v1');
const KEY_CHECK_CONTEXT = Buffer.from('key-check');

/**
 * Whether `masterKey` opens the store at `path`, without changing it (read-only; a missing file or
 * one not yet holding a key check is fine: start-up creates them). Returns the problem, or null.
 * kmsd --check and start-up call it, so a wrong key is a configuration error (exit 78), not a
 * start that fails every time systemd retries it.
 */
export function storeMasterKeyProblem(path: string, masterKey: Buffer): string | null {
  if (!existsSync(path)) return null;
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (e) {
    return `cannot open store ${path}: ${(e as Error).message}`;
  }
  const box = new SealedBox(masterKey, 'store/station-keys');
  try {
    const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").pluck().get();
    if (!hasMeta) return null;
    const stored = db.prepare('SELECT value FROM meta WHERE name = ?').pluck().get(KEY_CHECK_NAME) as Buffer | undefined;
    if (!stored) return null;
    const opened = box.open(stored, KEY_CHECK_CONTEXT);
    return opened.ok && opened.plaintext.equals(KEY_CHECK_PLAINTEXT) ? null : new MasterKeyMismatchError(path).message;
  } catch (e) {
    return `cannot read store ${path}: ${(e as Error).message}`;
  } finally {
    box.destroy();
    db.close();
  }
}

/** Without a logger (tools, tests), warnings and errors go to stderr. */
const consoleLogger: Log = {
  debug: () => {},
  info: () => {},
  warn: (fields, msg) => console.warn(msg, fields),
  error: (fields, msg) => console.error(msg, fields),
};

type Stmt = Database.Statement<unknown[]>;

export class SqliteRecordStore implements RecordStore {
  private readonly db: Database.Database;
  private readonly box: SealedBox;
  private readonly logger: Log;
  private readonly stmt: Record<
    | 'upsertRecord'
    | 'upsertWithKeys'
    | 'loadStationRows'
    | 'loadStationRow'
    | 'countStations'
    | 'loadKeys'
    | 'purgeStations'
    | 'purgeMachineAuths'
    | 'saveMachineAuth'
    | 'loadMachineAuths',
    Stmt
  >;
  private readonly importTx: (items: Iterable<StationWrite>) => number;
  private closed = false;
  private checkpointer: BackgroundCheckpointer | null = null;
  /** Key placements (distribution's ledger), on the same database. */
  readonly placements: SqlitePlacementTable;
  /** RF-neighbour graph edges, on the same database. */
  readonly neighbors: SqliteNeighborTable;
  /** What a cluster member keeps about replication (unused by a single kmsd), on the same database. */
  readonly cluster: SqliteClusterJournal;

  constructor(
    readonly path: string,
    masterKey: Buffer,
    opts: SqliteStoreOptions = {},
  ) {
    this.logger = opts.logger ?? consoleLogger;
    this.box = new SealedBox(masterKey, 'store/station-keys');
    // Create the file ourselves so it is 0600 whatever the umask (SQLite gives -wal and
    // -shm the main file's mode): records carry identities even though keys are sealed.
    if (path !== ':memory:' && !path.startsWith('file:')) closeSync(openSync(path, 'a', 0o600));
    try {
      this.db = new Database(path, { timeout: opts.busyTimeoutMs ?? 5000 });
      if (opts.statementGuard) guardStatements(this.db, opts.statementGuard);
    } catch (e) {
      this.box.destroy();
      throw new Error(`cannot open store ${path}: ${(e as Error).message}`, { cause: e });
    }
    try {
      this.configure(opts);
      migrate(this.db, path);
      this.checkMasterKey();
    } catch (e) {
      this.db.close();
      this.box.destroy();
      if (e instanceof MasterKeyMismatchError) throw e;
      throw new Error(`cannot open store ${path}: ${(e as Error).message}`, { cause: e });
    }

    const db = this.db;
    this.stmt = {
      // `keys = excluded.keys` only in the second form: a write with keys null keeps the blob.
      // And it updates only the same authentication: kmsd commits new authentications from its
      // RADIUS thread and accounting updates from the main one, so an update built from the
      // previous record must not overwrite a newer one committed meanwhile.
      upsertRecord: db.prepare(
        `INSERT INTO stations (sta_mac, record, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (sta_mac) DO UPDATE SET record = excluded.record, expires_at = excluded.expires_at
         WHERE json_extract(stations.record, '$.authenticatedAt') = json_extract(excluded.record, '$.authenticatedAt')`,
      ),
      upsertWithKeys: db.prepare(
        `INSERT INTO stations (sta_mac, record, expires_at, keys) VALUES (?, ?, ?, ?)
         ON CONFLICT (sta_mac) DO UPDATE
         SET record = excluded.record, expires_at = excluded.expires_at, keys = excluded.keys`,
      ),
      // NOT INDEXED: at start-up nearly every row is live, and a plain table scan beats
      // walking the expires_at index and looking each row up (measured 2.5x faster, 200k rows).
      loadStationRows: db.prepare(
        'SELECT sta_mac AS staMac, record AS json, expires_at AS expiresAt FROM stations NOT INDEXED WHERE expires_at > ?',
      ),
      loadKeys: db.prepare('SELECT keys FROM stations WHERE sta_mac = ?').pluck(),
      loadStationRow: db.prepare('SELECT record AS json, expires_at AS expiresAt FROM stations WHERE sta_mac = ?'),
      countStations: db.prepare('SELECT count(*) FROM stations WHERE expires_at > ?').pluck(),
      purgeStations: db.prepare('DELETE FROM stations WHERE expires_at <= ?'),
      purgeMachineAuths: db.prepare('DELETE FROM machine_auth WHERE expires_at <= ?'),
      saveMachineAuth: db.prepare(
        `INSERT INTO machine_auth (sta_mac, identity, at, expires_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (sta_mac) DO UPDATE
         SET identity = excluded.identity, at = excluded.at, expires_at = excluded.expires_at`,
      ),
      loadMachineAuths: db.prepare('SELECT sta_mac, identity, at FROM machine_auth WHERE expires_at > ?'),
    };
    if (opts.backgroundCheckpointMs)
      this.startCheckpointer(opts.backgroundCheckpointMs, opts.checkpointThreadNice ?? 0, opts.walRestartFrames);
    else if (opts.checkpointsElsewhere) db.pragma('wal_autocheckpoint = 0');
    this.placements = new SqlitePlacementTable(db);
    this.neighbors = new SqliteNeighborTable(db);
    this.cluster = new SqliteClusterJournal(db, (w) => this.write(w.record, w.keys, w.json ?? JSON.stringify(w.record)));
    this.importTx = db.transaction((items: Iterable<StationWrite>): number => {
      let n = 0;
      for (const { record, keys, json } of items) {
        this.write(record, keys, json ?? JSON.stringify(record));
        n++;
      }
      return n;
    });
  }

  /** Returns the sealed keys it stored (null for a write that keeps the stored ones). */
  private write(record: StationRecord, keys: StationKeys | null, json: string): Buffer | null {
    const mac = parseMac(record.staMac, 'station MAC');
    if (keys === null) {
      this.stmt.upsertRecord.run(mac, json, record.expiresAt);
      return null;
    }
    const sealed = this.sealKeys(mac, keys);
    this.stmt.upsertWithKeys.run(mac, json, record.expiresAt, sealed);
    return sealed;
  }

  /** Group commit of the proxy's saves, bulk imports, benchmarks: all or nothing, one commit. */
  saveStations(items: Iterable<StationWrite>): number {
    return this.importTx(items);
  }

  loadStationRows(now: number): Iterable<{ staMac: string; json: string; expiresAt: number }> {
    // iterate(): each row can be collected as soon as the caller is done with it.
    return this.stmt.loadStationRows.iterate(now) as IterableIterator<{ staMac: string; json: string; expiresAt: number }>;
  }

  loadStationRow(staMac: string): { json: string; expiresAt: number } | undefined {
    const mac = normalizeMac(staMac);
    return mac === null ? undefined : (this.stmt.loadStationRow.get(mac) as { json: string; expiresAt: number } | undefined);
  }

  countStations(now: number): number {
    return this.stmt.countStations.get(now) as number;
  }

  loadKeys(staMac: string): StationKeys | null {
    const mac = normalizeMac(staMac);
    if (mac === null) return null;
    const blob = this.stmt.loadKeys.get(mac) as Buffer | null | undefined;
    if (!blob) return null;
    const opened = this.box.open(blob, keysContext(mac));
    if (!opened.ok) {
      // Fields name the station and the reason only: never key or blob bytes.
      this.logger.warn({ staMac: mac, reason: opened.reason }, 'stored station keys cannot be used; treating the station as having none');
      return null;
    }
    try {
      return decodeStationKeys(opened.plaintext);
    } catch (e) {
      this.logger.warn(
        { staMac: mac, reason: (e as Error).message },
        'stored station keys are malformed; treating the station as having none',
      );
      return null;
    } finally {
      opened.plaintext.fill(0);
    }
  }

  purgeExpired(now: number): number {
    // "Expired before now" is expires_at <= now: the complement of loadStationRows' filter.
    return this.db.transaction(
      () =>
        this.stmt.purgeStations.run(now).changes +
        this.stmt.purgeMachineAuths.run(now).changes +
        this.placements.purgeExpired(now) +
        this.cluster.purgeOrphans(),
    )();
  }

  saveMachineAuth(auth: MachineAuthRecord, expiresAt: number): void {
    this.stmt.saveMachineAuth.run(parseMac(auth.staMac, 'station MAC'), auth.identity, auth.at, expiresAt);
  }

  loadMachineAuths(now: number): MachineAuthRecord[] {
    const rows = this.stmt.loadMachineAuths.all(now) as { sta_mac: string; identity: string; at: number }[];
    return rows.map((r) => ({ staMac: r.sta_mac, identity: r.identity, at: r.at }));
  }

  /** Checkpoints run by the background thread; null when SQLite checkpoints by itself. */
  get checkpointStats(): BackgroundCheckpointer['stats'] | null {
    return this.checkpointer?.stats ?? null;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    void this.checkpointer?.stop();
    this.db.close();
    this.box.destroy();
  }

  private startCheckpointer(intervalMs: number, nice: number, restartFrames: number | undefined): void {
    this.db.pragma('wal_autocheckpoint = 0');
    this.checkpointer = new BackgroundCheckpointer(
      this.path,
      intervalMs,
      {
        failed: (reason) => {
          this.checkpointer = null;
          if (this.closed) return;
          // Without checkpoints the WAL would grow without bound: SQLite takes them over again.
          this.db.pragma('wal_autocheckpoint = 1000');
          this.logger.error({ reason }, 'background WAL checkpoint thread stopped; commits checkpoint again (latency spikes possible)');
        },
        warning: (message) => this.logger.warn({}, message),
      },
      nice,
      restartFrames,
    );
  }

  private configure(opts: SqliteStoreOptions): void {
    const mode = this.db.pragma('journal_mode = WAL', { simple: true });
    if (String(mode).toLowerCase() !== 'wal') {
      throw new Error(`SQLite refused WAL mode (journal_mode is ${String(mode)}); is the file on a network file system?`);
    }
    this.db.pragma(`synchronous = ${opts.synchronous === 'FULL' ? 'FULL' : 'NORMAL'}`);
    this.db.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 5000))}`);
    // When the log is started over, the file is cut back to this (background-checkpoint.ts).
    this.db.pragma('journal_size_limit = 67108864');
  }

  /**
   * A new file gets a sealed known constant; an existing one must open with this key.
   * Failing here, at start-up, beats every station silently losing its keys later.
   */
  private checkMasterKey(): void {
    const select = this.db.prepare('SELECT value FROM meta WHERE name = ?').pluck();
    const stored = this.db
      .transaction((): Buffer => {
        const existing = select.get(KEY_CHECK_NAME) as Buffer | undefined;
        if (existing) return existing;
        const sealed = this.box.seal(KEY_CHECK_PLAINTEXT, KEY_CHECK_CONTEXT);
        this.db.prepare('INSERT INTO meta (name, value) VALUES (?, ?)').run(KEY_CHECK_NAME, sealed);
        return sealed;
      })
      .immediate();
    const opened = this.box.open(stored, KEY_CHECK_CONTEXT);
    if (!opened.ok || !opened.plaintext.equals(KEY_CHECK_PLAINTEXT)) throw new MasterKeyMismatchError(this.path);
  }

  private sealKeys(mac: string, keys: StationKeys): Buffer {
    const plain = encodeStationKeys(keys);
    try {
      return this.box.seal(plain, keysContext(mac));
    } finally {
      plain.fill(0);
    }
  }
}

/** AAD context of a station's keys: the row they belong to (the version octet is added by the box). */
function keysContext(mac: string): Buffer {
  return Buffer.from(`station-keys\0${mac}`);
}
