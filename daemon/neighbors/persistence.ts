// An in-memory NeighborStore (the port is daemon/ports/neighbor-store.ts).
import type { EdgeRecord, NeighborStore } from '../ports/neighbor-store.js';

/** For tests and for running without a store: keeps the rows in memory. */
export class MemoryNeighborStore implements NeighborStore {
  readonly rows = new Map<string, EdgeRecord>();
  saveEdges(upserts: EdgeRecord[], deletes: ReadonlyArray<{ from: string; to: string }> = []): void {
    for (const d of deletes) this.rows.delete(`${d.from}\0${d.to}`);
    for (const r of upserts) this.rows.set(`${r.from}\0${r.to}`, { ...r });
  }
  loadEdges(): EdgeRecord[] {
    return [...this.rows.values()].map((r) => ({ ...r }));
  }
}
