import { normalizeMac } from '../common/mac.js';
import type { SealedStationRow } from '../ports/cluster-journal.js';

// The value of `stations/<sta>` in the cluster store: the station's row as SQLite holds it (record
// JSON, expiry, keys sealed under the master key) plus who committed it and when. JSON, so an
// operator's `etcdctl get` shows what is there, and nothing in it opens without the master key.

export const STATION_ENTRY_VERSION = 1;

export interface StationEntry {
  row: SealedStationRow;
  /** The member that relayed the Access-Accept. */
  member: string;
  /** When that member committed it (its clock, ms): replication lag is measured from it. */
  committedAt: number;
}

export function encodeStationEntry(e: StationEntry): Buffer {
  const r = e.row;
  return Buffer.from(
    JSON.stringify({
      v: STATION_ENTRY_VERSION,
      member: e.member,
      committedAt: e.committedAt,
      staMac: r.staMac,
      authenticatedAt: r.authenticatedAt,
      expiresAt: r.expiresAt,
      record: r.json,
      keys: r.sealedKeys ? r.sealedKeys.toString('base64') : null,
      ...(r.keysKept ? { keysKept: true } : {}),
    }),
  );
}

export type DecodedStationEntry = { ok: true; entry: StationEntry } | { ok: false; reason: string };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Never throws: a value another version or a stray writer put there is reported, not trusted. */
export function decodeStationEntry(value: Buffer, expectedMac: string): DecodedStationEntry {
  let o: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(value.toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { ok: false, reason: 'not a JSON object' };
    o = parsed as Record<string, unknown>;
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (o.v !== STATION_ENTRY_VERSION) return { ok: false, reason: `entry version ${String(o.v)}, expected ${STATION_ENTRY_VERSION}` };
  if (typeof o.member !== 'string' || o.member === '') return { ok: false, reason: 'no member' };
  const staMac = typeof o.staMac === 'string' ? normalizeMac(o.staMac) : null;
  if (staMac === null) return { ok: false, reason: 'no station MAC' };
  if (staMac !== expectedMac) return { ok: false, reason: `entry of ${staMac} under the key of ${expectedMac}` };
  for (const f of ['committedAt', 'authenticatedAt', 'expiresAt'] as const) {
    if (typeof o[f] !== 'number' || !Number.isSafeInteger(o[f])) return { ok: false, reason: `${f} is not an integer` };
  }
  if (typeof o.record !== 'string') return { ok: false, reason: 'no record' };
  let record: unknown;
  try {
    record = JSON.parse(o.record);
  } catch {
    return { ok: false, reason: 'record is not JSON' };
  }
  const rec = record as { staMac?: unknown; authenticatedAt?: unknown } | null;
  if (typeof rec !== 'object' || rec === null || rec.staMac !== staMac || rec.authenticatedAt !== o.authenticatedAt) {
    return { ok: false, reason: "record does not match the entry's station and authentication" };
  }
  if (o.keys !== null && (typeof o.keys !== 'string' || !BASE64.test(o.keys) || o.keys.length === 0)) {
    return { ok: false, reason: 'keys are not base64' };
  }
  return {
    ok: true,
    entry: {
      member: o.member,
      committedAt: o.committedAt as number,
      row: {
        staMac,
        json: o.record,
        expiresAt: o.expiresAt as number,
        authenticatedAt: o.authenticatedAt as number,
        sealedKeys: o.keys === null ? null : Buffer.from(o.keys as string, 'base64'),
        ...(o.keysKept === true ? { keysKept: true } : {}),
      },
    },
  };
}
