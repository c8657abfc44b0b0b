import { inspect } from 'node:util';
import type { Worker } from 'node:worker_threads';
import type { Logger } from '../log/logger.js';
import type { PmkR1Entry, PmkR1Pusher, PushOutcome, RrbPeer, SequenceProber } from '../ports/pmk-r1-transport.js';
import type { ApInfo } from '../distribution/topology.js';
import type { FromRrbThread, PullOutcome, PushItem, RrbThreadPriority, RrbWorkerData, SendFence, ToRrbThread } from './rrb-messages.js';

// The main thread's side of the R0KH-R1KH thread (daemon/main/rrb-worker.ts, which the composition
// root spawns): hands it PUSHes and sequence probes, and passes on what it reports (PULL outcomes
// for the ledger, frame counts for the metrics). If the thread dies, kmsd exits and systemd restarts it: FT that silently stopped
// would look healthy and cost every roam a full EAP.

export interface RrbThread extends PmkR1Pusher, SequenceProber {
  /** The source MAC of the KMS's frames. */
  mac: string;
  tid: number | null;
  /** Its CPU priority (distribution.rrb.priorityBoost), for the start-up log line. */
  priority: RrbThreadPriority;
  /** A reload's APs and keys (the thread answers PULLs and checks frames against them), and log level. */
  reload(aps: ApInfo[], apKeys: [ap: string, key: Uint8Array][], logLevel: string): void;
  /** Cluster: close the endpoint (another member holds the work) or open it again, behind `fence`. */
  silence(on: boolean, fence?: SendFence): void;
  stop(): Promise<void>;
}

export interface RrbThreadDeps {
  /** Starts the thread's code with this data (the composition root knows where that code is). */
  spawn(data: RrbWorkerData): Worker;
  log: Logger;
  onPull(outcome: PullOutcome): void;
  onFrames(counts: [event: string, reason: string, n: number][]): void;
  /** Called when the thread fails after start-up. */
  fatal(reason: string): void;
}

/**
 * The batch with all its key bytes copied into one buffer of their own. A small Buffer is a view
 * on an 8 KiB pool shared with whatever else was allocated beside it, and a message copies the
 * whole buffer under a view: several times the cost, and other data of this thread handed to the
 * R0KH-R1KH thread. One buffer per message is also cheaper to clone than one per key.
 */
function packed(items: PushItem[]): { items: PushItem[]; bytes: Uint8Array } {
  const fields = (i: PushItem) => [i.peer.key, i.entry.pmkR0Name, i.entry.pmkR1, i.entry.pmkR1Name];
  let size = 0;
  for (const i of items) for (const f of fields(i)) size += f.length;
  const all = new Uint8Array(size);
  let at = 0;
  const copy = (b: Uint8Array): Buffer => {
    all.set(b, at);
    at += b.length;
    return Buffer.from(all.buffer, at - b.length, b.length);
  };
  const out = items.map((i) => ({
    id: i.id,
    peer: { ...i.peer, key: copy(i.peer.key) },
    entry: { ...i.entry, pmkR0Name: copy(i.entry.pmkR0Name), pmkR1: copy(i.entry.pmkR1), pmkR1Name: copy(i.entry.pmkR1Name) },
  }));
  return { items: out, bytes: all };
}

export function startRrbThread(data: RrbWorkerData, deps: RrbThreadDeps): Promise<RrbThread> {
  const worker = deps.spawn(data);
  data.masterKey.fill(0);
  const pending = new Map<number, (o: PushOutcome) => void>();
  let nextId = 1;
  let stopping = false;
  let onStopped: (() => void) | null = null;
  const send = (m: ToRrbThread) => worker.postMessage(m);
  // PUSHes asked for in one turn go to the thread in one message: a message costs the main
  // thread more than planning the PUSH it carries, and a burst asks for thousands.
  let pushes: PushItem[] = [];
  const sendPushes = () => {
    const { items, bytes } = packed(pushes);
    pushes = [];
    send({ type: 'push', items });
    // The message took a copy of its own: this one, PMK-R1s included, is wiped.
    bytes.fill(0);
  };

  return new Promise((resolve, reject) => {
    let started = false;
    worker.on('message', (m: FromRrbThread) => {
      switch (m.type) {
        case 'ready':
          started = true;
          return resolve({
            mac: m.mac,
            tid: m.tid,
            priority: m.priority,
            push: (peer: RrbPeer, entry: PmkR1Entry) =>
              new Promise<PushOutcome>((done) => {
                if (stopping) return done({ ok: false, reason: 'stopping' });
                const id = nextId++;
                pending.set(id, done);
                if (pushes.length === 0) setImmediate(sendPushes);
                pushes.push({ id, peer, entry });
              }),
            reload: (aps: ApInfo[], apKeys: [string, Uint8Array][], logLevel: string) => {
              if (!stopping) send({ type: 'reload', aps, apKeys, logLevel });
            },
            silence: (on: boolean, fence?: SendFence) => {
              if (!stopping) send({ type: 'silent', on, ...(fence ? { fence } : {}) });
            },
            probe: (peer: RrbPeer, r0khId: string) => {
              if (!stopping) send({ type: 'probe', pairs: [{ peer, r0khId }] });
            },
            stop: () =>
              new Promise<void>((done) => {
                stopping = true;
                onStopped = done;
                send({ type: 'stop' });
                setTimeout(() => void worker.terminate().then(() => done()), 5000).unref();
              }),
          });
        case 'start-failed':
          void worker.terminate();
          return reject(new Error(m.message));
        case 'pushed':
          for (const { id, outcome } of m.outcomes) {
            const done = pending.get(id);
            pending.delete(id);
            done?.(outcome);
          }
          return;
        case 'pull':
          return deps.onPull(m.outcome);
        case 'frames':
          return deps.onFrames(m.counts);
        case 'stopped':
          for (const done of pending.values()) done({ ok: false, reason: 'stopping' });
          pending.clear();
          void worker.terminate().then(() => onStopped?.());
          return;
      }
    });
    const died = (reason: string) => {
      if (stopping) return;
      if (!started) return reject(new Error(`R0KH-R1KH thread: ${reason}`));
      deps.log.fatal({ reason }, 'R0KH-R1KH thread died; exiting so systemd restarts kmsd');
      deps.fatal(reason);
    };
    worker.on('error', (e: unknown) =>
      died(
        e instanceof Error
          ? (e.stack ?? e.message)
          : `threw ${inspect(e, { depth: 3, breakLength: Number.POSITIVE_INFINITY }).slice(0, 2000)}`,
      ),
    );
    worker.on('exit', (code) => died(`exited with code ${code}`));
  });
}
