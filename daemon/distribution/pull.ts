import type { StationKeys, StationRecord } from '../records/station.js';
import type { Placement } from './placement.js';
import { planPlacements, type PlanPolicy } from './planner.js';
import type { PmkR1Entry, PullRequest } from '../ports/pmk-r1-transport.js';
import type { BssInfo } from './topology.js';

// The R0KH's answer to a PULL: an AP whose station roamed to it without a pushed key asks for the
// PMK-R1 while the station waits in its FT authentication. Pure, so it can run wherever the
// answer is fastest (kmsd answers on a thread of its own) and be tested without sockets.

export type PullAnswer = { ok: true; entry: PmkR1Entry; placement: Placement } | { ok: false; why: string };

export interface PullContext {
  /** The station's record and keys as stored, or null if it has none. */
  station: { record: StationRecord; keys: StationKeys } | null;
  /** The BSS the PULL names as R1KH-ID, if the topology has it. */
  bss: BssInfo | undefined;
  policy: PlanPolicy;
  now: number;
}

export function answerPull(req: PullRequest, ctx: PullContext): PullAnswer {
  const nak = (why: string): PullAnswer => ({ ok: false, why });
  const { station, bss } = ctx;
  if (!station?.keys.pmkR0 || !station.keys.pmkR0Name) return nak('no PMK-R0 for this station');
  const { record, keys } = station;
  // A revoked station gets no key anywhere, whatever else the PULL says (the record is kept).
  if (record.revoked) return nak(`the station was revoked: ${record.revoked.reason}`);
  // An ended session still answers: a roaming station's old AP may send its Accounting-Stop
  // before the new AP's Start, and the record is kept a few minutes for exactly such late roams.
  if (record.expiresAt <= ctx.now) return nak("the station's record has expired");
  if (!keys.pmkR0Name!.equals(req.pmkR0Name)) return nak('PMKR0Name does not match the current key');
  if (record.ap.nasIdentifier !== req.r0khId) return nak('R0KH-ID is not where the station authenticated');
  if (!bss) return nak('unknown R1KH-ID');
  const plan = planPlacements(record, keys, [bss], ctx.policy, ctx.now);
  const intent = plan.intents[0];
  if (intent?.kind !== 'ft') return nak(plan.skipped[0] ?? 'not an FT station');
  const placement: Placement = {
    staMac: record.staMac,
    ap: bss.ap,
    bssid: bss.bssid,
    kind: 'ft',
    keyName: intent.keyName,
    via: 'pull',
    state: 'sent',
    placedAt: ctx.now,
    expiresAt: intent.expiresAt,
    attempts: 1,
    lastError: null,
  };
  return { ok: true, entry: intent.entry, placement };
}
