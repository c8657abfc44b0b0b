// The RF graph's state and evidence: directed edges a → b ("a station at a, or a's radio, hears
// b", or "a station went from a to b"), each with an evidence weight and a weighted-mean signal
// that decay with a half-life, and a decayed roam count; the memory bound (edges per AP) and the
// change log for persistence. Ranking and views are in rf-graph.ts.
import { EventEmitter } from 'node:events';
import { EdgePool } from './edge-pool.js';
import type { EdgeRecord } from '../ports/neighbor-store.js';

export interface RfGraphOptions {
  topK?: number; // list length, pinned entries included (default 8)
  floorDbm?: number; // an edge enters a list only above this mean signal (default -80)
  hysteresisDb?: number; // margin to enter over the K-th / to fall below the floor (default 2)
  halfLifeS?: number; // evidence and roam counts halve in this time (default 1 day)
  roamWeightDb?: number; // score of one recent roam, in dB above the floor (default 12)
  maxEdgesPerAp?: number; // memory bound: weakest non-listed edge evicted beyond this (default 64)
  maxWeight?: number; // evidence cap: bounds history, so the mean still moves (min EWMA alpha 1/(1+cap)) (default 16)
  minEvidence?: number; // evidence (reports, as of its last update) a newcomer needs to enter a list; one roam counts as full evidence (default 3)
  ageOutWeight?: number; // below this evidence and roam count an edge is dead: 2 half-lives after one sighting, 6 for a saturated edge (default 0.25)
  pinned?: ReadonlyMap<string, readonly string[]>;
  forbidden?: ReadonlyMap<string, readonly string[]>;
  now?: () => number;
}

export type Opts = Required<Omit<RfGraphOptions, 'pinned' | 'forbidden' | 'now'>>;
export const DEFAULTS: Opts = {
  topK: 8,
  floorDbm: -80,
  hysteresisDb: 2,
  halfLifeS: 86_400,
  roamWeightDb: 12,
  maxEdgesPerAp: 64,
  maxWeight: 16,
  minEvidence: 3,
  ageOutWeight: 0.25,
};

export class RfGraphCore extends EventEmitter {
  readonly o: Opts;
  protected readonly now: () => number;
  protected readonly k: number; // decay rate per ms
  protected readonly pool: EdgePool;
  protected readonly names: string[] = [];
  protected readonly ids = new Map<string, number>();
  protected readonly out: Int32Array[] = []; // edge ids per AP
  protected readonly outLen: number[] = [];
  protected readonly members: number[][] = []; // discovered (non-pinned) list, node ids
  protected readonly published: string[][] = [];
  protected readonly dirtyFlag: number[] = [];
  protected dirtyQueue: number[] = [];
  protected pins = new Map<number, number[]>();
  protected forbids = new Map<number, Set<number>>();
  private dirtyEdges: number[] = [];
  private deleted: { from: string; to: string }[] = [];

