// Duplicate detection for requests from APs (RFC 5080 §2.2.2): a retransmission carries the same
// source address/port, identifier and Request Authenticator. While the original is in flight the
// copy is dropped (the answer is on its way); after the answer it gets the same bytes again, so
// a lost Accept never causes a second upstream authentication.
//
// Why typed arrays and not a Map of objects: every entry lives for the whole window (30 s by
// default), so each one outlived its young generation and died in the old one. At 65,536
// entries the cache was ~33 MB of the RADIUS thread's heap, and its churn made that thread run
// major collections: 20–40 ms pauses after a burst, in the middle of later traffic. Here an
// entry is a few words in preallocated arrays and a reply is a slice of a 64 KB block, so the
// cache gives the collector nothing to trace.

export type DuplicateState = { kind: 'new'; handle: number } | { kind: 'in-flight' } | { kind: 'answered'; reply: Buffer };

const IN_FLIGHT: DuplicateState = { kind: 'in-flight' };
/** Words of a key: source id, port/code/identifier, four words of Request Authenticator. */
const KEY_WORDS = 6;
const NO_REPLY = -1;
const BLOCK_SIZE = 64 * 1024;

/**
 * Replies, copied into 64 KB blocks of their own (a reply built by the codec is a slice of
 * Node's shared 8 KB pool; keeping it would keep the whole pool block). A block is released
 * once no entry refers to it.
 */
class ReplyArena {
  private readonly blocks = new Map<number, { bytes: Buffer; refs: number }>();
  private current = -1;
  private used = BLOCK_SIZE;

  /** Copies `reply` in; returns [block, offset]. */
  keep(reply: Buffer): [number, number] {
    if (this.used + reply.length > BLOCK_SIZE || !this.blocks.has(this.current)) {
      if (this.blocks.get(this.current)?.refs === 0) this.blocks.delete(this.current);
      this.current++;
      this.blocks.set(this.current, { bytes: Buffer.allocUnsafeSlow(Math.max(BLOCK_SIZE, reply.length)), refs: 0 });
      this.used = 0;
    }
    const block = this.blocks.get(this.current)!;
    reply.copy(block.bytes, this.used);
    block.refs++;
    const at = this.used;
    this.used += reply.length;
    return [this.current, at];
  }

  view(block: number, offset: number, length: number): Buffer {
    return this.blocks.get(block)!.bytes.subarray(offset, offset + length);
  }

  release(block: number): void {
    const b = this.blocks.get(block)!;
    if (--b.refs === 0 && block !== this.current) this.blocks.delete(block);
  }

  get blockCount(): number {
    return this.blocks.size;
  }
}

export class DuplicateCache {
  private readonly capacity: number;
  // Entries in arrival order, in a ring: `head` is the oldest, `count` entries follow it. A
  // forgotten entry stays in the ring, dead, until the ring passes it.
  private head = 0;
  private count = 0;
  private live = 0;
  private readonly keys: Uint32Array;
  private readonly expiresAt: Float64Array;
  private readonly alive: Uint8Array;
  /** Bumped each time a slot is reused, so a stale handle never touches the new entry. */
  private readonly generation: Uint32Array;
  private readonly replyBlock: Int32Array;
  private readonly replyOffset: Int32Array;
  private readonly replyLength: Int32Array;
  // Open addressing with linear probing over live entries; 0 is empty, otherwise slot + 1.
  private readonly index: Int32Array;
  private readonly mask: number;
  private readonly arena = new ReplyArena();
  /** Source addresses as small numbers (only configured clients get this far: few entries). */
  private readonly sources = new Map<string, number>();
  private readonly probe = new Uint32Array(KEY_WORDS);

