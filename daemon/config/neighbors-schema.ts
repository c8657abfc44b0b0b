import { z } from 'zod';
import { name } from './primitives.js';

// `distribution.neighbors`: RF-neighbour discovery (daemon/neighbors). Every field has a default,
// so `neighbors: {}` turns discovery on with the values below. The static per-AP `neighbors:`
// lists of distribution.aps become pinned entries; `forbid` here keeps an AP out of another's list.

const beaconRequest = z
  .object({
    enabled: z.boolean().default(true),
    /**
     * table: the station reports its cached scan (no airtime; fresh right after a join, which is
     * when requests go out); active/passive: it scans the band for durationTu per channel.
     */
    mode: z.enum(['table', 'active', 'passive']).default('table'),
    durationTu: z.number().int().min(10).max(1000).default(100),
    /** Re-ask a station this often while it stays connected. */
    intervalS: z.number().int().min(60).default(3600),
    /** Never ask one station more often than this, across APs (roaming stations re-join often). */
    perStationMinIntervalS: z.number().int().min(10).default(600),
    afterJoinDelayS: z.number().int().min(0).max(300).default(5),
    /** How long a FAIL (station without RM beacon capability) is remembered. */
    failMemoryS: z.number().int().min(60).default(86_400),
    /** Requests per tick (every tickS) over all APs. */
    maxPerTick: z.number().int().min(1).max(1000).default(20),
  })
  .strict();

const neighborReports = z
  .object({
    /** Keep each AP's 802.11k neighbour database (SET_NEIGHBOR / rrm_nr_set) equal to its list. */
    enabled: z.boolean().default(true),
    /** At most one update per AP per this many seconds. */
    minIntervalS: z.number().int().min(1).default(60),
    maxPerTick: z.number().int().min(1).max(1000).default(20),
    /** Set BSSID Information b10 (same mobility domain, FT): hostapd leaves it clear. */
    mobilityDomainBit: z.boolean().default(true),
    /** Set Key Scope: the KMS places the station's key on the neighbour. */
    keyScope: z.boolean().default(true),
  })
  .strict();

export const neighborsSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Evidence and roam counts halve in this time. */
    halfLifeS: z.number().int().min(60).default(86_400),
    topK: z.number().int().min(1).max(32).default(8),
    /** Mean signal an edge needs to enter a list (dBm). */
    floorDbm: z.number().min(-110).max(-20).default(-80),
    /** Margin to enter (over the K-th entry) and to leave (below the floor), dB. */
    hysteresisDb: z.number().min(0).max(30).default(2),
    /** Score of one recent roam in dB above the floor: roams are direct evidence. */
    roamWeightDb: z.number().min(0).max(60).default(12),
    /** Memory bound: candidate edges kept per AP. */
    maxEdgesPerAp: z.number().int().min(9).max(512).default(64),
    roamWindowS: z.number().int().min(1).max(600).default(10),
    /** Weight of a beacon heard by an AP radio / monitor, against 1 for a station's report. */
    radioWeight: z.number().min(0).max(1).default(0.5),
    radioSampleS: z.number().int().min(1).default(10),
    tickS: z.number().int().min(1).max(60).default(5),
    persistIntervalS: z.number().int().min(5).default(60),
    ageIntervalS: z.number().int().min(10).default(600),
    beaconRequest: beaconRequest.prefault({}),
    neighborReports: neighborReports.prefault({}),
    /** AP name → AP names never listed as its neighbours (e.g. across a firewall or a building gap). */
    forbid: z.record(name, z.array(name)).default({}),
  })
  .strict()
  .superRefine((n, ctx) => {
    if (n.maxEdgesPerAp <= n.topK) ctx.addIssue({ code: 'custom', path: ['maxEdgesPerAp'], message: 'must be larger than topK' });
  });

export type NeighborsConfig = z.infer<typeof neighborsSchema>;

/**
 * Cross-checks against the APs (for the distribution section's superRefine): forbid lists must
 * name configured APs, and a pinned neighbour (static `neighbors:`) cannot also be forbidden.
 */
export function neighborsConfigIssues(
  n: NeighborsConfig,
  aps: ReadonlyArray<{ name: string; neighbors: readonly string[] }>,
): { path: (string | number)[]; message: string }[] {
  const names = new Set(aps.map((a) => a.name));
  const pinned = new Map(aps.map((a) => [a.name, new Set(a.neighbors)]));
  const issues: { path: (string | number)[]; message: string }[] = [];
  for (const [ap, list] of Object.entries(n.forbid)) {
    if (!names.has(ap)) issues.push({ path: ['forbid', ap], message: `no AP named ${ap}` });
    list.forEach((other, i) => {
      if (!names.has(other)) issues.push({ path: ['forbid', ap, i], message: `no AP named ${other}` });
      if (pinned.get(ap)?.has(other))
        issues.push({ path: ['forbid', ap, i], message: `${other} is both a static neighbour of ${ap} and forbidden` });
    });
  }
  return issues;
}
