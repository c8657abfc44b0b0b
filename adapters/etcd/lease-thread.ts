import { createRequire } from 'node:module';
import { getPriority, setPriority } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { KvLease } from '../../daemon/ports/cluster-kv.js';

// etcd leases kept alive on a thread of their own. A member's lease says it is alive, and the
// holder of the exactly-once work stops that work once it has not seen the lease renewed for half
// the TTL (daemon/cluster/work-claim.ts). Renewed from kmsd's main thread, which runs niced and
// does the bulk work, a renewal came late whenever that thread was busy: on a loaded machine the
// holder let go of the work several times in ten seconds without anything being wrong with etcd.
// Here nothing else runs, at the service's priority, and the time of each lease's last renewal is
// written into shared memory, so that a reader whose own event loop is late still sees when etcd
// last confirmed it, and a thread that is stuck cannot make a lease look fresher than it is.
//
// The thread runs from source text (as background-checkpoint.ts does), so it works the same from
// the compiled daemon and from the tests' TypeScript.

/** How a client reaches etcd. */
export interface EtcdConnection {
  endpoints: string[];
  /** PEM contents: the CA of the members' certificates, and a client certificate and key if they ask for one. */
  tls?: { ca: Buffer; cert?: Buffer; key?: Buffer };
  auth?: { username: string; password: string };
}

/** The connection is the thread's own etcd client's (a gRPC channel does not cross threads). */
export interface LeaseThreadOptions extends EtcdConnection {
  /** The nice value the thread gets (the service's); unset: the one it inherits from its creator. */
  nice?: number;
  /** Hears of a nice value that could not be set (the leases are kept anyway). */
  warning?(message: string): void;
}

/** A lease kept by the thread: its renewal time is always in shared memory. */
export type ThreadLease = KvLease & { readonly renewals: SharedArrayBuffer };

type FromThread =
  | { kind: 'thread'; tid: number }
  | { kind: 'granted'; request: number; id: string }
  | { kind: 'failed'; request: number; reason: string }
  | { kind: 'revoked'; request: number }
  | { kind: 'lost'; id: string; reason: string };

interface Pending {
  resolve(id: string): void;
  reject(e: Error): void;
}

export class LeaseThread {
  private worker: Worker | null = null;
  private nextRequest = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly lost = new Map<string, { reason: string | null; handlers: ((reason: string) => void)[] }>();
  private closed = false;
  private priority: number | null = null;

  constructor(private readonly o: LeaseThreadOptions) {}

  /** The thread's nice value once it has set it (kmsctl cluster, tests), or null before. */
  get nice(): number | null {
    return this.priority;
  }

  async grant(ttlS: number): Promise<ThreadLease> {
    const shared = new SharedArrayBuffer(8);
    const renewed = new BigInt64Array(shared);
    const id = await this.call({ kind: 'grant', ttlS, renewedAt: shared });
    const state = { reason: null as string | null, handlers: [] as ((reason: string) => void)[] };
    this.lost.set(id, state);
    return {
      id,
      renewedAt: () => Number(Atomics.load(renewed, 0)),
      renewals: shared,
      onLost: (h) => {
        if (state.reason !== null) h(state.reason);
        else state.handlers.push(h);
      },
      revoke: async () => {
        this.lost.delete(id);
        await this.call({ kind: 'revoke', id });
      },
    };
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    this.closed = true;
    if (w) await w.terminate();
  }

  private call(m: { kind: 'grant'; ttlS: number; renewedAt: SharedArrayBuffer } | { kind: 'revoke'; id: string }): Promise<string> {
    if (this.closed) return Promise.reject(new Error('the etcd client is closed'));
    const w = this.thread();
    const request = this.nextRequest++;
    return new Promise<string>((resolve, reject) => {
      this.pending.set(request, { resolve, reject });
      w.postMessage({ ...m, request });
    });
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const resolve = createRequire(import.meta.url).resolve;
    const etcd3 = resolve('etcd3');
    const cockatiel = resolve('cockatiel');
    const { nice: _n, warning: _w, ...connection } = this.o;
    const w = new Worker(`(${leaseLoop.toString()})(require)`, {
      eval: true,
      // None of the process's flags: source text runs as CommonJS even under `node --input-type=module
      // -e`, and kmsd's own --single-threaded-gc is one a worker refuses (ERR_WORKER_INVALID_EXEC_ARGV).
      execArgv: [],
      workerData: { etcd3, cockatiel, connection },
    });
    w.unref();
    w.on('message', (m: FromThread) => this.heard(m));
    w.on('error', (e) => this.fail(w, `the lease thread failed: ${e.message}`));
    w.on('exit', (code) => this.fail(w, `the lease thread exited with code ${code}`));
    this.worker = w;
    return w;
  }

