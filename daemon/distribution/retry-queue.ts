// Placements that could not be made because the AP was unreachable wait here, per AP, and are
// tried again with exponential backoff, or at once when the AP's transport comes back. Bounded:
// a long outage drops the oldest (they would be stale anyway) and says so.

export interface RetryPolicy {
  maxQueuedPerAp: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface Queued<T> {
  item: T;
  attempts: number;
}

export class RetryQueue<T> {
  private readonly items: Queued<T>[] = [];
  private timer: NodeJS.Timeout | null = null;
  private failures = 0;

  constructor(
    private readonly policy: RetryPolicy,
    private readonly attempt: (batch: Queued<T>[]) => Promise<Queued<T>[]>,
    private readonly onDrop: (item: T) => void,
  ) {}

  get size(): number {
    return this.items.length;
  }

  add(item: T, attempts = 1): void {
    if (this.items.length >= this.policy.maxQueuedPerAp) {
      const dropped = this.items.shift();
      if (dropped) this.onDrop(dropped.item);
    }
    this.items.push({ item, attempts });
    this.schedule();
  }

  /** Drops queued items the predicate rejects (e.g. a station whose session ended). */
  filter(keep: (item: T) => boolean): void {
    for (let i = this.items.length - 1; i >= 0; i--) if (!keep(this.items[i]!.item)) this.items.splice(i, 1);
  }

  /** The AP is reachable again: try everything now. */
  kick(): void {
    this.failures = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    void this.run();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.timer || this.items.length === 0) return;
    const delay = Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** Math.min(this.failures, 16));
    this.timer = setTimeout(
      () => {
        this.timer = null;
        void this.run();
      },
      delay * (0.8 + Math.random() * 0.4),
    );
    this.timer.unref();
  }

  private async run(): Promise<void> {
    const batch = this.items.splice(0, this.items.length);
    if (batch.length === 0) return;
    const again = await this.attempt(batch);
    this.failures = again.length > 0 ? this.failures + 1 : 0;
    // Items queued while the batch ran stay behind the ones that failed again.
    this.items.unshift(...again.map((q) => ({ item: q.item, attempts: q.attempts + 1 })));
    while (this.items.length > this.policy.maxQueuedPerAp) this.onDrop(this.items.shift()!.item);
    this.schedule();
  }
}
