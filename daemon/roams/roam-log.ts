// The last N roam events, for GET /v1/roams, plus running totals per method that never wrap (for
// counters). A ring buffer: a station flapping between two APs all day must not grow memory.
import type { RoamMethod } from './classify.js';
import type { Mac } from './frame-events.js';
import type { RoamEvent } from './roam-event.js';

export interface RoamQuery {
  sta?: Mac;
  /** Only events that ended at or after this time (ms since the epoch). */
  since?: number;
  method?: RoamMethod;
  /** At most this many, the newest ones. */
  limit?: number;
}

export class RoamLog {
  private readonly ring: (RoamEvent | undefined)[];
  private next = 0;
  private count = 0;
  private readonly totals = new Map<RoamMethod, number>();
  private slowTotal = 0;

  constructor(readonly capacity = 1000) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`RoamLog capacity must be a positive integer, got ${capacity}`);
    this.ring = new Array<RoamEvent | undefined>(capacity);
  }

  add(e: RoamEvent): void {
    this.ring[this.next] = e;
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
    this.totals.set(e.method, (this.totals.get(e.method) ?? 0) + 1);
    if (e.slow) this.slowTotal++;
  }

  get size(): number {
    return this.count;
  }

  /** Matching events, oldest first. */
  list(q: RoamQuery = {}): RoamEvent[] {
    const out: RoamEvent[] = [];
    const first = (this.next - this.count + this.capacity) % this.capacity;
    for (let i = 0; i < this.count; i++) {
      const e = this.ring[(first + i) % this.capacity]!;
      if (q.sta !== undefined && e.sta !== q.sta) continue;
      if (q.since !== undefined && e.endTs < q.since) continue;
      if (q.method !== undefined && e.method !== q.method) continue;
      out.push(e);
    }
    return q.limit !== undefined && out.length > q.limit ? out.slice(out.length - q.limit) : out;
  }

  /** Events added since start-up per method (not limited by capacity), and how many were slow. */
  stats(): { byMethod: Partial<Record<RoamMethod, number>>; slow: number } {
    return { byMethod: Object.fromEntries(this.totals) as Partial<Record<RoamMethod, number>>, slow: this.slowTotal };
  }
}
