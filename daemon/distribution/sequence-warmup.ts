import type { Log } from '../log/log.js';
import type { RrbPeer, SequenceProber } from '../ports/pmk-r1-transport.js';
import type { ApEvent } from '../ports/ap-driver.js';
import type { BssInfo, NeighborSource, Topology } from './topology.js';

// hostapd keeps R0KH-R1KH sequence state per BSS and per R0KH-ID, learns the KMS's only through a
// SEQ_REQ/SEQ_RESP exchange, and holds the first PUSH (or the PULL of a roaming station) until
// that exchange is done. So the KMS runs it ahead of time: on a site of up to a few thousand
// (BSS, R0KH-ID) pairs for every pair, on a larger one for every pair a PUSH from a station's first
// AP can need (each BSS of each neighbour N of an AP X, with X's R0KH-ID, the R0KH-ID of a station
// that authenticated at X). Pairs outside the set wait one exchange, answered at once by the
// R0KH-R1KH thread.
//
// When: at start (the KMS's sequence domain is new, so every AP must learn it again), when an
// AP's control channel comes up (its hostapd may have restarted and forgotten us), and every
// `refreshS`: hostapd forgets an R0KH it learned through the wildcard line after
// `rkh_pos_timeout` (a day by default) without a PUSH from it, and an accepted probe renews it.

export interface WarmupDeps {
  topology: Topology;
  neighbors: NeighborSource;
  prober: SequenceProber;
  rrbPeerFor(bss: BssInfo): RrbPeer | null;
  /** Seconds between full rounds. */
  refreshS: number;
  /** Up to this many (BSS, R0KH-ID) pairs in the whole site, every pair is warmed; past it, neighbour pairs only. */
  allPairsUpTo?: number;
  logger: Log;
}

/** A round is a probe and a SEQ_REQ per pair, sent a slice at a time: a few thousand is cheap. */
const ALL_PAIRS_UP_TO = 4096;

export interface WarmupPair {
  bss: BssInfo;
  r0khId: string;
}

export class SequenceWarmup {
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly d: WarmupDeps) {}

  /**
   * The pairs a PUSH from a station's first AP can need, each once. A site small enough gets
   * every pair (each BSS under every other AP's R0KH-ID): then a roam-time PULL from an AP that is
   * nobody's neighbour, or a PUSH after a roam, waits for no sequence exchange either.
   */
  pairs(onlyAp?: string): WarmupPair[] {
    const aps = this.d.topology.aps;
    const allPairs = aps.reduce((n, ap) => n + ap.bsses.length * (aps.length - 1), 0);
    const everyPair = allPairs <= (this.d.allPairsUpTo ?? ALL_PAIRS_UP_TO);
    const out = new Map<string, WarmupPair>();
    for (const from of aps) {
      const targets = everyPair ? aps.map((a) => a.name) : this.d.neighbors.neighborsOf(from.name);
      for (const name of targets) {
        // An AP never gets a PUSH under its own R0KH-ID: it holds that PMK-R0 itself.
        const to = this.d.topology.ap(name);
        if (!to || to.nasIdentifier === from.nasIdentifier || (onlyAp && to.name !== onlyAp)) continue;
        for (const bss of to.bsses) out.set(`${bss.bssid}|${from.nasIdentifier}`, { bss, r0khId: from.nasIdentifier });
      }
    }
    return [...out.values()];
  }

  start(): void {
    this.round('start');
    this.timer = setInterval(() => this.round('refresh'), this.d.refreshS * 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** The AP's control channel came up: its hostapd may be new. */
  apUp(ap: string): void {
    this.round('ap-up', ap);
  }

  /** An AP event (ApChannels): only a channel coming up concerns the warm-up. */
  onApEvent(ap: string, ev: ApEvent): void {
    if (ev.type === 'transport' && ev.up) this.apUp(ap);
  }

  /** One round over every pair (or those towards one AP). */
  round(why: string, onlyAp?: string): void {
    let n = 0;
    for (const p of this.pairs(onlyAp)) {
      const peer = this.d.rrbPeerFor(p.bss);
      if (!peer) continue;
      this.d.prober.probe(peer, p.r0khId);
      n++;
    }
    if (n > 0) this.d.logger.info({ why, ap: onlyAp ?? null, pairs: n }, 'R0KH-R1KH sequence exchanges started ahead of any key');
  }
}
