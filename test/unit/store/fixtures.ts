// Records, keys and temp directories shared by the store tests.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StationKeys, StationRecord } from '../../../daemon/records/station.js';
import type { Log } from '../../../daemon/log/log.js';
import type { RecordStore } from '../../../daemon/ports/record-store.js';

export const HOUR = 3_600_000;

export function tempDir(prefix = 'kms-store-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function macOf(i: number): string {
  return (0x020000000000 + i)
    .toString(16)
    .padStart(12, '0')
    .replace(/(..)(?!$)/g, '$1:');
}

export function makeRecord(staMac: string, now: number, overrides: Partial<StationRecord> = {}): StationRecord {
  return {
    staMac,
    ap: { bssid: '0a:00:00:00:00:01', nasIdentifier: 'ap1.example.net', clientAddress: '10.0.0.1' },
    currentAp: null,
    ssid: 'corp',
    mdid: 'a1b2',
    akm: 0x000fac03,
    pairwiseCipher: 0x000fac04,
    identity: `identity-of-${staMac}@example.org`,
    cui: null,
    classes: ['c1a55e'],
    vlan: { untagged: 42, tagged: [7, 8] },
    role: { filterId: 'staff', arubaUserRole: null },
    machineAuth: { authenticated: false, identity: null, at: null },
    sessionTimeout: 3600,
    acctSessionId: null,
    session: 'authenticated',
    pmkR0Name: null,
    hasPmk: true,
    authenticatedAt: now,
    updatedAt: now,
    expiresAt: now + HOUR,
    ...overrides,
  };
}

export function makeKeys(): StationKeys {
  return { pmk: randomBytes(32), mpmk: randomBytes(32), pmkR0: randomBytes(48), pmkR0Name: randomBytes(16) };
}

/** Records every call, so tests can look at what was logged (and what was not). */
export function captureLogger(): Log & { lines: { level: string; fields: Record<string, unknown>; msg: string }[] } {
  const lines: { level: string; fields: Record<string, unknown>; msg: string }[] = [];
  return {
    lines,
    debug: (fields, msg) => lines.push({ level: 'debug', fields: fields as Record<string, unknown>, msg }),
    info: (fields, msg) => lines.push({ level: 'info', fields: fields as Record<string, unknown>, msg }),
    warn: (fields, msg) => lines.push({ level: 'warn', fields: fields as Record<string, unknown>, msg }),
    error: (fields, msg) => lines.push({ level: 'error', fields: fields as Record<string, unknown>, msg }),
  };
}

/** One station written as kmsd writes it: saveStations, one commit. */
export function save(store: RecordStore, record: StationRecord, keys: StationKeys | null): void {
  store.saveStations([{ record, keys }]);
}

/** Every unexpired record, parsed, as StationTable.list() reads them. */
export function liveRecords(store: RecordStore, now: number): StationRecord[] {
  return [...store.loadStationRows(now)].map((r) => JSON.parse(r.json) as StationRecord);
}
