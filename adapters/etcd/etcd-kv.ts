import { ConsecutiveBreaker, circuitBreaker, handleType } from 'cockatiel';
import { Etcd3, GRPCUnavailableError, type IOptions } from 'etcd3';
import { type EtcdConnection, LeaseThread } from './lease-thread.js';
import type { ClusterKv, KvChange, KvEntry, KvLease, KvPut, KvWatch } from '../../daemon/ports/cluster-kv.js';

// The cluster store on etcd (v3 API, 3.4 and later), through the `etcd3` client. Every call that
// a login or a claim waits on carries its own bound: the client's default fault handling retries
// on another member, which is what a dead member needs, but a cluster without quorum must cost a
// caller `timeoutMs` and no more, so each call races its deadline too.

export interface EtcdKvOptions extends EtcdConnection {
  /**
   * Leases are kept alive on a thread of their own (lease-thread.ts), which gets this nice value:
   * the service's, where the creating thread runs nicer. Unset: the creator's.
   */
  leaseThreadNice?: number;
  /** Hears what is worth a warning and is not an error of any one call (a priority refused). */
  warning?(message: string): void;
}

/** The first key after every key that starts with `prefix` (etcd's range_end for a prefix). */
export function prefixEnd(prefix: string | Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]!++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]); // every key
}

class TimedOut extends Error {
  constructor(what: string, ms: number) {
    super(`etcd did not answer ${what} within ${ms} ms`);
  }
}

