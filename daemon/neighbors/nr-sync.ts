// Keeps each AP's 802.11k neighbour database in step with its RF neighbour list, so stations that
// ask (Neighbor Report Request, or BTM candidates) learn the same roam targets the KMS primes keys
// on. Per BSS it first reads what hostapd holds (its own entry carries the right capability bits,
// class, channel and PHY; the others are what an earlier run left), then replaces the others with
// the list, at most once per minIntervalS per AP and maxPerTick APs per tick: a list change on a
// big campus must not become a storm of SSH commands.
import type { Topology } from '../distribution/topology.js';
import type { ApDriver, NeighborDbEntry } from '../ports/ap-driver.js';
import type { Log } from '../log/log.js';
import {
  bssidInfo,
  buildNeighborReport,
  decodeNeighborReport,
  neighborEntryFrom,
  NeighborReportError,
  PHY_TYPE,
  type NeighborReport,
} from './neighbor-report.js';

export interface NrSyncOptions {
  enabled: boolean;
  minIntervalS: number;
  /** Database reads and list pushes started per tick, and in flight at once. */
  maxPerTick: number;
  /** Set the Mobility Domain bit: every AP in the topology is an FT BSS of the KMS's mobility domain. */
  mobilityDomainBit: boolean;
  /** Set Key Scope: the KMS places the station's key on the neighbour, so its cached key works there. */
  keyScope: boolean;
  /** SSID for BSSes whose own entry was not read. */
  ssid: string;
}

/** What is known about a BSS: its own report from hostapd, or class/channel/PHY learned from the air. */
interface BssFacts {
  own?: NeighborReport;
  ssid?: Buffer;
  heard?: { opClass: number; channel: number; phyType: number };
}

export class NeighborReportSync {
  private readonly facts = new Map<string, BssFacts>();
  private readonly pushed = new Map<string, NeighborDbEntry[]>(); // by `${ap}/${ifname}`
  private readonly db = new Map<string, 'reading' | 'ready' | 'off'>(); // by AP
  private readonly dirty = new Set<string>();
  private readonly lastPush = new Map<string, number>();
  private readonly busy = new Set<string>();
  private readonly fresh = new Set<string>(); // APs whose own entries were just read
  readonly stats = { pushes: 0, failures: 0, noFacts: 0 };

  constructor(
    private readonly o: NrSyncOptions,
    private readonly d: { topology: Topology; driverFor(ap: string): ApDriver | null; neighborsOf(ap: string): string[]; log: Log },
  ) {}

  /** Class/channel/PHY heard on the air (beacon reports, monitor captures): used until hostapd's own entry is read. */
  learn(bssid: string, heard: { opClass: number; channel: number; phyType: number }): void {
    const f = this.facts.get(bssid);
    // A monitor knows the channel but not the PHY (0): keep a PHY type a station reported.
    const merged = { ...heard, phyType: heard.phyType || f?.heard?.phyType || 0 };
    if (f) f.heard = merged;
    else if (this.d.topology.bss(bssid)) this.facts.set(bssid, { heard: merged });
  }

  /** Operating class of a BSS of ours (for the beacon request), when known. */
  servingClass(bssid: string): number | null {
    const f = this.facts.get(bssid);
    return f?.own?.opClass ?? f?.heard?.opClass ?? null;
  }

  markDirty(ap: string): void {
    if (this.o.enabled) this.dirty.add(ap);
  }

  /** Its control channel came back: hostapd may have restarted with an empty database. Read it again. */
  invalidate(ap: string): void {
    if (!this.o.enabled || this.db.get(ap) === 'reading') return;
    this.db.delete(ap);
    this.dirty.add(ap);
  }

  /**
   * Reads databases and pushes lists for dirty APs: at most maxPerTick operations started per tick
   * and in flight at once (a 6,000-AP start-up must not open 6,000 SSH commands together).
   * Returns how many were started.
   */
  tick(now: number): number {
    if (this.fresh.size) this.refreshListers();
    let started = 0;
    for (const ap of this.dirty) {
      if (started >= this.o.maxPerTick || this.busy.size >= this.o.maxPerTick) break;
      const port = this.d.driverFor(ap);
      const state = this.db.get(ap);
      if (!port?.readNeighborDb || !port.setNeighbors || state === 'off') {
        this.dirty.delete(ap); // no control channel, one without a neighbour database, or neighbour reports are off there
        continue;
      }
      if (this.busy.has(ap) || !port.connected || state === 'reading') continue;
      if (state === 'ready' && now - (this.lastPush.get(ap) ?? -Infinity) < this.o.minIntervalS * 1000) continue;
      started++;
      this.busy.add(ap);
      let op: Promise<void>;
      if (state === undefined) {
        op = this.readDb(ap, port);
      } else {
        this.dirty.delete(ap);
        this.lastPush.set(ap, now);
        op = this.push(ap, port);
      }
      void op.finally(() => this.busy.delete(ap));
    }
    return started;
  }

