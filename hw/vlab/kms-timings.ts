// What the KMS's key distribution cost in time, read from one run's logs and its DS capture (all stamped
// by the guest's one clock): for each station the KMS learned (its Access-Accept went through kmsd),
// how long until each neighbour AP had stored the pushed PMK-R1 (hostapd -d "FT: PMK-R1 push -
// expires_in=…", i.e. after hostapd's SEQ_REQ/SEQ_RESP exchange with the KMS), and for each PULL how
// long the AP waited for the KMS's answer. Plus the R0KH-R1KH frames on the DS by type.
// The first-keys figure starts where the station's wait starts: the AP's receipt of the
// Access-Accept (hostapd -d "decapsulated EAP packet (code=3 …) from RADIUS server"), which comes
// before kmsd's 'station learned' line (kmsd commits, relays, and only then tells its main thread).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GuestResult } from './job.js';
import { lineTime } from './guest/logs.js';
import { rrbFrames } from './pcap.js';

interface Stamped {
  at: number;
  text: string;
}

function lines(resultsDir: string, rel: string | undefined): Stamped[] {
  if (!rel) return [];
  const p = join(resultsDir, rel);
  if (!existsSync(p)) return [];
  // Continuation lines (hexdumps) carry no stamp: they get their first line's.
  let last: number | undefined;
  return readFileSync(p, 'utf8')
    .split('\n')
    .flatMap((text) => {
      last = lineTime(text) ?? last;
      return last === undefined ? [] : [{ at: last, text }];
    });
}

export interface KmsTimings {
  /** One line per fact, for the report. */
  lines: string[];
  /**
   * ms from the join's Access-Accept at its AP (or kmsd's 'station learned' when the AP logs have
   * none) to each AP storing the pushed PMK-R1, by station then AP.
   */
  pushStoredMs: Record<string, Record<string, number>>;
  /** ms from an AP's PULL request to its storing the answer, by AP. */
  pullMs: Record<string, number>;
  rrbFrames: Record<string, number>;
  /**
   * Per join whose PMK-R1 was pushed: ms from the AP's receipt of the Access-Accept to kmsd's
   * 'station learned' line and to the last neighbour storing the key.
   */
  firstKeys: { station: string; acceptAp: string; learnedMs: number; lastStoredMs: number }[];
}

