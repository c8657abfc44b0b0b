import type { ClusterKv } from '../ports/cluster-kv.js';
import type { Log } from '../log/log.js';
import type { RfEvidence, RfEvidenceChannel } from '../neighbors/evidence.js';
import type { ClusterLayout } from './layout.js';
import { ExpiryLeases } from './expiry-leases.js';
import { followMembers } from './follow-prefix.js';

// RF evidence across the cluster (daemon/neighbors/evidence.ts says which): each member writes what
// it saw under its own name, a batch per entry, and follows the others' names. Evidence is worth
// something for minutes, not forever, and is only one input to a graph that ages anyway: entries
// expire with a lease of a few minutes, a batch etcd did not take is dropped with a warning (the
// next batch goes on), and a member that starts reads what the others saw in those minutes.

const ENTRY_VERSION = 1;
/** Evidence of this many ms goes out as one entry: roams and sampled beacons are a trickle. */
const BATCH_MS = 250;
/** How long an entry stays in etcd. */
const KEEP_MS = 5 * 60_000;
/** A batch holds at most this much evidence (an etcd value stays small). */
const MAX_BATCH = 500;

export interface RfEvidenceRelayOptions {
  kv: ClusterKv;
  layout: ClusterLayout;
  member: string;
  /** The other members' names (cluster.members). */
  others: string[];
  log: Log;
  timeoutMs: number;
  now?: () => number;
}

export class RfEvidenceRelay implements RfEvidenceChannel {
  private readonly pending: RfEvidence[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly appliers: ((e: RfEvidence) => void)[] = [];
  private follows: ReturnType<typeof followMembers> | null = null;
  private readonly leases: ExpiryLeases;
  private readonly now: () => number;
  /** Entry names: this process's start time and a sequence, so a restarted member never reuses one. */
  private readonly epoch: string;
  private seq = 0;
  private counts = { sent: 0, dropped: 0, applied: 0, rejected: 0 };
  private lastFailure: string | null = null;
  private stopped = false;

  constructor(private readonly o: RfEvidenceRelayOptions) {
    this.now = o.now ?? Date.now;
    this.leases = new ExpiryLeases(o.kv, o.timeoutMs, this.now);
    this.epoch = this.now().toString(36);
  }

  publish(e: RfEvidence): void {
    if (this.stopped) return;
    if (this.pending.length >= MAX_BATCH) return void this.counts.dropped++;
    this.pending.push(e);
    if (!this.timer) {
      this.timer = setTimeout(() => void this.send(), BATCH_MS);
      this.timer.unref();
    }
  }

  subscribe(apply: (e: RfEvidence) => void): void {
    this.appliers.push(apply);
  }

  /** Reads the others' recent evidence, then follows it; resolves once the watches are set up (never rejects). */
  async start(): Promise<void> {
    if (this.stopped) return;
    this.follows ??= followMembers({
      kv: this.o.kv,
      members: this.o.others,
      prefixOf: (member) => this.o.layout.rfEvidenceOf(member),
      onValues: (member, values) => this.apply(member, values),
      onRetry: (member, reason) => this.o.log.warn({ reason, member }, 'cluster: RF evidence watch failed; reading again'),
    });
    await this.follows.started;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.follows?.close();
  }

  get stats(): { sent: number; dropped: number; applied: number; rejected: number; lastFailure: string | null } {
    return { ...this.counts, lastFailure: this.lastFailure };
  }

  private async send(): Promise<void> {
    this.timer = null;
    const batch = this.pending.splice(0);
    if (batch.length === 0 || this.stopped) return;
    try {
      const key = `${this.o.layout.rfEvidenceOf(this.o.member)}${this.epoch}-${(this.seq++).toString(36)}`;
      const lease = await this.leases.forExpiry(this.now() + KEEP_MS);
      await this.o.kv.putAll([{ key, value: encodeRfEvidence(this.o.member, batch), lease }], this.o.timeoutMs);
      this.counts.sent += batch.length;
      if (this.lastFailure !== null) this.o.log.info({}, 'cluster: RF evidence relayed again');
      this.lastFailure = null;
    } catch (e) {
      this.counts.dropped += batch.length;
      const reason = (e as Error).message;
      if (this.lastFailure !== reason) this.o.log.warn({ reason, dropped: batch.length }, 'cluster: RF evidence not relayed; dropped');
      this.lastFailure = reason;
    }
  }

  private apply(member: string, values: Buffer[]): void {
    for (const v of values) {
      const parsed = parseRfEvidence(v);
      if (typeof parsed === 'string' || parsed.member !== member) {
        this.counts.rejected++;
        if (this.counts.rejected === 1 || this.counts.rejected % 1000 === 0)
          this.o.log.warn(
            { member, why: typeof parsed === 'string' ? parsed : `written by ${parsed.member}`, rejected: this.counts.rejected },
            'cluster: RF evidence entry refused',
          );
        continue;
      }
      for (const e of parsed.evidence) for (const a of this.appliers) a(e);
      this.counts.applied += parsed.evidence.length;
    }
  }
}

export function encodeRfEvidence(member: string, evidence: RfEvidence[]): Buffer {
  return Buffer.from(JSON.stringify({ v: ENTRY_VERSION, member, evidence }));
}

/** The entry's writer and evidence, or why it cannot be used (one bad item refuses the entry). */
export function parseRfEvidence(value: Buffer): { member: string; evidence: RfEvidence[] } | string {
  let o: { v?: unknown; member?: unknown; evidence?: unknown };
  try {
    o = JSON.parse(value.toString('utf8'));
  } catch {
    return 'not JSON';
  }
  if (o?.v !== ENTRY_VERSION) return `entry version ${String(o?.v)}`;
  if (typeof o.member !== 'string' || !Array.isArray(o.evidence)) return 'no member or evidence';
  const evidence: RfEvidence[] = [];
  for (const item of o.evidence as Record<string, unknown>[]) {
    if (!item || typeof item !== 'object' || typeof item.at !== 'number') return 'evidence without a time';
    if (item.kind === 'roam') {
      if (typeof item.sta !== 'string' || typeof item.from !== 'string' || typeof item.to !== 'string') return 'roam field missing';
      evidence.push({ kind: 'roam', sta: item.sta, from: item.from, to: item.to, at: item.at });
    } else if (item.kind === 'beacon') {
      if (typeof item.ap !== 'string' || typeof item.bssid !== 'string') return 'beacon field missing';
      if (item.dbm !== null && typeof item.dbm !== 'number') return 'beacon signal not a number';
      evidence.push({ kind: 'beacon', ap: item.ap, bssid: item.bssid, dbm: item.dbm as number | null, at: item.at });
    } else return `evidence kind ${String(item.kind)}`;
  }
  return { member: o.member, evidence };
}
