import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { lowerThreadPriority } from '../../daemon/common/thread-priority.js';

// WAL checkpoints on a thread of their own. With SQLite's automatic checkpoint, the commit that
// fills the WAL to 1,000 pages copies all of them into the database file before returning, and
// that commit is the one holding an Access-Accept: the proxy stalled ~4 ms every ~350 ms at
// 1,000 requests/s, which made up most of its p99. A second connection on a worker thread
// runs PASSIVE checkpoints instead (they never wait for, nor block, the writer), and the main
// connection stops checkpointing. If that thread dies, the main connection checkpoints again.
//
// PASSIVE alone lets the WAL grow without bound under steady writes: SQLite starts the log over
// only when a writer begins while every frame is copied back, and a commit lands during every
// checkpoint. (Measured: 12 MB/s of WAL growth at 1,000 requests/s, forever.) So once the log
// passes `restartFrames`, right after a PASSIVE pass has copied nearly all of it, the thread runs
// a RESTART checkpoint: it holds writers back while it copies the last frames, and the next
// commit then writes the log from its start. journal_size_limit trims the file when that happens.

export interface CheckpointerEvents {
  /** The thread stopped on its own; the store has gone back to automatic checkpoints. */
  failed(reason: string): void;
  /** Its priority could not be lowered (the checkpoints run anyway). */
  warning?(message: string): void;
}

type CheckpointResult = { busy: number; log: number; checkpointed: number; restarted?: boolean } | { error: string } | { tid: number };

/** 4 KB frames: a log of ~64 MB is started over (about every 5 s at 1,000 new stations/s). */
const RESTART_FRAMES = 16_384;

export class BackgroundCheckpointer {
  private readonly worker: Worker;
  private stopping = false;
  private readonly results = { checkpoints: 0, framesCopied: 0, busy: 0, restarts: 0, errors: 0, lastError: null as string | null };

  /** `nice`: how much nicer than its creator the thread runs (copying pages is never urgent). */
  constructor(
    path: string,
    intervalMs: number,
    private readonly events: CheckpointerEvents,
    nice = 0,
    restartFrames = RESTART_FRAMES,
  ) {
    const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(`(${checkpointLoop.toString()})(require)`, {
      eval: true,
      workerData: { path, intervalMs, sqlite, restartFrames },
      // The loop holds a few pages of SQLite cache and nothing else.
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
    });
    this.worker.unref();
    this.worker.on('message', (r: CheckpointResult) => {
      if ('tid' in r) {
        try {
          if (nice > 0) lowerThreadPriority(r.tid, nice);
        } catch (e) {
          events.warning?.(`WAL checkpoint thread keeps its priority: ${(e as Error).message}`);
        }
        return;
      }
      if ('error' in r) {
        this.results.errors++;
        this.results.lastError = r.error;
        return;
      }
      this.results.checkpoints++;
      if (r.busy) this.results.busy++;
      if (r.restarted) this.results.restarts++;
      if (r.checkpointed > 0) this.results.framesCopied += r.checkpointed;
    });
    this.worker.on('error', (e) => this.fail(e.message));
    this.worker.on('exit', (code) => this.fail(`exited with code ${code}`));
  }

  get stats(): { checkpoints: number; framesCopied: number; busy: number; restarts: number; errors: number; lastError: string | null } {
    return { ...this.results };
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.worker.terminate();
  }

  private fail(reason: string): void {
    if (this.stopping) return;
    this.stopping = true;
    this.events.failed(reason);
  }
}

/**
 * Runs inside the worker (as source text, so it may use nothing from this module's scope).
 * Every interval a PASSIVE checkpoint copies what it can without waiting for the writer; past
 * `restartFrames` of log a RESTART follows (see the top of this file). The thread id is read
 * inline because this code cannot import daemon/common/thread-priority.ts.
 */
function checkpointLoop(req: (id: string) => unknown): void {
  const { parentPort, workerData } = req('node:worker_threads') as typeof import('node:worker_threads');
  const Database = req(workerData.sqlite) as typeof import('better-sqlite3');
  const db = new Database(workerData.path, { fileMustExist: true });
  db.pragma('busy_timeout = 100');
  const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
  const restart = db.prepare('PRAGMA wal_checkpoint(RESTART)');
  // This thread's kernel id, so that its creator can lower its priority (Linux: nice is per thread).
  const self = String((req('node:fs') as typeof import('node:fs')).readlinkSync('/proc/thread-self'));
  parentPort!.postMessage({ tid: Number(self.slice(self.lastIndexOf('/') + 1)) });
  setInterval(() => {
    try {
      const r = checkpoint.get() as { busy: number; log: number; checkpointed: number };
      if (r.log < workerData.restartFrames) return parentPort!.postMessage(r);
      const again = restart.get() as { busy: number; log: number; checkpointed: number };
      parentPort!.postMessage({ ...again, restarted: again.busy === 0 });
    } catch (e) {
      // A locked or busy database is retried at the next tick (the RESTART waits 100 ms at most).
      parentPort!.postMessage({ error: (e as Error).message });
    }
  }, workerData.intervalMs);
}
