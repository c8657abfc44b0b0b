// kmsd's R0KH-R1KH thread: the endpoint on the APs' L2 segment, its sequence state, and the
// answers to PULLs. Why a thread: a PULL is the one piece of work a station waits for in the
// middle of a roam (hostapd retransmits, with a fresh nonce, within about 100 ms, and the station
// gives up soon after), and the main thread runs niced and does bulk work. Here nothing else
// runs, at the service's priority, and the answer is read from the store directly.
import { getPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger, setLogLevel } from '../log/logger.js';
import { answerPull } from '../distribution/pull.js';
import { Topology } from '../distribution/topology.js';
import { currentThreadId, raiseThreadPriority, runRealtime, threadIdForReport } from '../common/thread-priority.js';
import { SqliteRecordStore } from '../../adapters/store/sqlite-store.js';
import { RrbEndpoint, sessionOf } from '../../adapters/rrb/endpoint.js';
import { buildMessage } from '../../adapters/rrb/messages.js';
import { PacketType } from '../../adapters/rrb/frame.js';
import { WARM_UP_R0KH_ID, WARM_UP_STA, warmUpStation } from '../distribution/warm-up.js';
import type { FromRrbThread, RrbThreadPriority, RrbWorkerData, SendFence, ToRrbThread } from '../threads/rrb-messages.js';
import { FrameCounts, RrbThreadService } from '../threads/rrb-service.js';

const data = workerData as RrbWorkerData;
const port = parentPort!;
const post = (m: FromRrbThread) => port.postMessage(m);
const bytes = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
const rootLog = createLogger(data.logLevel);
const log = rootLog.child({ part: 'rrb' });

/**
 * Runs the PULL path's code before the first real PULL (warm-up.ts says why): the store lookup,
 * the plan and key derivation, and the sealing of a RESP. Nothing is sent.
 */
function warmRoamPath(stationFor: (sta: string) => unknown, topology: Topology): void {
  const bss = topology.aps.flatMap((a) => a.bsses)[0];
  if (!bss) return;
  const station = warmUpStation(bss, data.policy);
  const key = Buffer.alloc(32);
  for (let i = 0; i < 20; i++) {
    stationFor(WARM_UP_STA);
    const answer = answerPull(
      { fromMac: bss.bssid, r0khId: WARM_UP_R0KH_ID, r1khId: bss.r1khId, staMac: WARM_UP_STA, pmkR0Name: station.keys.pmkR0Name! },
      { station, bss, policy: data.policy, now: Date.now() },
    );
    if (!answer.ok) return;
    buildMessage(
      {
        type: PacketType.RESP,
        nonce: Buffer.alloc(16),
        seq: { dom: 1, seq: i, ts: 0 },
        r0khId: Buffer.from(WARM_UP_R0KH_ID),
        r1khId: bss.r1khId,
        staMac: WARM_UP_STA,
        session: sessionOf(answer.entry),
      },
      key,
      bss.bssid,
    );
  }
}

/**
 * Raises this thread's priority by distribution.rrb.priorityBoost nice levels, then makes it
 * real-time at distribution.rrb.realtimePriority. The nice boost stays as the fallback: it is what
 * the thread has if real-time is refused (or taken away). A refusal is reported, not fatal.
 */
function raisePriority(by: number, realtime: number): RrbThreadPriority {
  let nice: Pick<RrbThreadPriority, 'nice' | 'refused'>;
  try {
    const tid = currentThreadId();
    nice = { nice: by === 0 ? getPriority(tid) : raiseThreadPriority(tid, by) };
  } catch (e) {
    let now: number | null = null;
    try {
      now = getPriority(currentThreadId());
    } catch {}
    nice = { nice: now, refused: (e as Error).message };
  }
  if (realtime === 0) return { ...nice, realtime: null };
  try {
    return { ...nice, realtime: runRealtime(currentThreadId(), realtime) };
  } catch (e) {
    return { ...nice, realtime: null, realtimeRefused: (e as Error).message };
  }
}

/** The fence as the endpoint asks it: has the lease been renewed recently enough, by the shared clock? */
function fresh(fence: SendFence): () => boolean {
  const renewed = new BigInt64Array(fence.renewals);
  return () => Date.now() - Number(Atomics.load(renewed, 0)) < fence.staleAfterMs;
}

function main(): void {
  const key = bytes(data.masterKey);
  const store = new SqliteRecordStore(data.storePath, key, { logger: log, checkpointsElsewhere: true });
  key.fill(0);
  const topology = new Topology(data.aps);
  const frames = new FrameCounts(post);
  const service = new RrbThreadService({ store, topology, policy: data.policy, post }, data.apKeys);

  warmRoamPath((sta) => service.stationFor(sta), topology);

  const open = (fence?: SendFence) =>
    RrbEndpoint.open({
      ifname: data.ifname,
      mac: data.mac,
      keyFor: (_src, r1khId) => service.keyFor(r1khId),
      pullHandler: service.answerPull,
      observer: (event, reason) => frames.observe(event, reason),
      logger: log,
      ...(fence ? { mayTransmit: fresh(fence) } : {}),
    });
  let endpoint: RrbEndpoint | null;
  try {
    endpoint = open();
  } catch (e) {
    store.close();
    post({ type: 'start-failed', message: (e as Error).message });
    return;
  }
  const mac = endpoint.mac;
  // Opened once all the same: a wrong interface fails the start, not a takeover hours later.
  if (data.silent) {
    endpoint.close();
    endpoint = null;
  }
  service.attach(endpoint);
  port.on('message', (m: ToRrbThread) => {
    if (service.handle(m)) return;
    switch (m.type) {
      case 'reload':
        service.reload(m.aps, m.apKeys);
        setLogLevel(rootLog, m.logLevel);
        return;
      case 'silent':
        if (m.on && endpoint) {
          endpoint.close();
          endpoint = null;
          service.attach(null);
        } else if (!m.on && !endpoint) {
          // A fresh sequence state: the APs learn it through the SEQ exchanges the warm-up starts.
          endpoint = open(m.fence);
          service.attach(endpoint);
        }
        log.info(
          { silent: m.on },
          m.on ? 'R0KH-R1KH endpoint closed: another cluster member holds the work' : 'R0KH-R1KH endpoint open: this member holds the work',
        );
        return;
      case 'stop':
        endpoint?.close();
        store.close();
        frames.flush();
        post({ type: 'stopped' });
        return;
    }
  });

  const tid = threadIdForReport();
  post({ type: 'ready', mac, tid, priority: raisePriority(data.priorityBoost, data.realtimePriority) });
}

try {
  main();
} catch (e) {
  post({ type: 'start-failed', message: (e as Error).message });
}
