// The RF graph as key distribution and the API see it. An AP's neighbour list is its pinned
// entries, then the best-scoring edges above the signal floor, with hysteresis so noise does not
// flap the list (every flap re-pushes 802.11k lists and moves keys). Work is incremental: an
// observation marks its AP dirty and only dirty APs are re-ranked. Evidence and storage are in
// rf-graph-core.ts.
import type { NeighborSource } from '../distribution/topology.js';
import type { EdgeRecord } from '../ports/neighbor-store.js';
import { RfGraphCore, round, sigOf } from './rf-graph-core.js';

export type { RfGraphOptions } from './rf-graph-core.js';

export interface NeighborDetail {
  ap: string;
  score: number;
  signalDbm: number | null;
  observations: number;
  roams: number;
  pinned: boolean;
  lastSeen: number | null;
}
export interface EdgeDetail extends EdgeRecord {
  score: number;
  inList: boolean;
}

export class RfGraph extends RfGraphCore implements NeighborSource {
  /** NeighborSource: AP names, best first. Re-ranks this AP first if it has news. */
  neighborsOf(ap: string): string[] {
    const a = this.ids.get(ap);
    if (a === undefined) return [];
    if (this.dirtyFlag[a]) this.recompute(a, this.now());
    return this.published[a]!.slice();
  }

  /** Re-ranks every AP with news; returns the APs whose list changed (listChanged is emitted too). */
  flush(now = this.now()): string[] {
    const changed: string[] = [];
    const q = this.dirtyQueue;
    this.dirtyQueue = [];
    for (const a of q) if (this.dirtyFlag[a] && this.recompute(a, now)) changed.push(this.names[a]!);
    return changed;
  }

  /** Ageing sweep (periodic): re-ranks every AP as time passes and frees dead edges. */
  age(now = this.now()): { changed: string[]; removed: number } {
    const changed = this.recomputeAll(now);
    let removed = 0;
    for (let a = 0; a < this.names.length; a++) {
      const listed = new Set(this.members[a]);
      for (let i = this.outLen[a]! - 1; i >= 0; i--) {
        const e = this.out[a]![i]!;
        if (!listed.has(this.pool.to[e]!) && !this.alive(e, now)) this.removeAt(a, i), removed++;
      }
    }
    return { changed, removed };
  }

  /** Re-ranks all APs (what a non-incremental design does after every report; the bench compares). */
  recomputeAll(now = this.now()): string[] {
    const changed: string[] = [];
    for (let a = 0; a < this.names.length; a++) if (this.recompute(a, now)) changed.push(this.names[a]!);
    this.dirtyQueue = [];
    return changed;
  }

  details(ap: string, now = this.now()): NeighborDetail[] {
    const a = this.ids.get(ap);
    if (a === undefined) return [];
    const pinned = new Set(this.pins.get(a));
    return this.neighborsOf(ap).map((name) => {
      const b = this.ids.get(name)!;
      const e = this.find(a, b);
      const p = this.pool;
      const base = { ap: name, pinned: pinned.has(b) };
      if (e < 0) return { ...base, score: 0, signalDbm: null, observations: 0, roams: 0, lastSeen: null };
      return {
        ...base,
        score: round(this.score(e, now)),
        signalDbm: sigOf(p.sig[e]!),
        observations: p.obs[e]!,
        roams: p.roamTotal[e]!,
        lastSeen: p.seen[e]!,
      };
    });
  }

  /** Every live edge (for the API and the picture), optionally only those out of `ap`. */
  edges(now = this.now(), ap?: string): EdgeDetail[] {
    const out: EdgeDetail[] = [];
    const from = ap === undefined ? [...this.names.keys()] : this.ids.has(ap) ? [this.ids.get(ap)!] : [];
    for (const a of from) {
      if (this.dirtyFlag[a]) this.recompute(a, now);
      const listed = new Set(this.members[a]);
      for (let i = 0; i < this.outLen[a]!; i++) {
        const e = this.out[a]![i]!;
        out.push({ ...this.record(e), score: round(this.score(e, now)), inList: listed.has(this.pool.to[e]!) });
      }
    }
    return out;
  }

  /**
   * Pinned first, then up to K−|pinned| edges: members stay above −hysteresis; newcomers need a
   * score above 0 (the floor), minEvidence, and to beat the worst member by the margin.
   */
  private recompute(a: number, now: number): boolean {
    this.dirtyFlag[a] = 0;
    const pins = this.pins.get(a) ?? [];
    const forb = this.forbids.get(a);
    const slots = Math.max(0, this.o.topK - pins.length);
    const pinSet = new Set(pins);
    const wasMember = new Set(this.members[a]);
    const keep: [number, number][] = [];
    const fresh: [number, number][] = [];
    for (let i = 0; i < this.outLen[a]!; i++) {
      const e = this.out[a]![i]!;
      const b = this.pool.to[e]!;
      if (pinSet.has(b) || forb?.has(b)) continue;
      const s = this.score(e, now);
      if (wasMember.has(b)) {
        if (s > -this.o.hysteresisDb) keep.push([b, s]);
      } else if (s > 0 && this.evidence(e) >= this.o.minEvidence) {
        fresh.push([b, s]); // one lucky report must not enter a list that hysteresis then protects
      }
    }
    const order = (x: [number, number], y: [number, number]) => y[1] - x[1] || (this.names[x[0]]! < this.names[y[0]]! ? -1 : 1);
    keep.sort(order);
    fresh.sort(order);
    keep.length = Math.min(keep.length, slots);
    let i = 0;
    while (keep.length < slots && i < fresh.length) keep.push(fresh[i++]!);
    for (; i < fresh.length && keep.length > 0; i++) {
      keep.sort(order);
      const worst = keep[keep.length - 1]!;
      if (fresh[i]![1] <= worst[1] + this.o.hysteresisDb) break;
      keep[keep.length - 1] = fresh[i]!;
    }
    keep.sort(order);
    this.members[a] = keep.map(([b]) => b);
    const list = [...pins.filter((b) => !forb?.has(b)), ...this.members[a]!].map((b) => this.names[b]!);
    const old = this.published[a]!;
    if (old.length === list.length && old.every((n, j) => n === list[j])) return false;
    this.published[a] = list;
    this.emit('listChanged', this.names[a], list.slice());
    return true;
  }
}
