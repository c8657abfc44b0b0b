import { akmName, derivePmkid, AKM, type HostapdVersion } from '../keys/index.js';
import { macToBytes } from '../common/mac.js';
import type { StationKeys, StationRecord } from '../records/station.js';

// What the API shows about a station: the record (which never holds keys) plus the non-secret
// names a network engineer compares with hostapd's logs: PMKR0Name and the PMKID per BSSID.

export interface StationView extends StationRecord {
  akmName: string | null;
  /** Present when a BSSID was asked for and the station has a PMK. */
  pmkid?: string;
  pmkidBssid?: string;
  /** The hostapd release line whose PMKID convention was used (the AP's distribution.aps[].hostapdVersion). */
  pmkidHostapd?: HostapdVersion;
}

/**
 * The PMKID a station presents at `bssid` for PMKSA caching/OKC. hostapd caches MSK[32..63]
 * for FT-EAP and the ordinary PMK otherwise (docs/hostapd-interfaces.md, "What comes from the MSK"),
 * and so do we. `hostapd` is the release line of the AP at that BSSID: FT-EAP's PMKID is
 * HMAC-SHA-1 up to 2.10, HMAC-SHA-256 from 2.11.
 */
export function pmkidFor(record: StationRecord, keys: StationKeys, bssid: string, hostapd: HostapdVersion = '2.10'): string | null {
  const akm = record.akm ?? AKM.IEEE8021X;
  const pmk = akm === AKM.FT_IEEE8021X ? keys.mpmk : keys.pmk;
  if (!pmk) return null;
  return derivePmkid(pmk, macToBytes(bssid), macToBytes(record.staMac), akm, { hostapd }).toString('hex');
}

export function stationView(record: StationRecord, pmkid?: { bssid: string; value: string | null; hostapd?: HostapdVersion }): StationView {
  const view: StationView = { ...record, akmName: record.akm === null ? null : akmName(record.akm) };
  if (pmkid?.value) {
    view.pmkid = pmkid.value;
    view.pmkidBssid = pmkid.bssid;
    if (pmkid.hostapd) view.pmkidHostapd = pmkid.hostapd;
  }
  return view;
}

/** One configured AP in GET /v1/aps: how the KMS reaches it and what waits for it. */
export interface ApStatusView {
  name: string;
  nasIdentifier: string;
  radiusClient: string;
  bsses: { ifname: string; bssid: string }[];
  /** The hostapd control channel; `up` is null when none is configured (kind 'none'). */
  control: { kind: string; up: boolean | null; changedAt: number | null; reason: string | null };
  /** Placements queued until the AP is reachable. */
  queued: number;
  /** Its current neighbour list (RF graph when discovery is on, else the static list). */
  neighbors: string[];
}

/** GET /v1/aps: each configured AP with its channel's state, its queue and its neighbour list. */
export function apStatusViews(
  aps: Iterable<{
    name: string;
    nasIdentifier: string;
    radiusClient: string;
    bsses: { ifname: string; bssid: string }[];
    control: { kind: string };
  }>,
  state: {
    /** Whether the AP's control channel is connected; null when it has none. */
    connected(ap: string): boolean | null;
    lastChange(ap: string): { at: number; reason: string | null } | undefined;
    queued: Record<string, number>;
    neighborsOf(ap: string): string[];
  },
): ApStatusView[] {
  return [...aps].map((a) => {
    const change = state.lastChange(a.name);
    return {
      name: a.name,
      nasIdentifier: a.nasIdentifier,
      radiusClient: a.radiusClient,
      bsses: a.bsses.map((b) => ({ ifname: b.ifname, bssid: b.bssid })),
      control: { kind: a.control.kind, up: state.connected(a.name), changedAt: change?.at ?? null, reason: change?.reason ?? null },
      queued: state.queued[a.name] ?? 0,
      neighbors: state.neighborsOf(a.name),
    };
  });
}
