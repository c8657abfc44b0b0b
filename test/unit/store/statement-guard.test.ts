import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { guardStatements, type StatementGuard } from '../../../adapters/store/statement-guard.js';
import { SqliteRecordStore } from '../../../adapters/store/sqlite-store.js';
import { makeKeys, makeRecord, tempDir } from './fixtures.js';

// The guard stands for kmsd's priority ceiling: it records how deep it is, so each test sees
// which calls ran inside it and that nested ones (statements in a transaction) entered it once.
class CountingGuard implements StatementGuard {
  depth = 0;
  outermost = 0;
  run<T>(fn: () => T): T {
    if (this.depth === 0) this.outermost++;
    this.depth++;
    try {
      return fn();
    } finally {
      this.depth--;
    }
  }
}

describe('guardStatements', () => {
  let db: Database.Database;
  let guard: CountingGuard;
  beforeEach(() => {
    db = new Database(':memory:');
    guard = new CountingGuard();
    guardStatements(db, guard);
  });
  afterEach(() => db.close());

  it('runs exec, pragma, run, get, all and every step of iterate inside the guard', () => {
    db.exec('CREATE TABLE t (n INTEGER)');
    db.pragma('user_version = 3');
    const ins = db.prepare('INSERT INTO t VALUES (?)');
    for (const n of [1, 2, 3]) ins.run(n);
    expect(guard.outermost).toBe(5);
    // pluck() returns the same statement: the guard stays on it.
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(3);
    expect(db.prepare('SELECT n FROM t ORDER BY n').all()).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(guard.outermost).toBe(7);
    const seen: number[] = [];
    for (const row of db.prepare('SELECT n FROM t ORDER BY n').iterate() as Iterable<{ n: number }>) {
      seen.push(row.n);
      expect(guard.depth).toBe(0); // not held while the caller works on a row
    }
    expect(seen).toEqual([1, 2, 3]);
    // The iterator is made inside the guard, then each of its 4 steps (3 rows and the end).
    expect(guard.outermost).toBe(12);
    // Leaving an iteration early closes the statement inside the guard too.
    for (const _ of db.prepare('SELECT n FROM t').iterate()) break;
    expect(guard.outermost).toBe(15);
    expect(db.pragma('user_version', { simple: true })).toBe(3);
  });

  it('enters once per transaction, whatever runs inside it, in every transaction mode', () => {
    db.exec('CREATE TABLE t (n INTEGER)');
    const ins = db.prepare('INSERT INTO t VALUES (?)');
    const many = db.transaction((ns: number[]) => {
      for (const n of ns) ins.run(n);
      return ns.length;
    });
    const before = guard.outermost;
    expect(many([1, 2, 3])).toBe(3);
    expect(many.immediate([4, 5])).toBe(2);
    expect(many.deferred([6])).toBe(1);
    expect(many.exclusive([7])).toBe(1);
    expect(guard.outermost - before).toBe(4);
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(7);
  });

  it('passes errors through and leaves the guard', () => {
    expect(() => db.prepare('SELECT * FROM missing')).toThrow(/no such table/);
    db.exec('CREATE TABLE t (n INTEGER NOT NULL)');
    expect(() => db.prepare('INSERT INTO t VALUES (NULL)').run()).toThrow(/NOT NULL/);
    expect(guard.depth).toBe(0);
  });
});

describe('SqliteRecordStore with a statement guard', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  it('puts every statement of the store and its tables inside the guard', () => {
    const guard = new CountingGuard();
    const store = new SqliteRecordStore(join(tmp.dir, 'kms.sqlite'), randomBytes(32), { statementGuard: guard });
    try {
      const opened = guard.outermost;
      expect(opened).toBeGreaterThan(0); // configuration, migration and the key check
      const rec = makeRecord('02:00:00:00:01:00', Date.now());
      store.saveStations([{ record: rec, keys: makeKeys() }]);
      expect(guard.outermost).toBe(opened + 1);
      expect(store.loadStationRow(rec.staMac)).toBeDefined();
      expect(store.loadKeys(rec.staMac)).not.toBeNull();
      expect(guard.outermost).toBe(opened + 3);
      expect(guard.depth).toBe(0);
    } finally {
      store.close();
    }
  });
});