  /** hostapd's own entry of each BSS (its capability bits) and what an earlier run left in the database. */
  private async readDb(ap: string, port: ApDriver): Promise<void> {
    this.db.set(ap, 'reading');
    let any = false;
    try {
      for (const b of this.d.topology.ap(ap)?.bsses ?? []) {
        const r = await port.readNeighborDb!(b.ifname, b.bssid);
        if (!r) continue;
        any = true;
        const own = r.own ? this.ownReport(ap, b.ifname, r.own.nr) : null;
        if (own && r.own) this.facts.set(b.bssid, { ...this.facts.get(b.bssid), own, ssid: r.own.ssid }), this.fresh.add(ap);
        this.pushed.set(`${ap}/${b.ifname}`, r.others);
      }
      this.db.set(ap, any ? 'ready' : 'off');
    } catch (e) {
      this.db.delete(ap);
      this.d.log.debug({ ap, err: (e as Error).message }, 'cannot read the neighbour database yet');
    }
  }

  /** hostapd's own entry of a BSS, or null (and why, in the log) when it is not a Neighbor Report. */
  private ownReport(ap: string, ifname: string, nr: Uint8Array): NeighborReport | null {
    try {
      return decodeNeighborReport(nr);
    } catch (e) {
      if (!(e instanceof NeighborReportError)) throw e;
      this.d.log.warn(
        { ap, ifname, reason: e.reason },
        "hostapd's own neighbour report is malformed; using what the KMS heard of that BSS",
      );
      return null;
    }
  }

  /** Entries about APs whose own report just arrived are better now: re-push every list naming them (one pass per tick). */
  private refreshListers(): void {
    const fresh = new Set(this.fresh);
    this.fresh.clear();
    for (const a of this.d.topology.aps) if (this.d.neighborsOf(a.name).some((n) => fresh.has(n))) this.dirty.add(a.name);
  }

  /** The entries AP `ap` should hold: every BSS of its listed neighbours and of itself (other bands). */
  entriesFor(ap: string, ifname: string): NeighborDbEntry[] {
    const out: NeighborDbEntry[] = [];
    if (!this.d.topology.ap(ap)) return out;
    for (const name of [ap, ...this.d.neighborsOf(ap)]) {
      for (const b of this.d.topology.ap(name)?.bsses ?? []) {
        if (name === ap && b.ifname === ifname) continue;
        const nr = this.reportFor(b.bssid);
        if (!nr) {
          this.stats.noFacts++;
          continue;
        }
        out.push({ bssid: b.bssid, ssid: this.facts.get(b.bssid)?.ssid ?? Buffer.from(this.o.ssid, 'utf8'), nr: buildNeighborReport(nr) });
      }
    }
    return out;
  }

  private reportFor(bssid: string): NeighborReport | null {
    const f = this.facts.get(bssid);
    const policy = { sameMobilityDomain: this.o.mobilityDomainBit, sharedKeys: this.o.keyScope };
    if (f?.own) return neighborEntryFrom(f.own, policy);
    if (!f?.heard) return null;
    // Only the PHY is known: claim the capabilities it implies, nothing more.
    const p = f.heard.phyType;
    const ht = p === PHY_TYPE.HT || p === PHY_TYPE.VHT || p === PHY_TYPE.HE;
    const info = bssidInfo({
      security: true,
      keyScope: this.o.keyScope,
      mobilityDomain: this.o.mobilityDomainBit,
      ht,
      vht: p === PHY_TYPE.VHT || p === PHY_TYPE.HE,
      he: p === PHY_TYPE.HE,
    });
    return { bssid, info, opClass: f.heard.opClass, channel: f.heard.channel, phyType: p, subelements: Buffer.alloc(0) };
  }

  private async push(ap: string, port: ApDriver): Promise<void> {
    for (const b of this.d.topology.ap(ap)?.bsses ?? []) {
      const key = `${ap}/${b.ifname}`;
      const previous = this.pushed.get(key) ?? [];
      const entries = this.entriesFor(ap, b.ifname);
      if (same(previous, entries)) continue;
      try {
        await port.setNeighbors!(b.ifname, entries, previous);
        this.pushed.set(key, entries);
        this.stats.pushes++;
      } catch (e) {
        this.stats.failures++;
        // What the AP holds is now unknown: read it again before the next push.
        this.db.delete(ap);
        this.dirty.add(ap);
        this.d.log.warn({ ap, ifname: b.ifname, err: (e as Error).message }, 'neighbour report update failed; retrying later');
        return;
      }
    }
  }
}

function same(a: readonly NeighborDbEntry[], b: readonly NeighborDbEntry[]): boolean {
  const key = (e: NeighborDbEntry) => `${e.bssid}/${e.ssid.toString('hex')}/${e.nr.toString('hex')}`;
  const s = new Set(a.map(key));
  return a.length === b.length && b.every((e) => s.has(key(e)));
}
