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

export class DuplicateCache {
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
    if (e) e.reply = reply;
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
