// How long a restart takes to get its stations back: write n realistic records (with
// sealed keys) in one transaction, close, reopen, time reading and parsing every record
// (loadStationRows, as StationTable.list() does). Keys are not decrypted on reload (the core asks for them per station, when it places them).
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SqliteRecordStore } from '../adapters/store/sqlite-store.js';
import { bytesToMac } from '../daemon/common/mac.js';
import type { StationWrite } from '../daemon/ports/record-store.js';
import type { StationRecord } from '../daemon/records/station.js';

export interface StoreReloadResult {
  n: number;
  /** Generating, sealing and inserting n records in one transaction. */
  writeSeconds: number;
  /** Reopening the file, reading and parsing all n (the fastest of `reloads` tries). */
  reloadSeconds: number;
}

export interface StoreReloadOptions {
  /** Reload this many times and report the fastest: filters out other load on the machine. */
  reloads?: number;
  /** Where to put the temporary database (default: the OS temp dir). */
  dir?: string;
}

export async function benchStoreReload(n: number, opts: StoreReloadOptions = {}): Promise<StoreReloadResult> {
  const workDir = mkdtempSync(join(opts.dir ?? tmpdir(), 'kms-store-bench-'));
  const path = join(workDir, 'kms.db');
  const masterKey = randomBytes(32);
  const now = Date.now();
  try {
    const store = new SqliteRecordStore(path, masterKey);
    const t0 = performance.now();
    const written = store.saveStations(sampleStations(n, now));
    const writeSeconds = (performance.now() - t0) / 1000;
    store.close();
    if (written !== n) throw new Error(`imported ${written} of ${n} records`);

    let reloadSeconds = Infinity;
    for (let i = 0; i < Math.max(1, opts.reloads ?? 1); i++) {
      const t = performance.now();
      const reopened = new SqliteRecordStore(path, masterKey);
      const loaded: StationRecord[] = [];
      for (const row of reopened.loadStationRows(now)) loaded.push(JSON.parse(row.json) as StationRecord);
      reloadSeconds = Math.min(reloadSeconds, (performance.now() - t) / 1000);
      reopened.close();
      if (loaded.length !== n) throw new Error(`reloaded ${loaded.length} of ${n} records`);
    }
    return { n, writeSeconds, reloadSeconds };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** Records shaped like an FT-EAP station after accounting started, about 750 octets of JSON each. */
export function* sampleStations(n: number, now: number): Generator<StationWrite> {
  // Random octets come from one pool: randomBytes() per field would cost more than the store.
  const pool = randomBytes(1 << 20);
  const octets = (i: number, len: number): Buffer => {
    const at = (i * 131) % (pool.length - len);
    return pool.subarray(at, at + len);
  };
  for (let i = 0; i < n; i++) {
    const staMac = macFor(0x020000000000 + i);
    const ap = {
      bssid: macFor(0x0a0000000000 + (i % 400)),
      nasIdentifier: `ap-${i % 400}.example.net`,
      clientAddress: `10.1.${(i >> 8) & 255}.${i & 255}`,
    };
    const record: StationRecord = {
      staMac,
      ap,
      currentAp: { ...ap, since: now - 1000 },
      ssid: 'corp-wifi',
      mdid: 'a1b2',
      akm: 0x000fac03,
      pairwiseCipher: 0x000fac04,
      identity: `user${i}@corp.example.org`,
      cui: `cui-${i.toString(16).padStart(8, '0')}`,
      classes: [octets(i + 1, 16).toString('hex')],
      vlan: { untagged: 100 + (i % 20), tagged: [] },
      role: { filterId: 'employee', arubaUserRole: null },
      machineAuth: {
        authenticated: i % 3 === 0,
        identity: i % 3 === 0 ? `host/pc${i}.corp.example.org` : null,
        at: i % 3 === 0 ? now - 60_000 : null,
      },
      sessionTimeout: 28_800,
      acctSessionId: `5F3A${i.toString(16).padStart(12, '0')}`,
      session: 'active',
      pmkR0Name: octets(i + 2, 16).toString('hex'),
      hasPmk: true,
      authenticatedAt: now - 5000,
      updatedAt: now - 1000,
      expiresAt: now + 28_800_000,
    };
    const keys = { pmk: octets(i, 32), mpmk: octets(i + 3, 32), pmkR0: octets(i + 4, 32), pmkR0Name: octets(i + 2, 16) };
    yield { record, keys };
  }
}

function macFor(value: number): string {
  const b = Buffer.alloc(6);
  b.writeUIntBE(value, 0, 6);
  return bytesToMac(b);
}
