// Expired records go on a schedule: the station table's rows, and with them whatever else is kept
// per station until it expires (key distribution's placements). Its own timer, unref'd: purging
// never keeps kmsd up.

export interface Purgeable {
  /** Drops what expired; returns how many. */
  purgeExpired(): number;
}

export interface StationPurgeDeps {
  stations: Purgeable & { readonly size: number };
  /** Purged in the same round, after the stations (e.g. the placement ledger). */
  alongside: Purgeable[];
  intervalMs: number;
  log: { info(o: object, m: string): void; error(o: object, m: string): void };
  /** After a round that purged stations: how many, and how many are left. */
  observer?: { purged(n: number, left: number): void };
}

export class StationPurge {
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly d: StationPurgeDeps) {}

  start(): void {
    this.timer ??= setInterval(() => this.round(), this.d.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One round now; returns how many stations it purged. */
  round(): number {
    try {
      const n = this.d.stations.purgeExpired();
      for (const p of this.d.alongside) p.purgeExpired();
      if (n > 0) {
        this.d.observer?.purged(n, this.d.stations.size);
        this.d.log.info({ purged: n }, 'expired station records purged');
      }
      return n;
    } catch (e) {
      this.d.log.error({ err: (e as Error).message }, 'purge failed');
      return 0;
    }
  }
}
