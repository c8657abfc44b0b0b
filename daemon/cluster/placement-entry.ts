import { migratePlacementState, type Placement } from '../distribution/placement.js';

// The placement ledger's entries in the cluster store (replicated-ledger.ts writes them, every
// member reads them). Version 2: one entry per station and writing member, holding all of that
// member's placements of the station, so placing a station on 8 BSSes costs one put, not 8.
// Version 1 (one entry per placement, under the station's MAC) is not read: no release carried it.
// Key names only: no key material.

export const PLACEMENT_ENTRY_VERSION = 2;

/** The value of one station's entry: its placements made by `member`. */
export function encodePlacementEntry(member: string, staMac: string, placements: Iterable<Placement>): Buffer {
  const list = [...placements].map(({ staMac: _sta, ...rest }) => rest);
  return Buffer.from(JSON.stringify({ v: PLACEMENT_ENTRY_VERSION, member, sta: staMac, placements: list }));
}

/** The entry's placements and its writer, or why it cannot be used. */
export function parsePlacementEntry(value: Buffer): { member: string; placements: Placement[] } | string {
  let o: { v?: unknown; member?: unknown; sta?: unknown; placements?: unknown };
  try {
    o = JSON.parse(value.toString('utf8'));
  } catch {
    return 'not JSON';
  }
  if (o?.v !== PLACEMENT_ENTRY_VERSION) return `entry version ${String(o?.v)}`;
  if (typeof o.member !== 'string') return 'no member';
  if (typeof o.sta !== 'string' || !Array.isArray(o.placements)) return 'no station or placements';
  const placements: Placement[] = [];
  for (const item of o.placements) {
    const p = placementOf(item, o.sta);
    if (typeof p === 'string') return p;
    placements.push(p);
  }
  return { member: o.member, placements };
}

/** One placement from its JSON form, of station `staMac` (named once, by the entry). */
function placementOf(value: unknown, staMac: string): Placement | string {
  if (!value || typeof value !== 'object') return 'no placement';
  const p: Partial<Placement> = { ...(value as Partial<Placement>), staMac };
  const strings = ['staMac', 'ap', 'bssid', 'kind', 'keyName', 'state', 'via'] as const;
  if (strings.some((f) => typeof p[f] !== 'string')) return 'placement field missing';
  if (typeof p.expiresAt !== 'number' || typeof p.attempts !== 'number') return 'placement times missing';
  return {
    staMac: p.staMac!,
    ap: p.ap!,
    bssid: p.bssid!,
    kind: p.kind!,
    keyName: p.keyName!,
    state: migratePlacementState(p.state!, p.kind!),
    via: p.via!,
    placedAt: typeof p.placedAt === 'number' ? p.placedAt : null,
    expiresAt: p.expiresAt,
    attempts: p.attempts,
    lastError: typeof p.lastError === 'string' ? p.lastError : null,
  };
}
