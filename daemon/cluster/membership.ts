import type { ClusterKv, KvLease } from '../ports/cluster-kv.js';
import type { Log } from '../log/log.js';
import type { ClusterLayout } from './layout.js';

// A member's presence in the cluster: `members/<name>` under the member's own lease, so that it
// vanishes one TTL after the member dies (kill -9, a lost machine, a cut link) and every other
// member sees who is there. The same lease will bind the member's claims on exactly-once work.

export interface MemberInfo {
  name: string;
  radiusAddress: string;
  version: string;
  startedAt: number;
}

export interface MemberSeen extends MemberInfo {
  /** This instance. */
  self: boolean;
}

export interface MembershipOptions {
  kv: ClusterKv;
  layout: ClusterLayout;
  self: MemberInfo;
  leaseTtlS: number;
  log: Log;
  timeoutMs?: number;
  retryMs?: number;
}

export class Membership {
  private lease: KvLease | null = null;
  private registered = false;
  private stopped = false;
  private retry: NodeJS.Timeout | null = null;

  constructor(private readonly o: MembershipOptions) {}

  /** Registers in the background: never waits for, nor fails on, an unreachable cluster. */
  start(): void {
    void this.register();
  }

  get isRegistered(): boolean {
    return this.registered;
  }

  /** The member's lease while it is registered: claims are bound to it. */
  get currentLease(): KvLease | null {
    return this.registered ? this.lease : null;
  }

  /** The members that are there now (their leases live), from the cluster store. */
  async members(): Promise<MemberSeen[]> {
    const { entries } = await this.o.kv.list(this.o.layout.members, this.o.timeoutMs ?? 1000);
    const seen: MemberSeen[] = [];
    for (const e of entries) {
      try {
        const m = JSON.parse(e.value.toString()) as MemberInfo;
        if (typeof m.name === 'string') seen.push({ ...m, self: m.name === this.o.self.name });
      } catch {
        // Not ours to interpret; kmsctl cluster shows members by what they wrote.
      }
    }
    return seen;
  }

  /** Leaves at once (a clean stop): the lease goes and with it everything bound to it. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    await this.lease?.revoke().catch(() => {});
  }

  private async register(): Promise<void> {
    if (this.stopped) return;
    try {
      const lease = await this.o.kv.lease(this.o.leaseTtlS);
      lease.onLost((reason) => {
        this.registered = false;
        if (this.stopped) return;
        this.o.log.warn({ reason }, 'cluster: this member lost its lease (cut off from etcd for longer than leaseTtlS); registering again');
        this.later();
      });
      await this.o.kv.putAll(
        [{ key: this.o.layout.member(this.o.self.name), value: Buffer.from(JSON.stringify(this.o.self)), lease: lease.id }],
        this.o.timeoutMs ?? 1000,
      );
      this.lease = lease;
      this.registered = true;
      this.o.log.info({ member: this.o.self.name, leaseTtlS: this.o.leaseTtlS }, 'cluster: member registered');
    } catch (e) {
      this.o.log.warn({ reason: (e as Error).message }, 'cluster: cannot register this member yet; retrying');
      this.later();
    }
  }

  private later(): void {
    if (this.stopped) return;
    this.retry = setTimeout(() => void this.register(), this.o.retryMs ?? 1000);
    this.retry.unref();
  }
}
