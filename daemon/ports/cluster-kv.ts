// Port: the cluster's shared key-value store (docs/cluster.md). adapters/etcd implements it on
// etcd; only kmsd instances with a cluster use it. Values are opaque bytes: whatever the core
// puts there is already sealed (station keys) or holds no secret.

/** One write of a transaction; `lease` binds the key's life to a lease (it goes when the lease does). */
export interface KvPut {
  key: string;
  value: Buffer;
  lease?: string;
}

export interface KvEntry {
  key: string;
  value: Buffer;
  /** The store's revision of this entry's last change: an order every member agrees on. */
  modRevision: string;
}

export type KvChange = ({ kind: 'put' } & KvEntry) | { kind: 'delete'; key: string; modRevision: string };

/** A lease kept alive while this member lives; it lapses `ttlS` after the member stops renewing it. */
export interface KvLease {
  readonly id: string;
  /** Called once when the store says the lease is gone (expired while we were cut off, or revoked). */
  onLost(handler: (reason: string) => void): void;
  /**
   * When the store last confirmed the lease (granted or renewed), by this process's clock: a holder
   * of exactly-once work stops it once this is too old, before the store can let another take it.
   */
  renewedAt(): number;
  /**
   * The same time in shared memory (a BigInt64 of ms since the epoch), where the adapter keeps it
   * there: another thread that sends on the holder's behalf reads it and stops by itself.
   */
  readonly renewals?: SharedArrayBuffer;
  /** Ends it now: every key bound to it goes at once (a clean shutdown hands work over without waiting). */
  revoke(): Promise<void>;
}

export interface KvWatch {
  close(): Promise<void>;
}

export interface ClusterKv {
  /**
   * All of `puts` in one transaction, resolved once a majority of the store has it; rejected when
   * that has not happened within `timeoutMs` (the writes may still land later: callers replay
   * idempotently). Returns the transaction's revision.
   */
  putAll(puts: KvPut[], timeoutMs: number): Promise<string>;
  /** Puts `key` only if it does not exist; true if this call created it. */
  createIfAbsent(put: KvPut, timeoutMs: number): Promise<boolean>;
  /** One entry, or undefined if the key does not exist. */
  get(key: string, timeoutMs: number): Promise<KvEntry | undefined>;
  /**
   * Puts only while the key is as the caller last read it: its modRevision is still `modRevision`
   * ('0': the key must not exist). True if the put happened. A late replay uses it so that it never
   * overwrites what another member wrote meanwhile.
   */
  putIfUnchanged(put: KvPut, modRevision: string, timeoutMs: number): Promise<boolean>;
  /** Several entries read in one transaction (one answer per key, in order; undefined where absent). */
  getAll(keys: string[], timeoutMs: number): Promise<(KvEntry | undefined)[]>;
  /**
   * putIfUnchanged for several keys in one transaction, all or none: true if every key was as its
   * caller read it and every put happened, false if none happened.
   */
  putAllIfUnchanged(items: { put: KvPut; modRevision: string }[], timeoutMs: number): Promise<boolean>;
  /** Every entry under `prefix`, and the revision the read was made at (for a watch to go on from). */
  list(prefix: string, timeoutMs: number): Promise<{ entries: KvEntry[]; revision: string }>;
  /**
   * Changes under `prefix` after `afterRevision`, in revision order, until closed. `onError` hears
   * of a watch the store ended (e.g. `afterRevision` was compacted away): the caller reads afresh.
   */
  watch(
    prefix: string,
    afterRevision: string,
    onChange: (changes: KvChange[]) => void,
    onError?: (reason: string) => void,
  ): Promise<KvWatch>;
  /** A new lease of `ttlS` seconds, renewed in the background. */
  lease(ttlS: number): Promise<KvLease>;
  /** A lease nobody renews: it and every key bound to it go `ttlS` seconds from now (how records expire). */
  expiringLease(ttlS: number, timeoutMs: number): Promise<string>;
  close(): Promise<void>;
}
