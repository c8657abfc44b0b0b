import type { ClusterKv, KvChange, KvEntry, KvWatch } from '../ports/cluster-kv.js';

// Following a prefix of the cluster store: read it whole, then watch it from the revision of that
// read, so that nothing written in between is missed. When the store ends a watch (most often
// because its revision was compacted away, as happens to a member cut off for long), the changes
// since are gone for good: the prefix is read whole again rather than watched from where it
// stopped. A read or watch that could not be set up at all (the store unreachable) is tried again
// from the revision already read up to.

export interface FollowPrefixOptions {
  kv: ClusterKv;
  prefix: string;
  /** A revision already read up to (the watch goes on after it), or null: read the prefix whole first. */
  after: string | null;
  listTimeoutMs: number;
  /** How long to wait before trying again after a failure. Default 1000. */
  retryMs?: number;
  /** Every entry under the prefix, as of `revision`. */
  onSnapshot(entries: KvEntry[], revision: string): void;
  /** Changes since the last snapshot or changes, in revision order; `revision` is the last one's. */
  onChanges(changes: KvChange[], revision: string): void;
  /** The watch failed or could not be set up; it is tried again in `retryMs`. */
  onRetry(reason: string, retryMs: number): void;
}

export interface PrefixFollow {
  /** Resolves once the watch is set up, or its first try failed and a retry is due; never rejects. */
  readonly started: Promise<void>;
  /** The revision read up to, or null while the prefix is due to be read whole. */
  readonly revision: string | null;
  readonly watching: boolean;
  close(): Promise<void>;
}

export function followPrefix(o: FollowPrefixOptions): PrefixFollow {
  const retryMs = o.retryMs ?? 1000;
  let revision = o.after;
  let watch: KvWatch | null = null;
  let retry: NodeJS.Timeout | null = null;
  let closed = false;

  const again = (reason: string): void => {
    if (closed) return;
    o.onRetry(reason, retryMs);
    retry = setTimeout(() => void start(), retryMs);
    retry.unref();
  };

  const close = async (): Promise<void> => {
    closed = true;
    if (retry) clearTimeout(retry);
    await watch?.close().catch(() => {});
    watch = null;
  };

  async function start(): Promise<void> {
    try {
      if (revision === null) {
        const read = await o.kv.list(o.prefix, o.listTimeoutMs);
        o.onSnapshot(read.entries, read.revision);
        revision = read.revision;
      }
      // A change the caller could not apply (its store refused it) ends this watch; the next one
      // starts after the last revision applied, so those changes come again instead of being lost.
      let failed = false;
      watch = await o.kv.watch(
        o.prefix,
        revision,
        (changes) => {
          if (failed) return;
          const last = changes[changes.length - 1]!.modRevision;
          try {
            o.onChanges(changes, last);
          } catch (e) {
            failed = true;
            const ending = watch;
            watch = null;
            void ending?.close().catch(() => {});
            again(`cannot apply changes: ${(e as Error).message ?? String(e)}`);
            return;
          }
          revision = last;
        },
        (reason) => {
          if (failed) return;
          watch = null;
          revision = null;
          again(reason);
        },
      );
      if (closed) await close();
    } catch (e) {
      again((e as Error).message);
    }
  }

  return {
    started: start(),
    get revision() {
      return revision;
    },
    get watching() {
      return watch !== null;
    },
    close,
  };
}

/**
 * Follows one prefix per other member (entries each member writes under its own name): `onValues`
 * hears the values of every entry read or put there, with the member whose name it was under.
 */
export function followMembers(o: {
  kv: ClusterKv;
  members: readonly string[];
  prefixOf(member: string): string;
  onValues(member: string, values: Buffer[]): void;
  onRetry(member: string, reason: string): void;
}): { started: Promise<void>; close(): Promise<void> } {
  const follows = o.members.map((member) =>
    followPrefix({
      kv: o.kv,
      prefix: o.prefixOf(member),
      after: null,
      listTimeoutMs: 30_000,
      onSnapshot: (entries) =>
        o.onValues(
          member,
          entries.map((e) => e.value),
        ),
      onChanges: (changes) =>
        o.onValues(
          member,
          changes.flatMap((c) => (c.kind === 'put' ? [c.value] : [])),
        ),
      onRetry: (reason) => o.onRetry(member, reason),
    }),
  );
  return {
    started: Promise.all(follows.map((f) => f.started)).then(() => {}),
    close: () => Promise.all(follows.map((f) => f.close())).then(() => {}),
  };
}
