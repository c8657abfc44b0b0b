// Storage of the RF graph's directed edges in typed arrays (struct of arrays). A campus of 6,000
// APs with 64 edges each is 384,000 edges: as JS objects with boxed doubles that is ~100 MB of
// heap, here it is ~55 octets an edge (~21 MB) and no garbage per observation. Slots freed by
// eviction or ageing are reused. Pure data structure, no policy.

export class EdgePool {
  from = new Int32Array(0);
  to = new Int32Array(0);
  /** Evidence weight at time t[e] (decays with the half-life; capped by the graph). */
  w = new Float64Array(0);
  /** Weighted mean signal in dBm; NaN while the edge has no signal sample (roam-only edges). */
  sig = new Float32Array(0);
  /** Decayed roam count at time t[e]. */
  roams = new Float64Array(0);
  /** Time (ms) w and roams refer to. */
  t = new Float64Array(0);
  /** Last observation of any kind (ms). */
  seen = new Float64Array(0);
  /** Raw counts, never decayed (for people, not for scoring). */
  obs = new Uint32Array(0);
  roamTotal = new Uint32Array(0);
  /** 1 when the edge changed since the persistence layer last took it. */
  dirty = new Uint8Array(0);
  private readonly freeList: number[] = [];
  private top = 0;
  size = 0;

  constructor(initialCapacity = 1024) {
    this.resize(Math.max(16, initialCapacity));
  }

  get capacity(): number {
    return this.from.length;
  }

  /** Octets held by the arrays (the memory bound the tests and the bench report). */
  get bytes(): number {
    return [this.from, this.to, this.w, this.sig, this.roams, this.t, this.seen, this.obs, this.roamTotal, this.dirty].reduce(
      (n, a) => n + a.byteLength,
      0,
    );
  }

  alloc(from: number, to: number, now: number): number {
    let e = this.freeList.pop();
    if (e === undefined) {
      if (this.top === this.capacity) this.resize(this.capacity * 2);
      e = this.top++;
    }
    this.from[e] = from;
    this.to[e] = to;
    this.w[e] = 0;
    this.sig[e] = NaN;
    this.roams[e] = 0;
    this.t[e] = now;
    this.seen[e] = now;
    this.obs[e] = 0;
    this.roamTotal[e] = 0;
    this.dirty[e] = 0;
    this.size++;
    return e;
  }

  release(e: number): void {
    this.from[e] = -1;
    this.to[e] = -1;
    this.dirty[e] = 0;
    this.freeList.push(e);
    this.size--;
  }

  live(e: number): boolean {
    return e >= 0 && e < this.top && this.from[e]! >= 0;
  }

  private resize(n: number): void {
    const grow = <T extends Int32Array | Float64Array | Float32Array | Uint32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.from = grow(this.from, (k) => new Int32Array(k));
    this.to = grow(this.to, (k) => new Int32Array(k));
    this.w = grow(this.w, (k) => new Float64Array(k));
    this.sig = grow(this.sig, (k) => new Float32Array(k));
    this.roams = grow(this.roams, (k) => new Float64Array(k));
    this.t = grow(this.t, (k) => new Float64Array(k));
    this.seen = grow(this.seen, (k) => new Float64Array(k));
    this.obs = grow(this.obs, (k) => new Uint32Array(k));
    this.roamTotal = grow(this.roamTotal, (k) => new Uint32Array(k));
    this.dirty = grow(this.dirty, (k) => new Uint8Array(k));
  }
}
