import type { PlanPolicy } from '../distribution/planner.js';
import type { PmkR1Entry, PushOutcome, RrbPeer } from '../ports/pmk-r1-transport.js';
import type { ApInfo } from '../distribution/topology.js';
import type { PullOutcome } from '../distribution/distributor.js';

// What kmsd's main thread and its R0KH-R1KH thread say to each other (rrb-thread.ts,
// rrb-worker.ts). Structured-cloned within the process: the AP keys, the master key and the
// PMK-R1s of PUSH requests cross as plain bytes and never leave it.

export interface RrbWorkerData {
  ifname: string;
  mac: string | undefined;
  storePath: string;
  /** Copied to the worker, which wipes its copy once the store is open. */
  masterKey: Uint8Array;
  logLevel: string;
  aps: ApInfo[];
  /** The 256-bit key of each AP's `r0kh` line for the KMS, by AP name. */
  apKeys: [ap: string, key: Uint8Array][];
  policy: PlanPolicy;
  /** distribution.rrb.priorityBoost: nice levels the thread raises itself above the service. */
  priorityBoost: number;
  /** distribution.rrb.realtimePriority: the SCHED_RR priority the thread asks for; 0: none. */
  realtimePriority: number;
  /**
   * A cluster member that does not hold the exactly-once work starts silent: its endpoint is
   * closed after the start-up check, so it sends nothing on the segment, not even a NAK.
   */
  silent?: boolean;
}

/**
 * A cluster holder's fence, checked by the thread before each frame: the member lease's renewal
 * time in shared memory (a BigInt64 of ms since the epoch) and how old it may be. The main thread
 * stops the work at the same age, but it runs niced and may be late to say so.
 */
export interface SendFence {
  renewals: SharedArrayBuffer;
  staleAfterMs: number;
}

/** The thread's CPU priority once started: its nice value, its real-time priority, and why either could not be set. */
export interface RrbThreadPriority {
  nice: number | null;
  refused?: string;
  /** Its SCHED_RR priority, or null: it runs under the normal scheduler. */
  realtime: number | null;
  realtimeRefused?: string;
}

/** What a PULL was answered with; the main thread's distributor keeps the ledger (onPull). */
export type { PullOutcome };

export interface PushItem {
  id: number;
  peer: RrbPeer;
  entry: PmkR1Entry;
}

export type FromRrbThread =
  | { type: 'ready'; mac: string; tid: number | null; priority: RrbThreadPriority }
  | { type: 'start-failed'; message: string }
  /** The outcomes of PUSHes, as many as were done since the last such message. */
  | { type: 'pushed'; outcomes: { id: number; outcome: PushOutcome }[] }
  | { type: 'pull'; outcome: PullOutcome }
  /** Frame events since the last message, as counted by the endpoint's observer. */
  | { type: 'frames'; counts: [event: string, reason: string, n: number][] }
  | { type: 'stopped' };

export type ToRrbThread =
  /** PUSHes asked for in one turn of the main thread's loop: one message for all (a station has several neighbour BSSes, a burst many stations). */
  | { type: 'push'; items: PushItem[] }
  | { type: 'probe'; pairs: { peer: RrbPeer; r0khId: string }[] }
  /** A reload's APs and their keys (they replace the thread's whole topology), and log level. */
  | { type: 'reload'; aps: ApInfo[]; apKeys: [ap: string, key: Uint8Array][]; logLevel: string }
  /** Cluster: open the endpoint (this member now holds the exactly-once work) or close it (another does). */
  | { type: 'silent'; on: boolean; fence?: SendFence }
  | { type: 'stop' };
