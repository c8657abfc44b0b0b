// Duplicate detection for requests from APs (RFC 5080 §2.2.2): a retransmission carries the same
// source address/port, identifier and Request Authenticator. While the original is in flight the
// copy is dropped (the answer is on its way); after the answer it gets the same bytes again, so
// a lost Accept never causes a second upstream authentication.

export type DuplicateState = { kind: 'new' } | { kind: 'in-flight' } | { kind: 'answered'; reply: Buffer };

interface Entry {
  key: string;
  reply: Buffer | null;
  expiresAt: number;
}

export function requestKey(address: string, port: number, identifier: number, authenticator: Buffer, code: number): string {
  return `${address}|${port}|${code}|${identifier}|${authenticator.toString('hex')}`;
}

/**
 * Where answered replies are kept for the window. A reply built by the codec is a slice of
 * Node's shared 8 KB allocation pool, and keeping the slice keeps the whole pool block: at
 * 1,000 requests/s over a 30 s window that was ~70 MB held for ~4 MB of replies, and the
 * growth drove full garbage collections on the RADIUS thread. Replies are copied into 64 KB
 * blocks of their own instead; entries expire oldest first, so blocks are released in order.
 */
class ReplyArena {
  private block = Buffer.allocUnsafeSlow(0);
  private used = 0;

  keep(reply: Buffer): Buffer {
    if (this.used + reply.length > this.block.length) {
      this.block = Buffer.allocUnsafeSlow(Math.max(64 * 1024, reply.length));
      this.used = 0;
    }
    const kept = this.block.subarray(this.used, this.used + reply.length);
    reply.copy(kept);
    this.used += reply.length;
    return kept;
  }
}

/**
 * Entries in arrival order. Expiry and eviction take from the front; a V8 Map cannot do that
 * cheaply (deleted slots at its front are skipped again by every new iterator until the table
 * is rehashed, which made each lookup in a full cache O(size): 11% of the proxy's CPU).
 */
class ArrivalQueue {
  private items: Entry[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(e: Entry): void {
    this.items.push(e);
  }

  peek(): Entry | undefined {
    return this.items[this.head];
  }

  shift(): void {
    this.items[this.head++] = undefined as unknown as Entry;
    // Reclaim the consumed front once it is the larger part of the array.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  /** Drops queued entries the map no longer holds (forgotten ones). */
  compact(live: (e: Entry) => boolean): void {
    this.items = this.items.slice(this.head).filter(live);
    this.head = 0;
  }
}

export class DuplicateCache {
  private readonly arena = new ReplyArena();
  private readonly entries = new Map<string, Entry>();
  private readonly arrivals = new ArrivalQueue();

  constructor(private readonly windowMs: number, private readonly maxEntries: number, private readonly now: () => number = Date.now) {}

  /** Looks the request up; a new one is registered as in flight. */
  check(key: string): DuplicateState {
    const now = this.now();
    this.expire(now);
    const e = this.entries.get(key);
    if (e) return e.reply ? { kind: 'answered', reply: e.reply } : { kind: 'in-flight' };
    while (this.entries.size >= this.maxEntries && this.dropOldest());
    const entry: Entry = { key, reply: null, expiresAt: now + this.windowMs };
    this.entries.set(key, entry);
    this.arrivals.push(entry);
    // Forgotten entries stay queued until they expire; a flood of refused requests must not
    // grow the queue without bound.
    if (this.arrivals.length > 2 * this.maxEntries) this.arrivals.compact((q) => this.entries.get(q.key) === q);
    return { kind: 'new' };
  }

  answered(key: string, reply: Buffer): void {
    const e = this.entries.get(key);
    if (e) e.reply = this.arena.keep(reply);
  }

  /** The request failed (no upstream answered): let a retransmission try again. */
  forget(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Entries queued for expiry, forgotten ones included (for tests: it must stay bounded). */
  get queued(): number {
    return this.arrivals.length;
  }

  private dropOldest(): boolean {
    const e = this.arrivals.peek();
    if (!e) return false;
    this.arrivals.shift();
    if (this.entries.get(e.key) === e) this.entries.delete(e.key);
    return true;
  }

  private expire(now: number): void {
    for (let e = this.arrivals.peek(); e && e.expiresAt <= now; e = this.arrivals.peek()) this.dropOldest();
  }
}
