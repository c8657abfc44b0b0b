import type { ApEvent } from '../ports/ap-driver.js';

// Where every event of every AP's control channel goes. The channel's own state (up or down, the
// last change and its reason) is kept and logged here; then each event goes to every subscriber,
// each taking what concerns it: StationLife the station events, the distributor and the sequence
// warm-up a channel coming up, RF neighbours beacon reports and associations. Delivery (which
// socket, which back-end) is the composition root's; what an event means is decided from here on.

export interface ApEventTarget {
  onApEvent(ap: string, ev: ApEvent): unknown;
}

export interface ApChannelChange {
  at: number;
  /** Why the channel went down; null when it came up. */
  reason: string | null;
}

export interface ApChannelsDeps {
  log: { info(o: object, m: string): void; warn(o: object, m: string): void };
  /** A channel went up or down (the transport gauge). */
  observer?: { channel(ap: string, up: boolean): void };
  now?: () => number;
}

export class ApChannels {
  private readonly changes = new Map<string, ApChannelChange>();
  private readonly targets: ApEventTarget[] = [];
  private readonly now: () => number;

  constructor(private readonly d: ApChannelsDeps) {
    this.now = d.now ?? Date.now;
  }

  /** `t` hears every AP event from now on, after the channel state is updated. */
  subscribe(t: ApEventTarget): void {
    this.targets.push(t);
  }

  onApEvent(ap: string, ev: ApEvent): void {
    if (ev.type === 'transport') {
      this.changes.set(ap, { at: this.now(), reason: ev.reason ?? null });
      this.d.observer?.channel(ap, ev.up);
      this.d.log[ev.up ? 'info' : 'warn']({ ap, reason: ev.reason }, ev.up ? 'AP control channel up' : 'AP control channel down');
    }
    for (const t of this.targets) t.onApEvent(ap, ev);
  }

  /** The channel's last change, for GET /v1/aps; undefined if none yet. */
  lastChange(ap: string): ApChannelChange | undefined {
    return this.changes.get(ap);
  }
}
