import type { ClusterKv, KvPut } from '../ports/cluster-kv.js';

/**
 * etcd refuses a transaction of more than 128 operations (`--max-txn-ops`, whose default nobody
 * changes), and a busy member easily gathers more. Independent entries (records, placements)
 * therefore go in transactions of at most this many, side by side.
 */
export const MAX_TXN_OPS = 128;

/** `puts` in transactions of at most MAX_TXN_OPS, at once; resolves when all landed, rejects if one failed. */
export async function putChunked(kv: ClusterKv, puts: KvPut[], timeoutMs: number): Promise<void> {
  const sent: Promise<string>[] = [];
  for (let i = 0; i < puts.length; i += MAX_TXN_OPS) sent.push(kv.putAll(puts.slice(i, i + MAX_TXN_OPS), timeoutMs));
  await Promise.all(sent);
}
