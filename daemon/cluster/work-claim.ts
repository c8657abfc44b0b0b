import type { ClusterKv, KvLease } from '../ports/cluster-kv.js';
import type { Log } from '../log/log.js';

// Exactly-once work in a cluster (docs/cluster.md): the R0KH-R1KH traffic from the KMS's one MAC
// (PUSHes, PULL answers, sequence exchanges), PMKSA_ADDs, re-pushes and retry queues belong to the
// one member holding this claim, a key created only if absent and bound to the holder's lease. When
// the holder dies its lease lapses and the key goes; another member creates it and takes over.
//
// No split brain: a holder that has not heard its lease renewed for half the TTL stops the work
// before etcd can expire the lease and let another member in (a member cut off from etcd cannot
// renew). It takes the work up again only once renewals resume and the claim is still its own.

export interface WorkClaimOptions {
  kv: ClusterKv;
  key: string;
  member: string;
  /** The member's lease (membership.ts); null while it is not registered. */
  lease(): KvLease | null;
  leaseTtlS: number;
  log: Log;
  /**
   * Called on every change: true when this member takes the work, false when it lets go.
   * `resumed`: it takes up again work it let go of while its lease (and so its claim) never lapsed,
   * so no other member can have done any of it meanwhile.
   */
  onChange(holding: boolean, why: string, resumed: boolean): void;
  pollMs?: number;
  now?: () => number;
}

export class WorkClaim {
  private holding = false;
  private since: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private readonly now: () => number;

  constructor(private readonly o: WorkClaimOptions) {
    this.now = o.now ?? Date.now;
  }

  get isHolding(): boolean {
    return this.holding;
  }

  /** How old the lease's last renewal may be while this member does the work: half the TTL. */
  get staleAfterMs(): number {
    return (this.o.leaseTtlS * 1000) / 2;
  }

  /** When this member took the work (ms), while it holds it. */
  get heldSince(): number | null {
    return this.since;
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.o.pollMs ?? 250);
    this.timer.unref();
    void this.tick();
  }

  /** Lets go (a clean stop revokes the lease right after, which frees the claim at once). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.holding) this.set(false, 'stopping');
  }

  /** Who holds the claim now according to etcd (kmsctl cluster), or null if nobody. */
  async holder(timeoutMs = 1000): Promise<string | null> {
    const e = await this.o.kv.get(this.o.key, timeoutMs);
    if (!e) return null;
    try {
      return (JSON.parse(e.value.toString()) as { member: string }).member;
    } catch {
      return '?';
    }
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const lease = this.o.lease();
      const fresh = lease !== null && this.now() - lease.renewedAt() < this.staleAfterMs;
      if (this.holding && !fresh) {
        this.set(false, lease ? `lease not renewed for ${this.now() - lease.renewedAt()} ms (half the TTL)` : 'lease lost');
        return;
      }
      if (!lease || !fresh) return;
      const mine = JSON.stringify({ member: this.o.member, lease: lease.id });
      const bound = Math.max(200, (this.o.leaseTtlS * 1000) / 4);
      if (this.holding) {
        // Still ours? (An operator may have deleted it, or the lease been replaced.)
        const e = await this.o.kv.get(this.o.key, bound);
        if (e?.value.toString() !== mine) this.set(false, 'the claim is no longer this member’s');
        return;
      }
      const created = await this.o.kv.createIfAbsent({ key: this.o.key, value: Buffer.from(mine), lease: lease.id }, bound);
      if (created) return this.set(true, 'claim created');
      const e = await this.o.kv.get(this.o.key, bound);
      // Our own claim from before a pause in renewals: the lease held, so the work is still ours.
      if (e?.value.toString() === mine) this.set(true, 'claim still held after renewals resumed', true);
    } catch {
      // etcd slow or unreachable: the freshness check above decides, on the next tick.
    } finally {
      this.busy = false;
    }
  }

  private set(holding: boolean, why: string, resumed = false): void {
    if (this.holding === holding) return;
    this.holding = holding;
    this.since = holding ? this.now() : null;
    // Letting go is worth a warning: until the work is back, this member places no key.
    (holding ? this.o.log.info : this.o.log.warn).call(
      this.o.log,
      { member: this.o.member, holding, why },
      holding ? 'cluster: this member takes the exactly-once work' : 'cluster: this member stops the exactly-once work',
    );
    this.o.onChange(holding, why, resumed);
  }
}
