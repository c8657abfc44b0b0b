import type { StationWrite } from '../ports/record-store.js';

// Group commit. Every Access-Accept must be on disk before it is relayed, and one SQLite commit
// per station is the proxy's largest cost under load. Saves requested in the same turn of the
// event loop go into one transaction; each caller's promise resolves once that commit returned.
// At low rates a batch holds one save and adds no delay beyond a setImmediate. The commit is the
// store's saveStations, or in a cluster the local commit followed by etcd's (cluster-committer.ts).

/** Commits one batch, all or nothing; may resolve later (a cluster commit waits for etcd). */
export type BatchCommit = (writes: StationWrite[]) => unknown;

interface Pending {
  write: StationWrite;
  resolve(): void;
  reject(e: Error): void;
}

export class WriteBatcher {
  private queue: Pending[] = [];
  private scheduled = false;
  private largestBatch = 0;

  constructor(private readonly commit: BatchCommit) {}

  save(write: StationWrite): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ write, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits whatever is queued now (also used at shutdown). */
  flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    this.largestBatch = Math.max(this.largestBatch, batch.length);
    let done: unknown;
    try {
      done = this.commit(batch.map((p) => p.write));
    } catch (e) {
      for (const p of batch) p.reject(e as Error);
      return;
    }
    if (!(done instanceof Promise)) {
      for (const p of batch) p.resolve();
      return;
    }
    done.then(
      () => {
        for (const p of batch) p.resolve();
      },
      (e: Error) => {
        for (const p of batch) p.reject(e);
      },
    );
  }

  get stats(): { queued: number; largestBatch: number } {
    return { queued: this.queue.length, largestBatch: this.largestBatch };
  }
}