  constructor(opts: RfGraphOptions = {}) {
    super();
    const { pinned, forbidden, now, ...rest } = opts;
    this.o = { ...DEFAULTS, ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) } as Opts;
    if (this.o.maxEdgesPerAp <= this.o.topK) throw new RangeError('maxEdgesPerAp must exceed topK');
    this.now = now ?? Date.now;
    this.k = Math.LN2 / (this.o.halfLifeS * 1000);
    this.pool = new EdgePool(1024);
    this.setOverrides(pinned ?? new Map(), forbidden ?? new Map());
  }

  /** Static overrides: pinned neighbours are always listed (first), forbidden ones never. */
  setOverrides(pinned: ReadonlyMap<string, readonly string[]>, forbidden: ReadonlyMap<string, readonly string[]>): void {
    this.pins = new Map([...pinned].map(([ap, l]) => [this.id(ap), [...new Set(l.filter((n) => n !== ap))].map((n) => this.id(n))]));
    this.forbids = new Map([...forbidden].map(([ap, l]) => [this.id(ap), new Set(l.map((n) => this.id(n)))]));
    for (let a = 0; a < this.names.length; a++) this.markDirty(a);
  }

  /** A station at `from` (or `from`'s radio) heard `to` at `dbm` (null: heard, signal unknown). */
  observe(from: string, to: string, dbm: number | null, weight = 1, at = this.now()): void {
    if (from === to || !(weight > 0)) return;
    const a = this.id(from);
    const e = this.edge(a, this.id(to), at);
    const p = this.pool;
    const d = this.decay(at, p.t[e]!);
    const w0 = p.w[e]! * d;
    if (dbm !== null && Number.isFinite(dbm)) {
      const s0 = p.sig[e]!;
      p.sig[e] = Number.isNaN(s0) || w0 <= 0 ? dbm : (s0 * w0 + dbm * weight) / (w0 + weight);
    }
    p.w[e] = Math.min(this.o.maxWeight, w0 + weight);
    p.roams[e] = p.roams[e]! * d;
    this.touch(a, e, at);
    p.obs[e]!++;
  }

  /** A station roamed from → to: direct evidence that `to` is where stations at `from` go next. */
  roam(from: string, to: string, at = this.now()): void {
    if (from === to) return;
    const a = this.id(from);
    const e = this.edge(a, this.id(to), at);
    const p = this.pool;
    const d = this.decay(at, p.t[e]!);
    p.w[e] = p.w[e]! * d;
    p.roams[e] = p.roams[e]! * d + 1;
    this.touch(a, e, at);
    p.roamTotal[e]!++;
  }

  /** The graph's clock (injected in tests), so views are computed at the time the graph lives in. */
  time(): number {
    return this.now();
  }

  get aps(): string[] {
    return this.names.slice();
  }

  load(records: readonly EdgeRecord[]): void {
    const p = this.pool;
    for (const r of records) {
      if (r.from === r.to) continue;
      const a = this.id(r.from);
      const e = this.edge(a, this.id(r.to), r.updatedAt);
      p.w[e] = Math.min(this.o.maxWeight, Math.max(0, r.weight));
      p.sig[e] = r.signalDbm ?? NaN;
      p.roams[e] = Math.max(0, r.roams);
      p.t[e] = r.updatedAt;
      p.seen[e] = r.lastSeen;
      p.obs[e] = r.observations;
      p.roamTotal[e] = r.roamsTotal;
      this.markDirty(a);
    }
  }

  /** What changed since the last call, for the store. */
  /**
   * What changed since the last call, for the store: at most `max` upserts (the rest stay queued,
   * so one write never blocks the event loop for long) and every deletion.
   */
  drainChanges(max = Infinity): { upserts: EdgeRecord[]; deletes: { from: string; to: string }[]; more: boolean } {
    const upserts: EdgeRecord[] = [];
    let i = 0;
    for (; i < this.dirtyEdges.length && upserts.length < max; i++) {
      const e = this.dirtyEdges[i]!;
      if (this.pool.dirty[e]) upserts.push(this.record(e)), (this.pool.dirty[e] = 0);
    }
    this.dirtyEdges = this.dirtyEdges.slice(i);
    const deletes = this.deleted;
    this.deleted = [];
    return { upserts, deletes, more: this.dirtyEdges.length > 0 };
  }

  stats(): { aps: number; edges: number; edgeCapacity: number; edgeBytes: number; dirty: number } {
    return {
      aps: this.names.length,
      edges: this.pool.size,
      edgeCapacity: this.pool.capacity,
      edgeBytes: this.pool.bytes,
      dirty: this.dirtyQueue.length,
    };
  }

  /** dB-equivalent score: (mean signal − floor) × confidence w/(w+1), plus roamWeightDb × log2(1 + roams). */
  protected score(e: number, now: number): number {
    const p = this.pool;
    const d = this.decay(now, p.t[e]!);
    const w = p.w[e]! * d;
    const r = p.roams[e]! * d;
    if (w < this.o.ageOutWeight && r < this.o.ageOutWeight) return -Infinity;
    const sig = p.sig[e]!;
    const s = Number.isNaN(sig) ? 0 : (sig - this.o.floorDbm) * (w / (w + 1));
    return r > 0 ? s + this.o.roamWeightDb * Math.log2(1 + r) : s;
  }

  /**
   * Evidence as of the edge's last update (ageing is the score's business): minEvidence reports
   * close together qualify even though each has decayed a hair by the next (5 % slack).
   */
  protected evidence(e: number): number {
    return (this.pool.w[e]! + this.o.minEvidence * this.pool.roams[e]!) / 0.95;
  }

  protected alive(e: number, now: number): boolean {
    return this.score(e, now) > -Infinity;
  }

  protected decay(now: number, t: number): number {
    return now <= t ? 1 : Math.exp((t - now) * this.k);
  }

  protected touch(a: number, e: number, at: number): void {
    const p = this.pool;
    p.t[e] = Math.max(p.t[e]!, at);
    p.seen[e] = Math.max(p.seen[e]!, at);
    if (!p.dirty[e]) (p.dirty[e] = 1), this.dirtyEdges.push(e);
    this.markDirty(a);
  }

  protected id(name: string): number {
    let a = this.ids.get(name);
    if (a === undefined) {
      a = this.names.length;
      this.names.push(name);
      this.ids.set(name, a);
      this.out.push(new Int32Array(this.o.maxEdgesPerAp));
      this.outLen.push(0);
      this.members.push([]);
      this.published.push([]);
      this.dirtyFlag.push(0);
      this.markDirty(a);
    }
    return a;
  }

  protected markDirty(a: number): void {
    if (!this.dirtyFlag[a]) (this.dirtyFlag[a] = 1), this.dirtyQueue.push(a);
  }

  protected find(a: number, b: number): number {
    const list = this.out[a]!;
    for (let i = 0; i < this.outLen[a]!; i++) if (this.pool.to[list[i]!] === b) return list[i]!;
    return -1;
  }

  /** The edge a → b, created if needed; a full AP first evicts its weakest edge that is not listed or pinned. */
  protected edge(a: number, b: number, at: number): number {
    const found = this.find(a, b);
    if (found >= 0) return found;
    if (this.outLen[a] === this.o.maxEdgesPerAp) {
      const keep = new Set([...this.members[a]!, ...(this.pins.get(a) ?? [])]);
      let victim = -1;
      let worst = Infinity;
      for (let i = 0; i < this.outLen[a]!; i++) {
        const e = this.out[a]![i]!;
        const s = keep.has(this.pool.to[e]!) ? Infinity : this.score(e, at);
        if (victim < 0 || s < worst) (victim = i), (worst = s);
      }
      this.removeAt(a, victim);
    }
    const e = this.pool.alloc(a, b, at);
    this.out[a]![this.outLen[a]!++] = e;
    return e;
  }

  protected removeAt(a: number, i: number): void {
    const list = this.out[a]!;
    const e = list[i]!;
    this.deleted.push({ from: this.names[a]!, to: this.names[this.pool.to[e]!]! });
    list[i] = list[--this.outLen[a]!]!;
    this.pool.release(e);
    this.markDirty(a);
  }

  protected record(e: number): EdgeRecord {
    const p = this.pool;
    return {
      from: this.names[p.from[e]!]!,
      to: this.names[p.to[e]!]!,
      weight: p.w[e]!,
      signalDbm: sigOf(p.sig[e]!),
      roams: p.roams[e]!,
      updatedAt: p.t[e]!,
      lastSeen: p.seen[e]!,
      observations: p.obs[e]!,
      roamsTotal: p.roamTotal[e]!,
    };
  }
}

export const sigOf = (s: number): number | null => (Number.isNaN(s) ? null : Math.round(s * 10) / 10);
export const round = (s: number): number => (Number.isFinite(s) ? Math.round(s * 100) / 100 : -1e9);