  private heard(m: FromThread): void {
    if (m.kind === 'thread') return this.setNice(m.tid);
    if (m.kind === 'lost') {
      const s = this.lost.get(m.id);
      if (!s || s.reason !== null) return;
      s.reason = m.reason;
      for (const h of s.handlers) h(m.reason);
      return;
    }
    const p = this.pending.get(m.request);
    if (!p) return;
    this.pending.delete(m.request);
    if (m.kind === 'failed') p.reject(new Error(m.reason));
    else p.resolve(m.kind === 'granted' ? m.id : '');
  }

  private setNice(tid: number): void {
    try {
      if (this.o.nice !== undefined && getPriority(tid) !== this.o.nice) setPriority(tid, this.o.nice);
      this.priority = getPriority(tid);
    } catch (e) {
      this.priority = getPriority(tid);
      this.o.warning?.(`the etcd lease thread keeps nice ${this.priority} instead of ${this.o.nice}: ${(e as Error).message}`);
    }
  }

  /**
   * The thread is gone: every pending call fails and every lease it kept is lost (their holders
   * register again, as after a cut from etcd); the next grant starts a new thread.
   */
  private fail(w: Worker, reason: string): void {
    if (this.worker !== w) return;
    this.worker = null;
    for (const p of this.pending.values()) p.reject(new Error(reason));
    this.pending.clear();
    for (const [id] of this.lost) this.heard({ kind: 'lost', id, reason });
    this.lost.clear();
  }
}

/**
 * Runs inside the worker, as source text: it may use nothing from this module's scope. One etcd
 * client; each lease is renewed by the client's keep-alive (every third of its TTL) and its
 * renewal time stored where the creator reads it.
 */
function leaseLoop(req: (id: string) => unknown): void {
  const { parentPort, workerData } = req('node:worker_threads') as typeof import('node:worker_threads');
  const { Etcd3, GRPCUnavailableError } = req(workerData.etcd3) as typeof import('etcd3');
  const { ConsecutiveBreaker, circuitBreaker, handleType } = req(workerData.cockatiel) as typeof import('cockatiel');
  const c = workerData.connection as LeaseThreadOptions;
  const bytes = (u: Uint8Array | undefined) => (u ? Buffer.from(u) : undefined);
  const client = new Etcd3({
    hosts: c.endpoints,
    dialTimeout: 2000,
    // As etcd-kv.ts's client, and for the same reason: a late answer must not take every member out.
    faultHandling: {
      host: () => circuitBreaker(handleType(GRPCUnavailableError), { halfOpenAfter: 1000, breaker: new ConsecutiveBreaker(3) }),
    },
    ...(c.tls ? { credentials: { rootCertificate: bytes(c.tls.ca)!, certChain: bytes(c.tls.cert), privateKey: bytes(c.tls.key) } } : {}),
    ...(c.auth ? { auth: c.auth } : {}),
  });
  const port = parentPort!;
  const self = String((req('node:fs') as typeof import('node:fs')).readlinkSync('/proc/thread-self'));
  port.postMessage({ kind: 'thread', tid: Number(self.slice(self.lastIndexOf('/') + 1)) });
  const leases = new Map<string, ReturnType<typeof client.lease>>();
  port.on('message', (m: { kind: string; request: number; ttlS?: number; renewedAt?: SharedArrayBuffer; id?: string }) => {
    if (m.kind === 'grant') {
      const renewed = new BigInt64Array(m.renewedAt!);
      const lease = client.lease(m.ttlS!, { autoKeepAlive: true });
      lease.on('keepaliveSucceeded', () => Atomics.store(renewed, 0, BigInt(Date.now())));
      lease
        .grant()
        .then((id) => {
          Atomics.store(renewed, 0, BigInt(Date.now()));
          leases.set(id, lease);
          lease.on('lost', (err) => {
            leases.delete(id);
            port.postMessage({ kind: 'lost', id, reason: err.message });
          });
          port.postMessage({ kind: 'granted', request: m.request, id });
        })
        .catch((e: Error) => port.postMessage({ kind: 'failed', request: m.request, reason: e.message }));
    } else if (m.kind === 'revoke') {
      const lease = leases.get(m.id!);
      leases.delete(m.id!);
      (lease ? lease.revoke() : Promise.resolve())
        .then(() => port.postMessage({ kind: 'revoked', request: m.request }))
        .catch((e: Error) => port.postMessage({ kind: 'failed', request: m.request, reason: e.message }));
    }
  });
}
