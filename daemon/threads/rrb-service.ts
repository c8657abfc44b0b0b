import { answerPull } from '../distribution/pull.js';
import type { PlanPolicy } from '../distribution/planner.js';
import type { ApInfo, Topology } from '../distribution/topology.js';
import type { RecordStore } from '../ports/record-store.js';
import type { PmkR1Entry, PmkR1Pusher, PullRequest, PushOutcome, RrbPeer, SequenceProber } from '../ports/pmk-r1-transport.js';
import type { StationKeys, StationRecord } from '../records/station.js';
import type { FromRrbThread, PushItem, ToRrbThread } from './rrb-messages.js';

// What the R0KH-R1KH thread does (daemon/main/rrb-worker.ts builds it): answers PULLs from the
// store, the moment they arrive, and carries out the PUSHes and sequence probes the main thread
// asks for. The endpoint (adapters/rrb) is reached through the core's transport ports; the
// answers' bookkeeping (ledger, log line) is the main thread's, after the answer is on the wire.

/** Probes go out a slice per turn, so a PULL arriving in the middle of a large round waits for one slice only. */
const PROBES_PER_TURN = 64;

export interface RrbServiceDeps {
  store: Pick<RecordStore, 'loadStationRow' | 'loadKeys'>;
  topology: Topology;
  policy: PlanPolicy;
  post(m: FromRrbThread): void;
}

/** Frame events, posted once per turn of the event loop. */
export class FrameCounts {
  private counts = new Map<string, number>();

  constructor(private readonly post: (m: FromRrbThread) => void) {}

  add(event: string, reason: string): void {
    if (this.counts.size === 0) setImmediate(() => this.flush());
    const k = `${event}\n${reason}`;
    this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
  }

  /** The endpoint's observer: an event is `kind` or `kind:reason`. */
  observe(event: string, reason?: string): void {
    const i = event.indexOf(':');
    if (i >= 0) this.add(event.slice(0, i), event.slice(i + 1));
    else this.add(event, reason ?? '');
  }

  flush(): void {
    if (this.counts.size === 0) return;
    this.post({ type: 'frames', counts: [...this.counts].map(([k, n]) => [k.slice(0, k.indexOf('\n')), k.slice(k.indexOf('\n') + 1), n]) });
    this.counts = new Map();
  }
}

const bytes = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

export class RrbThreadService {
  private transport: (PmkR1Pusher & SequenceProber) | null = null;
  private readonly probes: { peer: RrbPeer; r0khId: string }[] = [];
  private apKeys: Map<string, Buffer>;
  /** PUSH outcomes not yet told to the main thread: one message per turn carries them all. */
  private outcomes: { id: number; outcome: PushOutcome }[] = [];

  constructor(
    private readonly d: RrbServiceDeps,
    apKeys: readonly [ap: string, key: Uint8Array][],
  ) {
    this.apKeys = new Map(apKeys.map(([ap, k]) => [ap, bytes(k)]));
  }

  /** A reload's APs and their keys: they replace the whole topology. */
  reload(aps: ApInfo[], apKeys: readonly [ap: string, key: Uint8Array][]): void {
    this.d.topology.replace(aps);
    this.apKeys = new Map(apKeys.map(([ap, k]) => [ap, bytes(k)]));
  }

  /** The key a frame for (or from) this R1KH is sealed with: its AP's `r0kh` key, this thread's own Buffer. */
  keyFor(r1khId: string): Buffer | null {
    const bss = this.d.topology.bssByR1khId(r1khId);
    return bss ? (this.apKeys.get(bss.ap) ?? null) : null;
  }

  /** The endpoint, once open (it is opened with `answerPull` as its PULL handler); null: closed (silent). */
  attach(transport: (PmkR1Pusher & SequenceProber) | null): void {
    this.transport = transport;
    if (!transport) this.probes.length = 0;
  }

  /** The station's record and keys as stored now, or null if it has none or it expired. */
  stationFor(staMac: string): { record: StationRecord; keys: StationKeys } | null {
    const row = this.d.store.loadStationRow(staMac);
    if (!row || row.expiresAt <= Date.now()) return null;
    const keys = this.d.store.loadKeys(staMac);
    return keys ? { record: JSON.parse(row.json) as StationRecord, keys } : null;
  }

  /** The endpoint's PULL handler: the PMK-R1 to answer with, or null for a NAK. */
  readonly answerPull = (req: PullRequest): PmkR1Entry | null => {
    const d = this.d;
    const answer = answerPull(req, {
      station: this.stationFor(req.staMac),
      bss: d.topology.bssByR1khId(req.r1khId),
      policy: d.policy,
      now: Date.now(),
    });
    setImmediate(() =>
      d.post({
        type: 'pull',
        outcome: {
          staMac: req.staMac,
          r1khId: req.r1khId,
          fromMac: req.fromMac,
          placement: answer.ok ? answer.placement : null,
          why: answer.ok ? null : answer.why,
        },
      }),
    );
    return answer.ok ? answer.entry : null;
  };

  /** A PUSH or probe request from the main thread; false for any other message. */
  handle(m: ToRrbThread): boolean {
    const transport = this.transport;
    if (!transport) {
      // Silent (a cluster member without the exactly-once work): nothing goes out, and a PUSH
      // asked for just before the switch is answered so that its caller does not wait forever.
      if (m.type === 'push') {
        const outcome = { ok: false, reason: 'endpoint silent: another cluster member holds the R0KH-R1KH work' } as const;
        for (const { id } of m.items) this.told(id, outcome);
      }
      return m.type === 'push' || m.type === 'probe';
    }
    if (m.type === 'push') {
      for (const item of m.items) this.push(transport, item);
      return true;
    }
    if (m.type === 'probe') {
      if (this.probes.length === 0) setImmediate(this.probeSlice);
      this.probes.push(...m.pairs);
      return true;
    }
    return false;
  }

  private push(transport: PmkR1Pusher, { id, peer, entry: e }: PushItem): void {
    const entry: PmkR1Entry = { ...e, pmkR0Name: bytes(e.pmkR0Name), pmkR1: bytes(e.pmkR1), pmkR1Name: bytes(e.pmkR1Name) };
    void transport.push(this.peerOf(peer), entry).then((outcome) => {
      entry.pmkR1.fill(0);
      this.told(id, outcome);
    });
  }

  private told(id: number, outcome: PushOutcome): void {
    if (this.outcomes.length === 0) setImmediate(this.tellOutcomes);
    this.outcomes.push({ id, outcome });
  }

  private readonly tellOutcomes = (): void => {
    const outcomes = this.outcomes;
    this.outcomes = [];
    this.d.post({ type: 'pushed', outcomes });
  };

  /**
   * The peer with this thread's own key Buffer of its AP: AES-SIV keeps its per-key state on that
   * object, and the key that came with the message is a fresh copy each time.
   */
  private peerOf(p: RrbPeer): RrbPeer {
    return { mac: p.mac, r1khId: p.r1khId, key: this.keyFor(p.r1khId) ?? bytes(p.key) };
  }

  private readonly probeSlice = (): void => {
    for (const p of this.probes.splice(0, PROBES_PER_TURN)) this.transport?.probe(this.peerOf(p.peer), p.r0khId);
    if (this.probes.length > 0) setImmediate(this.probeSlice);
  };
}
