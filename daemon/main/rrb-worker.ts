// kmsd's R0KH-R1KH thread: the endpoint on the APs' L2 segment, its sequence state, and the
// answers to PULLs. Why a thread: a PULL is the one piece of work a station waits for in the
// middle of a roam (hostapd retransmits, with a fresh nonce, within about 100 ms, and the station
// gives up soon after), and the main thread runs niced and does bulk work. Here nothing else
// runs, at the service's priority, and the answer is read from the store directly.
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger, setLogLevel } from '../log/logger.js';
import { answerPull } from '../distribution/pull.js';
import { Topology } from '../distribution/topology.js';
import type { PmkR1Entry, PullRequest, RrbPeer } from '../ports/pmk-r1-transport.js';
import type { StationRecord } from '../records/station.js';
import { threadIdForReport } from '../common/thread-priority.js';
import { SqliteRecordStore } from '../../adapters/store/sqlite-store.js';
import { RrbEndpoint, sessionOf } from '../../adapters/rrb/endpoint.js';
import { buildMessage } from '../../adapters/rrb/messages.js';
import { PacketType } from '../../adapters/rrb/frame.js';
import { WARM_UP_R0KH_ID, WARM_UP_STA, warmUpStation } from '../distribution/warm-up.js';
import type { FromRrbThread, RrbWorkerData, ToRrbThread } from './rrb-messages.js';

const data = workerData as RrbWorkerData;
const port = parentPort!;
const post = (m: FromRrbThread) => port.postMessage(m);
const bytes = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
const rootLog = createLogger(data.logLevel);
const log = rootLog.child({ part: 'rrb' });

/** Frame events, posted once per turn of the event loop. */
class FrameCounts {
  private counts = new Map<string, number>();

  add(event: string, reason: string): void {
    if (this.counts.size === 0) setImmediate(() => this.flush());
    const k = `${event}\n${reason}`;
    this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
  }

  flush(): void {
    if (this.counts.size === 0) return;
    post({ type: 'frames', counts: [...this.counts].map(([k, n]) => [k.slice(0, k.indexOf('\n')), k.slice(k.indexOf('\n') + 1), n]) });
    this.counts = new Map();
  }
}

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
    buildMessage({
      type: PacketType.RESP, nonce: Buffer.alloc(16), seq: { dom: 1, seq: i, ts: 0 }, r0khId: Buffer.from(WARM_UP_R0KH_ID), r1khId: bss.r1khId,
      staMac: WARM_UP_STA, session: sessionOf(answer.entry),
    }, key, bss.bssid);
  }
}

/** Probes go out a slice per turn, so a PULL arriving in the middle of a large round waits for one slice only. */
const PROBES_PER_TURN = 64;

function main(): void {
  const key = bytes(data.masterKey);
  const store = new SqliteRecordStore(data.storePath, key, { logger: log, checkpointsElsewhere: true });
  key.fill(0);
  const topology = new Topology(data.aps);
  let apKeys = new Map(data.apKeys.map(([ap, k]) => [ap, bytes(k)]));
  /** This thread's own key Buffer of the AP holding R1KH-ID `r1khId`: AES-SIV keeps its per-key state on that object. */
  const apKeyOf = (r1khId: string): Buffer | null => {
    const bss = topology.bssByR1khId(r1khId);
    return bss ? apKeys.get(bss.ap) ?? null : null;
  };
  const frames = new FrameCounts();

  const stationFor = (staMac: string): { record: StationRecord; keys: NonNullable<ReturnType<typeof store.loadKeys>> } | null => {
    const row = store.loadStationRow(staMac);
    if (!row || row.expiresAt <= Date.now()) return null;
    const keys = store.loadKeys(staMac);
    return keys ? { record: JSON.parse(row.json) as StationRecord, keys } : null;
  };
  const pullHandler = (req: PullRequest): PmkR1Entry | null => {
    const answer = answerPull(req, { station: stationFor(req.staMac), bss: topology.bssByR1khId(req.r1khId), policy: data.policy, now: Date.now() });
    // The ledger and the log line are the main thread's, after the answer is on the wire.
    setImmediate(() => post({
      type: 'pull',
      outcome: { staMac: req.staMac, r1khId: req.r1khId, fromMac: req.fromMac, placement: answer.ok ? answer.placement : null, why: answer.ok ? null : answer.why },
    }));
    return answer.ok ? answer.entry : null;
  };

  warmRoamPath(stationFor, topology);

  let endpoint: RrbEndpoint;
  try {
    endpoint = RrbEndpoint.open({
      ifname: data.ifname,
      mac: data.mac,
      keyFor: (_src, r1khId) => apKeyOf(r1khId),
      pullHandler,
      observer: (event, reason) => {
        const i = event.indexOf(':');
        if (i >= 0) frames.add(event.slice(0, i), event.slice(i + 1));
        else frames.add(event, reason ?? '');
      },
      logger: log,
    });
  } catch (e) {
    store.close();
    post({ type: 'start-failed', message: (e as Error).message });
    return;
  }

  // The key that came with the message is a fresh copy each time; the thread's own is the same object every time.
  const peerOf = (p: RrbPeer): RrbPeer => ({ mac: p.mac, r1khId: p.r1khId, key: apKeyOf(p.r1khId) ?? bytes(p.key) });
  const probes: { peer: RrbPeer; r0khId: string }[] = [];
  const probeSlice = () => {
    for (const p of probes.splice(0, PROBES_PER_TURN)) endpoint.probe(peerOf(p.peer), p.r0khId);
    if (probes.length > 0) setImmediate(probeSlice);
  };
  port.on('message', (m: ToRrbThread) => {
    switch (m.type) {
      case 'push': {
        const entry: PmkR1Entry = { ...m.entry, pmkR0Name: bytes(m.entry.pmkR0Name), pmkR1: bytes(m.entry.pmkR1), pmkR1Name: bytes(m.entry.pmkR1Name) };
        void endpoint.push(peerOf(m.peer), entry).then((outcome) => {
          entry.pmkR1.fill(0);
          post({ type: 'pushed', id: m.id, outcome });
        });
        return;
      }
      case 'reload':
        topology.replace(m.aps);
        apKeys = new Map(m.apKeys.map(([ap, k]) => [ap, bytes(k)]));
        setLogLevel(rootLog, m.logLevel);
        return;
      case 'probe':
        if (probes.length === 0) setImmediate(probeSlice);
        probes.push(...m.pairs);
        return;
      case 'stop':
        endpoint.close();
        store.close();
        frames.flush();
        post({ type: 'stopped' });
        return;
    }
  });

  const tid = threadIdForReport();
  post({ type: 'ready', mac: endpoint.mac, tid });
}

try {
  main();
} catch (e) {
  post({ type: 'start-failed', message: (e as Error).message });
}
