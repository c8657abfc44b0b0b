import { Worker } from 'node:worker_threads';

/**
 * Starts one of kmsd's threads (radius-worker.ts, rrb-worker.ts: each is that thread's
 * composition root) with its start-up data. The core's side of each thread (daemon/threads)
 * takes the Worker from here, so the core never names a file of daemon/main.
 */
export function spawnThread(file: 'radius-worker.js' | 'rrb-worker.js', name: string, workerData: unknown): Worker {
  return new Worker(new URL(`./${file}`, import.meta.url), { workerData, name });
}
