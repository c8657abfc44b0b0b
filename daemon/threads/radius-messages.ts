import type { RecordPolicy } from '../records/build.js';
import type { AccountingFacts } from '../records/facts.js';
import type { StationNews } from '../records/news.js';
import type { ClusterCommitStatus } from '../cluster/cluster-committer.js';
import type { ReplicatorStatus } from '../cluster/replicator.js';

// What kmsd's main thread and its RADIUS thread say to each other (radius-thread.ts,
// radius-worker.ts). Everything is structured-cloned within the process: secrets and the master
// key cross as plain bytes and never leave it.

export interface RadiusWorkerData {
  storePath: string;
  /** Copied to the worker, which wipes its copy once the store is open. */
  masterKey: Uint8Array;
  logLevel: string;
  policy: RecordPolicy;
  purgeIntervalS: number;
  authListen: { address: string; port: number };
  acctListen: { address: string; port: number };
  clients: RadiusClientData[];
  upstreams: RadiusUpstreamData[];
  deadProbeIntervalMs: number;
  duplicateWindowMs: number;
  maxInFlight: number;
  /** SO_RCVBUF of the auth and accounting sockets. */
  recvBufferBytes: number;
  /**
   * Nice levels this thread's store statements run above its own priority (its priority
   * ceiling, daemon/common/thread-priority.ts): the R0KH-R1KH thread's boost, since both share
   * SQLite's mutex for the file; 0 without key distribution.
   */
  storeStatementsBoost: number;
  /** With a `cluster:` section: each record is committed in etcd too before its Accept is relayed. */
  cluster?: ClusterConnection & { commitTimeoutMs: number };
}

/** How a thread reaches the cluster store (the secrets, resolved, cross within the process). */
export interface ClusterConnection {
  member: string;
  endpoints: string[];
  prefix: string;
  tls?: { ca: string; cert?: string; key?: string };
  auth?: { username: string; password: string };
}

export interface RadiusClientData {
  name: string;
  address: string;
  secret: Uint8Array;
}
export interface RadiusUpstreamData {
  name: string;
  address: string;
  authPort: number;
  acctPort: number;
  timeoutMs: number;
  tries: number;
  secret: Uint8Array;
  /** RadSec: the checked PEMs (the key crosses as text, within the process like the secrets). */
  tls?: { ca: string; cert: string; key: string; serverName: string; keepaliveMs: number };
}

/** What a reload hands the RADIUS thread; it swaps them in at once (RadiusProxy.reconfigure). */
export interface RadiusReloadTables {
  logLevel: string;
  clients: RadiusClientData[];
  upstreams: RadiusUpstreamData[];
  deadProbeIntervalMs: number;
}

/** The thread's answer: which upstreams it kept, started and retired, and requests in flight at the swap. */
export interface RadiusReloadResult {
  kept: string[];
  added: string[];
  retired: string[];
  inFlight: number;
}

/**
 * Counter increments since the last report; latency holds every answer's time, per kind. `ap`
 * is the RADIUS client's name ('' for a packet from no configured client).
 */
export interface RadiusCounts {
  dropped: [reason: string, ap: string, n: number][];
  forwarded: [kind: string, upstream: string, ap: string, n: number][];
  answered: [kind: string, code: string, upstream: string, ap: string, n: number][];
  latency: [kind: string, seconds: number[]][];
}

export interface RadiusStatus {
  inFlight: number;
  upstreams: { name: string; alive: boolean }[];
  /** The cluster commit's state and running totals, with a cluster. */
  cluster?: ClusterCommitStatus;
  /** Replication of the other members' records into this store, with a cluster. */
  replication?: ReplicatorStatus;
}

export type FromRadiusThread =
  /** `tid`: the thread's kernel id (for `top -H`, and its priority); null if unknown. */
  | { type: 'ready'; authPort: number; acctPort: number; tid: number | null }
  | { type: 'start-failed'; message: string }
  /**
   * Committed to the store before their Accepts were relayed; one message per group commit.
   * `news[i]` says whether `json[i]` tells anything new (records/news.ts).
   */
  | { type: 'learned'; json: string[]; news: StationNews[] }
  | { type: 'accounting'; facts: AccountingFacts }
  /** Records other cluster members committed, imported into the store; `relayedBy[i]` names the member of `json[i]`. */
  | { type: 'replicated'; json: string[]; relayedBy: string[] }
  | { type: 'upstream'; name: string; alive: boolean }
  /** `id` answers a 'report' request; periodic reports have none. */
  | { type: 'report'; id: number | null; counts: RadiusCounts; status: RadiusStatus }
  | { type: 'reconfigured'; id: number; result: RadiusReloadResult }
  | { type: 'stopped' };

export type ToRadiusThread =
  | { type: 'report'; id: number }
  | { type: 'reconfigure'; id: number; tables: RadiusReloadTables }
  | { type: 'stop' };
