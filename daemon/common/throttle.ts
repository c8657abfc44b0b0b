/**
 * At most `limit` events per key per period: log lines about a flood (bad packets, bad frames)
 * stay readable at 3 a.m. and never fill the disk, while the counters still see everything.
 */
export class Throttle {
  private readonly windows = new Map<string, { start: number; n: number }>();

  constructor(
    private readonly limit: number,
    private readonly periodMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  allow(key: string): boolean {
    const now = this.now();
    const w = this.windows.get(key);
    if (!w || now - w.start >= this.periodMs) {
      this.windows.set(key, { start: now, n: 1 });
      return true;
    }
    return ++w.n <= this.limit;
  }
}