function bounded<T>(what: string, ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TimedOut(what, ms)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

const requestPut = (p: KvPut) => ({ request_put: { key: Buffer.from(p.key), value: p.value, ...(p.lease ? { lease: p.lease } : {}) } });

export class EtcdKv implements ClusterKv {
  private readonly client: Etcd3;
  private readonly leases: LeaseThread;

  constructor(o: EtcdKvOptions) {
    const options: IOptions = {
      hosts: o.endpoints,
      dialTimeout: 2000,
      // The client's default breaker takes a member out for 5 s after 3 failures in a row, timeouts
      // included. Our calls carry short deadlines, so on a busy machine three late answers took every
      // member out at once: each call then failed at once for 5 s, lease renewals too, and the holder
      // lost the work (found by the cluster-load bench). Only a member that cannot be reached is
      // skipped now, and for 1 s; a slow answer is the caller's to bound and retry.
      faultHandling: {
        host: () => circuitBreaker(handleType(GRPCUnavailableError), { halfOpenAfter: 1000, breaker: new ConsecutiveBreaker(3) }),
      },
      ...(o.tls ? { credentials: { rootCertificate: o.tls.ca, certChain: o.tls.cert, privateKey: o.tls.key } } : {}),
      ...(o.auth ? { auth: o.auth } : {}),
    };
    this.client = new Etcd3(options);
    this.leases = new LeaseThread({
      endpoints: o.endpoints,
      ...(o.tls ? { tls: o.tls } : {}),
      ...(o.auth ? { auth: o.auth } : {}),
      ...(o.leaseThreadNice !== undefined ? { nice: o.leaseThreadNice } : {}),
      ...(o.warning ? { warning: o.warning } : {}),
    });
  }

  async putAll(puts: KvPut[], timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    const r = await bounded('a transaction', timeoutMs, this.client.kv.txn({ compare: [], success: puts.map(requestPut) }, { deadline }));
    return String(r.header.revision);
  }

  async createIfAbsent(put: KvPut, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const r = await bounded(
      'a create',
      timeoutMs,
      this.client.kv.txn(
        { compare: [{ key: Buffer.from(put.key), target: 'Create', result: 'Equal', create_revision: 0 }], success: [requestPut(put)] },
        { deadline },
      ),
    );
    return r.succeeded;
  }

  async get(key: string, timeoutMs: number): Promise<KvEntry | undefined> {
    const deadline = Date.now() + timeoutMs;
    const r = await bounded('a read', timeoutMs, this.client.kv.range({ key: Buffer.from(key) }, { deadline }));
    const kv = r.kvs[0];
    return kv ? { key: kv.key.toString(), value: Buffer.from(kv.value), modRevision: String(kv.mod_revision) } : undefined;
  }

  async putIfUnchanged(put: KvPut, modRevision: string, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const r = await bounded(
      'a compare-and-put',
      timeoutMs,
      this.client.kv.txn(
        { compare: [{ key: Buffer.from(put.key), target: 'Mod', result: 'Equal', mod_revision: modRevision }], success: [requestPut(put)] },
        { deadline },
      ),
    );
    return r.succeeded;
  }

  async getAll(keys: string[], timeoutMs: number): Promise<(KvEntry | undefined)[]> {
    if (keys.length === 0) return [];
    const deadline = Date.now() + timeoutMs;
    const r = await bounded(
      'a read',
      timeoutMs,
      this.client.kv.txn({ compare: [], success: keys.map((k) => ({ request_range: { key: Buffer.from(k) } })) }, { deadline }),
    );
    return r.responses.map((op) => {
      const kv = op.response_range?.kvs[0];
      return kv ? { key: kv.key.toString(), value: Buffer.from(kv.value), modRevision: String(kv.mod_revision) } : undefined;
    });
  }

  async putAllIfUnchanged(items: { put: KvPut; modRevision: string }[], timeoutMs: number): Promise<boolean> {
    if (items.length === 0) return true;
    const deadline = Date.now() + timeoutMs;
    const r = await bounded(
      'a compare-and-put',
      timeoutMs,
      this.client.kv.txn(
        {
          compare: items.map((i) => ({
            key: Buffer.from(i.put.key),
            target: 'Mod' as const,
            result: 'Equal' as const,
            mod_revision: i.modRevision,
          })),
          success: items.map((i) => requestPut(i.put)),
        },
        { deadline },
      ),
    );
    return r.succeeded;
  }

  async list(prefix: string, timeoutMs: number): Promise<{ entries: KvEntry[]; revision: string }> {
    const deadline = Date.now() + timeoutMs;
    const r = await bounded(
      'a read',
      timeoutMs,
      this.client.kv.range({ key: Buffer.from(prefix), range_end: prefixEnd(prefix) }, { deadline }),
    );
    return {
      entries: r.kvs.map((kv) => ({ key: kv.key.toString(), value: Buffer.from(kv.value), modRevision: String(kv.mod_revision) })),
      revision: String(r.header.revision),
    };
  }

  async watch(
    prefix: string,
    afterRevision: string,
    onChange: (changes: KvChange[]) => void,
    onError?: (reason: string) => void,
  ): Promise<KvWatch> {
    const watcher = await this.client
      .watch()
      .prefix(prefix)
      .startRevision(String(BigInt(afterRevision) + 1n))
      .create();
    // One callback per watch response: the changes of one etcd revision range, in order.
    watcher.on('data', (res) => {
      const changes: KvChange[] = res.events.map((ev) =>
        ev.type === 'Put'
          ? { kind: 'put', key: ev.kv.key.toString(), value: Buffer.from(ev.kv.value), modRevision: String(ev.kv.mod_revision) }
          : { kind: 'delete', key: ev.kv.key.toString(), modRevision: String(ev.kv.mod_revision) },
      );
      if (changes.length > 0) onChange(changes);
    });
    // The client re-creates a watch on a lost connection by itself; what reaches 'error' it gave up on.
    // etcd 3.4 ends a watch whose start revision was compacted away without saying why: the client's
    // message is then only its prefix, and the log line would read as if nothing had happened.
    watcher.on('error', (err: Error) =>
      onError?.(
        /^Watcher canceled:\s*$/.test(err.message)
          ? `etcd cancelled the watch from revision ${afterRevision} (compacted away?)`
          : err.message,
      ),
    );
    return { close: () => watcher.cancel() };
  }

  /** Kept alive on the lease thread: a late event loop here does not make its renewals late. */
  async lease(ttlS: number): Promise<KvLease> {
    return this.leases.grant(ttlS);
  }

  /** The lease thread's nice value, once it runs (null before the first lease). */
  get leaseThreadNice(): number | null {
    return this.leases.nice;
  }

  async expiringLease(ttlS: number, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    const r = await bounded('a lease grant', timeoutMs, this.client.leaseClient.leaseGrant({ TTL: ttlS }, { deadline }));
    return String(r.ID);
  }

  async close(): Promise<void> {
    this.client.close();
    await this.leases.close();
  }
}
