// Duplicate detection for requests from APs (RFC 5080 §2.2.2): a retransmission carries the same
// source address/port, identifier and Request Authenticator. While the original is in flight the
// copy is dropped (the answer is on its way); after the answer it gets the same bytes again, so
// a lost Accept never causes a second upstream authentication.

export type DuplicateState = { kind: 'new' } | { kind: 'in-flight' } | { kind: 'answered'; reply: Buffer };

interface Entry {
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

export class DuplicateCache {
  private readonly arena = new ReplyArena();
  // A Map iterates in insertion order, so the oldest entries are first: expiry is a scan from the front.
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly windowMs: number, private readonly maxEntries: number, private readonly now: () => number = Date.now) {}

  /** Looks the request up; a new one is registered as in flight. */
  check(key: string): DuplicateState {
    this.expire();
    const e = this.entries.get(key);
    if (e) return e.reply ? { kind: 'answered', reply: e.reply } : { kind: 'in-flight' };
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { reply: null, expiresAt: this.now() + this.windowMs });
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

  private expire(): void {
    const now = this.now();
    for (const [key, e] of this.entries) {
      if (e.expiresAt > now) break;
      this.entries.delete(key);
    }
  }
}
