import type { ClusterKv } from '../ports/cluster-kv.js';

// Entries in the cluster store expire with leases nobody renews: one lease per minute of expiry,
// granted the first time an entry needs it, so a million records cost a few hundred leases, not a
// million (docs/cluster.md). Each member grants its own; a record lives at most a minute longer
// in etcd than its expiresAt.

const BUCKET_MS = 60_000;

export class ExpiryLeases {
  private readonly leases = new Map<number, Promise<string>>();

  constructor(
    private readonly kv: ClusterKv,
    private readonly timeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The lease of entries that expire at `expiresAt` (ms). Rejects if etcd does not grant it in time. */
  forExpiry(expiresAt: number, ahead = true): Promise<string> {
    const bucket = Math.ceil(expiresAt / BUCKET_MS);
    let lease = this.leases.get(bucket);
    if (!lease) {
      const ttlS = Math.max(60, Math.ceil((bucket * BUCKET_MS - this.now()) / 1000) + 60);
      lease = this.kv.expiringLease(ttlS, this.timeoutMs);
      // A failed grant is not kept: the next entry asks again.
      lease.catch(() => this.leases.delete(bucket));
      this.leases.set(bucket, lease);
      const past = Math.floor(this.now() / BUCKET_MS);
      for (const b of this.leases.keys()) if (b < past) this.leases.delete(b);
      // The next minute's lease ahead of its first entry: otherwise that entry's commit waits a grant.
      if (ahead && !this.leases.has(bucket + 1)) void this.forExpiry((bucket + 1) * BUCKET_MS, false).catch(() => {});
    }
    return lease;
  }
}