/** The latest Access-Accept (EAP Success from the RADIUS server) for `sta` at any AP, at or before `at`. */
function acceptBefore(apLogs: Map<string, Stamped[]>, sta: string, at: number): { ap: string; at: number } | null {
  let best: { ap: string; at: number } | null = null;
  const needle = `STA ${sta} IEEE 802.1X: decapsulated EAP packet (code=3`;
  for (const [ap, log] of apLogs) {
    for (const line of log) {
      if (line.at > at) break;
      // 10 s: an Accept older than that belongs to an earlier join than this 'station learned'.
      if (line.at >= at - 10_000 && line.text.includes(needle) && (!best || line.at > best.at)) best = { ap, at: line.at };
    }
  }
  return best;
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

export function kmsTimings(resultsDir: string, guest: GuestResult, apNames: string[], distribution = true): KmsTimings {
  const out: KmsTimings = { lines: [], pushStoredMs: {}, pullMs: {}, rrbFrames: {}, firstKeys: [] };
  const kms = lines(resultsDir, guest.logs.kms);
  const macToName = new Map(Object.entries(guest.macs).map(([n, m]) => [m, n]));
  const apLogs = new Map(apNames.map((n) => [n, lines(resultsDir, guest.logs[n])]));

  const ready = kms.filter((l) => l.text.includes('"msg":"kmsd ready"'));
  if (ready.length > 0)
    out.lines.push(`kmsd ready ${ready.length}x (starts: ${ready.map((r) => new Date(r.at).toISOString().slice(11, 23)).join(', ')})`);

  const learned = kms.filter((l) => l.text.includes('"msg":"station learned"'));
  // Each join is timed from its Accept at the AP where there is one (kmsd may place keys before
  // it writes 'station learned'), and runs until the next join's start.
  const joins = learned.flatMap((l) => {
    const sta = /"sta":"([0-9a-f:]{17})"/.exec(l.text)?.[1];
    if (!sta) return [];
    const accept = acceptBefore(apLogs, sta, l.at);
    return [{ l, sta, accept, from: accept?.at ?? l.at }];
  });
  for (const [i, { l, sta, accept, from }] of joins.entries()) {
    const staName = macToName.get(sta) ?? sta;
    const until = joins[i + 1]?.from ?? Number.POSITIVE_INFINITY;
    const learnedAt = new Date(l.at).toISOString().slice(11, 23);
    const since = accept
      ? `${(l.at - accept.at).toFixed(1)} ms after its Access-Accept at ${accept.ap}`
      : "no Access-Accept in the AP logs: times from 'station learned'";
    const stored: Record<string, number> = {};
    for (const [ap, log] of apLogs) {
      // The S1KH-ID line precedes the stored line of the same PUSH.
      for (let k = 0; k < log.length; k++) {
        const line = log[k]!;
        if (line.at < from || line.at >= until || !line.text.includes(`FT: S1KH-ID=${sta}`)) continue;
        const storedLine = log.slice(k, k + 40).find((x) => x.text.includes('FT: PMK-R1 push - expires_in='));
        if (storedLine && stored[ap] === undefined) stored[ap] = storedLine.at - from;
      }
    }
    const key = `${staName}#${i + 1}`;
    out.pushStoredMs[key] = stored;
    // OKC: a PMKSA_ADD arriving on the control interface, then hostapd's "RSN: added PMKSA cache entry".
    const okc: Record<string, number[]> = {};
    for (const [ap, log] of apLogs) {
      for (let k = 0; k < log.length; k++) {
        const line = log[k]!;
        if (line.at < from || line.at >= until || !line.text.includes('RX ctrl_iface')) continue;
        const next = log.slice(k + 1, k + 12);
        if (!next.some((x) => x.text.includes('PMKSA_ADD'))) continue;
        const added = next.find((x) => x.text.includes(`RSN: added PMKSA cache entry for ${sta}`));
        if (added) (okc[ap] ??= []).push(added.at - from);
      }
    }
    const parts = [...Object.entries(stored).map(([ap, ms]) => `${ap} +${ms.toFixed(1)} ms`)];
    if (accept && parts.length > 0)
      out.firstKeys.push({
        station: key,
        acceptAp: accept.ap,
        learnedMs: l.at - accept.at,
        lastStoredMs: Math.max(...Object.values(stored)),
      });
    if (!distribution) {
      out.lines.push(`${staName} learned by the KMS at ${learnedAt} (no distribution: section)`);
      continue;
    }
    const okcParts = Object.entries(okc).map(
      ([ap, ms]) =>
        `${ap} ${ms.map((m) => `+${m.toFixed(1)} ms`).join(' and ')}${ms.length > 1 ? ` (${ms.length} PMKSA_ADDs of the same key)` : ''}`,
    );
    if (parts.length > 0 || okcParts.length === 0)
      out.lines.push(
        `${staName} learned by the KMS at ${learnedAt}, ${since}; pushed PMK-R1 stored by ${parts.length > 0 ? parts.join(', ') : 'no AP'}`,
      );
    if (okcParts.length > 0)
      out.lines.push(`${staName} learned by the KMS at ${learnedAt}, ${since}; PMKSA_ADD stored by ${okcParts.join(', ')}`);
  }
  if (out.firstKeys.length > 0) {
    const last = out.firstKeys.map((f) => f.lastStoredMs).sort((a, b) => a - b);
    const learnedAfter = out.firstKeys.map((f) => f.learnedMs).sort((a, b) => a - b);
    out.lines.push(
      `Access-Accept at the AP → pushed PMK-R1 stored by the last neighbour: p50 ${percentile(last, 0.5).toFixed(1)} ms, max ${last.at(-1)!.toFixed(1)} ms over ${last.length} join(s) ('station learned' p50 ${percentile(learnedAfter, 0.5).toFixed(1)} ms after the Accept)`,
    );
  }
  for (const up of kms.filter((x) => x.text.includes('"msg":"AP control channel up"'))) {
    const ap = /"ap":"([^"]+)"/.exec(up.text)?.[1];
    const wasDown =
      ap !== undefined &&
      kms.some((x) => x.at < up.at && x.text.includes(`"ap":"${ap}"`) && x.text.includes('"msg":"AP control channel down"'));
    if (!ap || !wasDown) continue;
    const log = apLogs.get(ap) ?? [];
    const caught = log.find((x) => x.at >= up.at && x.text.includes('RSN: added PMKSA cache entry for'));
    out.lines.push(
      `${ap}: control channel back at ${new Date(up.at).toISOString().slice(11, 23)}${caught ? `, queued PMKSA_ADD stored +${(caught.at - up.at).toFixed(1)} ms later` : ', nothing stored after it'}`,
    );
  }

  for (const [ap, log] of apLogs) {
    const req = log.find((x) => x.text.includes('FT: Send PMK-R1 pull request'));
    if (!req) continue;
    const resp = log.find((x) => x.at >= req.at && x.text.includes('FT: PMK-R1 pull response - expires_in='));
    if (!resp) {
      out.lines.push(`${ap} PULLed at ${new Date(req.at).toISOString().slice(11, 23)}: no answer stored`);
      continue;
    }
    out.pullMs[ap] = resp.at - req.at;
    const pulls = log.filter((x) => x.at <= resp.at && x.at >= req.at && x.text.includes('FT: Send PMK-R1 pull request')).length;
    out.lines.push(
      `${ap} PULLed: answer stored after ${(resp.at - req.at).toFixed(1)} ms (${pulls} PULL frame(s) sent, SEQ exchanges included)`,
    );
  }

  if (guest.dsCapture && existsSync(join(resultsDir, guest.dsCapture))) {
    for (const f of rrbFrames(readFileSync(join(resultsDir, guest.dsCapture)))) out.rrbFrames[f.type] = (out.rrbFrames[f.type] ?? 0) + 1;
    out.lines.push(
      `R0KH-R1KH frames on the DS: ${
        Object.entries(out.rrbFrames)
          .map(([t, n]) => `${t} ${n}`)
          .join(', ') || 'none'
      }`,
    );
  }
  return out;
}
