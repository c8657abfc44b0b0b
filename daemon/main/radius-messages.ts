import type { RecordPolicy } from '../records/build.js';
import type { AccountingFacts } from '../records/facts.js';

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
  clients: { name: string; address: string; secret: Uint8Array }[];
  upstreams: { name: string; address: string; authPort: number; acctPort: number; timeoutMs: number; tries: number; secret: Uint8Array }[];
  deadProbeIntervalMs: number;
  duplicateWindowMs: number;
  maxInFlight: number;
}

/** Counter increments since the last report; latency holds every answer's time, per kind. */
export interface RadiusCounts {
  dropped: [reason: string, n: number][];
  forwarded: [kind: string, upstream: string, n: number][];
  answered: [kind: string, code: string, upstream: string, n: number][];
  latency: [kind: string, seconds: number[]][];
}

export interface RadiusStatus {
  inFlight: number;
  upstreams: { name: string; alive: boolean }[];
}

export type FromRadiusThread =
  /** `tid`: the thread's kernel id (for `top -H`, and its priority); null if unknown. */
  | { type: 'ready'; authPort: number; acctPort: number; tid: number | null }
  | { type: 'start-failed'; message: string }
  /** Committed to the store before their Accepts were relayed; one message per group commit. */
  | { type: 'learned'; json: string[] }
  | { type: 'accounting'; facts: AccountingFacts }
  | { type: 'upstream'; name: string; alive: boolean }
  /** `id` answers a 'report' request; periodic reports have none. */
  | { type: 'report'; id: number | null; counts: RadiusCounts; status: RadiusStatus }
  | { type: 'stopped' };

export type ToRadiusThread = { type: 'report'; id: number } | { type: 'stop' };
