import { normalizeMac } from '../common/mac.js';
import type { ApRef } from '../records/station.js';
import type { Topology } from '../distribution/topology.js';

// The places a station can be, as StationLife compares them: a BSS of a configured AP, named the
// way RADIUS names it (BSSID, NAS-Identifier, the AP's RADIUS address) so that a place reported by
// accounting, by an AP event or by a capture is the same place.

export interface ApPlaces {
  /** BSS `ifname` of the AP named `ap` (where an AP event happened), or null if not configured. */
  bssOf(ap: string, ifname: string): ApRef | null;
  /** The configured BSS with this BSSID (where a captured roam went), or null. */
  bssid(bssid: string): ApRef | null;
}

/** The places of the distribution topology; it is read at each lookup, so a reload is seen at once. */
export function topologyPlaces(topology: Topology): ApPlaces {
  const place = (apName: string, bssid: string): ApRef | null => {
    const ap = topology.ap(apName);
    return ap ? { bssid, nasIdentifier: ap.nasIdentifier, clientAddress: ap.radiusAddress } : null;
  };
  return {
    bssOf: (ap, ifname) => {
      const bss = topology.ap(ap)?.bsses.find((b) => b.ifname === ifname);
      return bss ? place(ap, bss.bssid) : null;
    },
    bssid: (bssid) => {
      const bss = topology.bss(normalizeMac(bssid) ?? bssid);
      return bss ? place(bss.ap, bss.bssid) : null;
    },
  };
}

/** One BSS: by BSSID when both places have one, else by the AP's RADIUS address. */
export function samePlace(a: ApRef, b: ApRef): boolean {
  if (a.bssid !== null && b.bssid !== null) return (normalizeMac(a.bssid) ?? a.bssid) === (normalizeMac(b.bssid) ?? b.bssid);
  return a.clientAddress === b.clientAddress;
}