  constructor(
    private readonly windowMs: number,
    maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {
    this.capacity = Math.max(1, maxEntries);
    this.keys = new Uint32Array(this.capacity * KEY_WORDS);
    this.expiresAt = new Float64Array(this.capacity);
    this.alive = new Uint8Array(this.capacity);
    this.generation = new Uint32Array(this.capacity);
    this.replyBlock = new Int32Array(this.capacity);
    this.replyOffset = new Int32Array(this.capacity);
    this.replyLength = new Int32Array(this.capacity).fill(NO_REPLY);
    let size = 2;
    while (size < this.capacity * 2) size *= 2;
    this.index = new Int32Array(size);
    this.mask = size - 1;
  }

  /** Looks the request up; a new one is registered as in flight and gets a handle for answered()/forget(). */
  check(address: string, port: number, code: number, identifier: number, authenticator: Buffer): DuplicateState {
    const now = this.now();
    this.expire(now);
    const k = this.probe;
    let source = this.sources.get(address);
    if (source === undefined) this.sources.set(address, (source = this.sources.size));
    k[0] = source;
    k[1] = (((port & 0xffff) << 16) | ((code & 0xff) << 8) | (identifier & 0xff)) >>> 0;
    k[2] = authenticator.readUInt32BE(0);
    k[3] = authenticator.readUInt32BE(4);
    k[4] = authenticator.readUInt32BE(8);
    k[5] = authenticator.readUInt32BE(12);
    const found = this.find(k);
    if (found >= 0) {
      const length = this.replyLength[found]!;
      if (length === NO_REPLY) return IN_FLIGHT;
      return { kind: 'answered', reply: this.arena.view(this.replyBlock[found]!, this.replyOffset[found]!, length) };
    }
    if (this.count === this.capacity) this.dropOldest();
    const slot = (this.head + this.count) % this.capacity;
    this.count++;
    this.live++;
    this.keys.set(k, slot * KEY_WORDS);
    this.expiresAt[slot] = now + this.windowMs;
    this.alive[slot] = 1;
    this.replyLength[slot] = NO_REPLY;
    this.insertIndex(slot);
    return { kind: 'new', handle: this.generation[slot]! * this.capacity + slot };
  }

  answered(handle: number, reply: Buffer): void {
    const slot = this.slotOf(handle);
    if (slot < 0 || this.replyLength[slot] !== NO_REPLY) return;
    const [block, offset] = this.arena.keep(reply);
    this.replyBlock[slot] = block;
    this.replyOffset[slot] = offset;
    this.replyLength[slot] = reply.length;
  }

  /** The request failed (no upstream answered): let a retransmission try again. */
  forget(handle: number): void {
    const slot = this.slotOf(handle);
    if (slot >= 0) this.kill(slot);
  }

  /** Live entries. */
  get size(): number {
    return this.live;
  }

  /** 64 KB reply blocks held (for tests: they must be released as entries go). */
  get replyBlocks(): number {
    return this.arena.blockCount;
  }

  private slotOf(handle: number): number {
    const slot = handle % this.capacity;
    return this.alive[slot] === 1 && this.generation[slot]! * this.capacity + slot === handle ? slot : -1;
  }

  private expire(now: number): void {
    while (this.count > 0 && this.expiresAt[this.head]! <= now) this.dropOldest();
  }

  private dropOldest(): void {
    const slot = this.head;
    if (this.alive[slot] === 1) this.kill(slot);
    this.head = (this.head + 1) % this.capacity;
    this.count--;
  }

  private kill(slot: number): void {
    this.removeIndex(slot);
    this.alive[slot] = 0;
    this.generation[slot] = (this.generation[slot]! + 1) >>> 0;
    if (this.replyLength[slot] !== NO_REPLY) this.arena.release(this.replyBlock[slot]!);
    this.replyLength[slot] = NO_REPLY;
    this.live--;
  }

  private hash(words: Uint32Array, at: number): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < KEY_WORDS; i++) h = Math.imul(h ^ words[at + i]!, 0x01000193);
    return (h ^ (h >>> 15)) & this.mask;
  }

  private sameKey(slot: number, k: Uint32Array): boolean {
    const at = slot * KEY_WORDS;
    for (let i = 0; i < KEY_WORDS; i++) if (this.keys[at + i] !== k[i]) return false;
    return true;
  }

  private find(k: Uint32Array): number {
    for (let i = this.hash(k, 0); ; i = (i + 1) & this.mask) {
      const v = this.index[i]!;
      if (v === 0) return -1;
      if (this.sameKey(v - 1, k)) return v - 1;
    }
  }

  private insertIndex(slot: number): void {
    let i = this.hash(this.keys, slot * KEY_WORDS);
    while (this.index[i] !== 0) i = (i + 1) & this.mask;
    this.index[i] = slot + 1;
  }

  /** Removes `slot` and shifts later entries of its probe run back (no tombstones). */
  private removeIndex(slot: number): void {
    let i = this.hash(this.keys, slot * KEY_WORDS);
    while (this.index[i] !== slot + 1) i = (i + 1) & this.mask;
    this.index[i] = 0;
    for (let j = (i + 1) & this.mask; this.index[j] !== 0; j = (j + 1) & this.mask) {
      const other = this.index[j]! - 1;
      const home = this.hash(this.keys, other * KEY_WORDS);
      // Move `other` into the hole unless its home lies cyclically in (i, j].
      const between = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!between) {
        this.index[i] = other + 1;
        this.index[j] = 0;
        i = j;
      }
    }
  }
}
