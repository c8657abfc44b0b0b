import type { SessionState, StationRecord } from './station.js';

// Where a station is now, for whoever must reach the AP that serves it (the dynamic authorization
// proxy: a Disconnect- or CoA-Request names a session, and the KMS forwards it to that AP). A
// port: the station table implements it today; a station-life service can take its place.

/** What a request names; every field given must match (RFC 5176 §3). Null = not given. */
export interface StationQuery {
  staMac: string | null;
  userName: string | null;
  acctSessionId: string | null;
  cui: string | null;
}

export interface StationLocation {
  staMac: string;
  /** Source address of the RADIUS packets of the AP the station is at now. */
  clientAddress: string;
  nasIdentifier: string | null;
  bssid: string | null;
  session: SessionState;
  identity: string | null;
}

export interface StationLocator {
  /** The stations the query names, at most `limit` (a query matching more is answered with those). */
  locate(query: StationQuery, limit: number): StationLocation[];
}

/** The station table's side of the port: one record by MAC, or all of them. */
export interface StationSource {
  get(staMac: string): StationRecord | undefined;
  list(): StationRecord[];
}

/**
 * StationLocator over the station records. With a Calling-Station-Id it is one indexed read; a
 * query by User-Name, Acct-Session-Id or CUI alone reads every record (no index on them): fine at
 * the rate an AAA server disconnects users, and never on the RADIUS thread.
 */
export class RecordStationLocator implements StationLocator {
  constructor(private readonly records: StationSource) {}

  locate(query: StationQuery, limit: number): StationLocation[] {
    const candidates = query.staMac !== null ? [this.records.get(query.staMac)].filter((r) => r !== undefined) : this.records.list();
    const out: StationLocation[] = [];
    for (const r of candidates) {
      if (!matches(r, query)) continue;
      out.push(locationOf(r));
      if (out.length >= limit) break;
    }
    return out;
  }
}

function matches(r: StationRecord, q: StationQuery): boolean {
  return (
    (q.staMac === null || r.staMac === q.staMac) &&
    (q.userName === null || r.identity === q.userName) &&
    (q.acctSessionId === null || (r.acctSessionId !== null && r.acctSessionId.toLowerCase() === q.acctSessionId.toLowerCase())) &&
    (q.cui === null || r.cui === q.cui)
  );
}

/** Where accounting last saw it, else where it authenticated. */
export function locationOf(r: StationRecord): StationLocation {
  const at = r.currentAp ?? r.ap;
  return {
    staMac: r.staMac,
    clientAddress: at.clientAddress,
    nasIdentifier: at.nasIdentifier,
    bssid: at.bssid,
    session: r.session,
    identity: r.identity,
  };
}
