import { normalizeMac } from '../common/mac.js';
import type { HostapdVersion } from '../keys/akm.js';

// Which APs exist and which BSSes they serve, built from the config and replaced whole on a
// reload (replace()): readers only ever go through the lookups below, so the R0KH-R1KH thread
// runs the same lookups over its own copy. Who neighbours whom is a NeighborSource: the RF graph
// (daemon/neighbors) with discovery on, StaticNeighbors (the configured lists) without it.

export interface BssInfo {
  ap: string;
  ifname: string;
  bssid: string;
  /** R1KH-ID: r1_key_holder if configured, else the BSSID. */
  r1khId: string;
  /** The AP's hostapd release line (distribution.aps[].hostapdVersion); absent means 2.10. */
  hostapdVersion?: HostapdVersion;
}

export interface ApInfo {
  name: string;
  nasIdentifier: string;
  /** RADIUS source address of the AP (from its radius.clients entry). */
  radiusAddress: string;
  bsses: BssInfo[];
}

export interface NeighborSource {
  /** AP names to prime when a station is at `ap`, best first. */
  neighborsOf(ap: string): string[];
}

export class Topology {
  private readonly byName = new Map<string, ApInfo>();
  private readonly byNasId = new Map<string, ApInfo>();
  private readonly byAddress = new Map<string, ApInfo>();
  private readonly byBssid = new Map<string, BssInfo>();

  constructor(aps: ApInfo[]) {
    this.replace(aps);
  }

  /** A reload's AP list: afterwards every lookup answers from `aps` alone. */
  replace(aps: ApInfo[]): void {
    this.byName.clear();
    this.byNasId.clear();
    this.byAddress.clear();
    this.byBssid.clear();
    for (const ap of aps) {
      this.byName.set(ap.name, ap);
      this.byNasId.set(ap.nasIdentifier, ap);
      this.byAddress.set(ap.radiusAddress, ap);
      for (const b of ap.bsses) this.byBssid.set(b.bssid, b);
    }
  }

  get aps(): ApInfo[] {
    return [...this.byName.values()];
  }

  ap(name: string): ApInfo | undefined {
    return this.byName.get(name);
  }

  /** The AP a RADIUS packet came from: by NAS-Identifier, then BSSID, then source address. */
  locate(where: { nasIdentifier: string | null; bssid: string | null; clientAddress: string }): ApInfo | undefined {
    if (where.nasIdentifier) {
      const ap = this.byNasId.get(where.nasIdentifier);
      if (ap) return ap;
    }
    if (where.bssid) {
      const b = this.byBssid.get(normalizeMac(where.bssid) ?? '');
      if (b) return this.byName.get(b.ap);
    }
    return this.byAddress.get(where.clientAddress);
  }

  bss(bssid: string): BssInfo | undefined {
    return this.byBssid.get(bssid);
  }

  bssByR1khId(r1khId: string): BssInfo | undefined {
    for (const b of this.byBssid.values()) if (b.r1khId === r1khId) return b;
    return undefined;
  }
}

export class StaticNeighbors implements NeighborSource {
  constructor(private lists: ReadonlyMap<string, readonly string[]>) {}
  neighborsOf(ap: string): string[] {
    return [...(this.lists.get(ap) ?? [])];
  }

  replace(lists: ReadonlyMap<string, readonly string[]>): void {
    this.lists = lists;
  }
}

/**
 * The per-AP R0KH-R1KH keys (distribution.aps[].rrbKey), by AP name. A replaced key is dropped,
 * not wiped: the Buffer is the one the secrets were read into, and the R0KH-R1KH thread works on
 * copies (a PUSH waiting there for its AP's sequence exchange finishes with the key it was sent).
 */
export class RrbKeyTable {
  private readonly keys = new Map<string, Buffer>();

  get(ap: string): Buffer | undefined {
    return this.keys.get(ap);
  }

  set(ap: string, key: Buffer): void {
    this.keys.set(ap, key);
  }

  delete(ap: string): void {
    this.keys.delete(ap);
  }

  names(): string[] {
    return [...this.keys.keys()];
  }
}
