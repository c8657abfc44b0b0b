// RF evidence that one cluster member sees and the others may not: a roam that only its capture
// source or its AP events saw, a beacon that only a monitor attached to it heard. Beacon reports
// are not among it: every member's control channel receives them. The neighbour service publishes
// what it saw itself and applies what the others saw (daemon/cluster/rf-evidence-relay.ts carries
// it through etcd), so the graph of the member holding the work is built from everything.

export type RfEvidence =
  /** Station `sta` moved from AP `from` to AP `to` (names) at `at` (ms since the epoch). */
  | { kind: 'roam'; sta: string; from: string; to: string; at: number }
  /** AP `ap`'s radio, or a monitor next to it, heard BSS `bssid` at `dbm` (null: no signal field). */
  | { kind: 'beacon'; ap: string; bssid: string; dbm: number | null; at: number };

/** Where the service's own evidence goes, and whence the others' comes. */
export interface RfEvidenceChannel {
  publish(e: RfEvidence): void;
  /** Calls `apply` with each piece of evidence another member published. */
  subscribe(apply: (e: RfEvidence) => void): void;
}
