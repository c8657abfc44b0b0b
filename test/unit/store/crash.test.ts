// A writer killed with SIGKILL mid-burst loses nothing that saveStations() had returned for:
// the durability the RADIUS proxy relies on before relaying an Access-Accept (WAL,
// synchronous=NORMAL; see sqlite-store.ts for why that suffices against process crashes).
//
// The child is a real `node` process, not a vitest worker: save-burst.mjs imports the
// TypeScript store through child/ts-hooks.mjs, so no build is needed first.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteRecordStore } from '../../../adapters/store/sqlite-store.js';
import { burstKeys, burstMac } from './child/burst-keys.mjs';
import { liveRecords } from './fixtures.js';
import { tempDir } from './fixtures.js';

const CHILD_DIR = fileURLToPath(new URL('./child/', import.meta.url));
const KILL_AFTER = 3000; // saves printed before the kill
const MAX_SAVES = 1_000_000; // far more than fit before the kill arrives

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir('kms-crash-');
});
afterEach(() => tmp.cleanup());

// 0: SQLite checkpoints inside commits. 20: a background thread checkpoints every 20 ms
// (kmsd's mode), so the kill can land during a checkpoint copying pages into the file.
describe.each([0, 20])('background checkpoint every %i ms (0 = off)', (checkpointMs) => {
  it('keeps every save that returned before a SIGKILL', async () => {
    const path = join(tmp.dir, 'kms.sqlite');
    const key = randomBytes(32);
    const child = spawn(
      process.execPath,
      [
        '--import',
        join(CHILD_DIR, 'register-ts.mjs'),
        join(CHILD_DIR, 'save-burst.mjs'),
        path,
        key.toString('hex'),
        String(MAX_SAVES),
        String(checkpointMs),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const printed: string[] = [];
    let stderr = '';
    let partial = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        const m = /^(\d+) (\S+)$/.exec(line);
        if (m) printed.push(m[2]);
      }
      if (printed.length >= KILL_AFTER && child.exitCode === null && !child.killed) child.kill('SIGKILL');
    });
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    expect(stderr).toBe('');
    expect(exit.signal).toBe('SIGKILL'); // killed mid-burst, not finished
    expect(printed.length).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(printed.length).toBeLessThan(MAX_SAVES);

    // The file as the kill left it: the -wal still holds the tail of the burst. With checkpoints
    // (either kind) most pages are in the database file itself by now: proof the thread ran.
    expect(statSync(path).size).toBeGreaterThan(256 * 1024);
    const db = new Database(path, { readonly: true });
    const inFile = db.prepare('SELECT count(*) FROM stations').pluck().get() as number;
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();

    const store = new SqliteRecordStore(path, key);
    try {
      const saved = new Set(liveRecords(store, Date.now()).map((r) => r.staMac));
      const missing = printed.filter((mac) => !saved.has(mac));
      expect(missing).toEqual([]);
      // At most the one save in flight when the signal landed can be in the file unprinted.
      expect(inFile - printed.length).toBeLessThanOrEqual(1);
      for (const i of [0, Math.floor(printed.length / 2), printed.length - 1]) {
        expect(store.loadKeys(burstMac(i))).toEqual(burstKeys(i));
      }
    } finally {
      store.close();
    }
    console.log(`SIGKILL after ${printed.length} returned saves; ${inFile} rows in the file, none missing`);
  }, 60_000);
});
