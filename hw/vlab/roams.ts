// Turns the roams the runner asked for, plus the capture, into the roam table: method, EAP frame
// count and two times per roam. Definitions (also in hw/README.md):
//   capture time: from the station's first Authentication frame to the target AP to the last frame of
//     the key exchange with it: the last EAPOL-Key frame if there was a 4-way handshake, otherwise
//     (FT) the Reassociation Response.
//   events time: wpa_supplicant's "Trying to authenticate with <target>" to its CTRL-EVENT-CONNECTED.
//   method: ft if the station authenticated with algorithm 2 (FT); full-eap if EAP frames passed
//     between station and target; pmksa if there was a 4-way handshake without EAP.
import type { RoamRecord } from './job.js';
import type { WifiFrame } from './pcap.js';

export type RoamMethod = 'ft' | 'pmksa' | 'full-eap' | 'unknown';

export interface RoamRow {
  station: string;
  from: string;
  to: string;
  via: string;
  method: RoamMethod;
  eapFrames: number | null;
  eapolKeyFrames: number | null;
  captureMs: number | null;
  eventsMs: number | null;
  /** From the runner's request (wpa_cli roam / BSS TM request) to CTRL-EVENT-CONNECTED. */
  requestToConnectedMs: number | null;
  /** Why an FT attempt did not complete, read from the frames (null when it did, or was no FT). */
  ftFailure: string | null;
}

/** IEEE 802.11 status 55: Invalid FTIE (hostapd: "FT: ANonce mismatch in FTIE" and other FTIE checks). */
const STATUS_INVALID_FTIE = 55;

/**
 * An FT attempt that did not end in a successful Reassociation, named from the frames. The common
 * one on a slow path: the station retransmits its FT Authentication (about 100 ms), hostapd
 * answers the copy with a fresh ANonce, and the station reassociates with the first one.
 */
export function ftFailureOf(after: WifiFrame[], sta: string): string | null {
  const ftAuthRequests = after.filter((f) => f.kind === 'auth' && f.src === sta && f.authAlg === 2 && f.authSeq === 1).length;
  const refused = after.find((f) => (f.kind === 'reassoc-resp' || f.kind === 'assoc-resp') && f.dst === sta && (f.status ?? 0) !== 0);
  const authRefused = after.find((f) => f.kind === 'auth' && f.dst === sta && f.authAlg === 2 && (f.status ?? 0) !== 0);
  if (refused?.status === STATUS_INVALID_FTIE && ftAuthRequests > 1) {
    return `FT ANonce race: the station sent ${ftAuthRequests} FT Authentication requests, the AP answered a retransmission with a fresh ANonce, and refused the Reassociation (status 55, invalid FTIE)`;
  }
  if (refused) return `the AP refused the FT Reassociation with status ${refused.status}`;
  if (authRefused) return `the AP refused the FT Authentication with status ${authRefused.status}`;
  // The slowest case: the station gave up before the AP's first answer, so nothing was refused.
  const reassoc = after.find((f) => (f.kind === 'reassoc-req' || f.kind === 'assoc-req') && f.src === sta);
  const firstReq = after.find((f) => f.kind === 'auth' && f.src === sta && f.authAlg === 2 && f.authSeq === 1);
  if (!reassoc && firstReq && ftAuthRequests > 1) {
    const answer = after.find((f) => f.kind === 'auth' && f.dst === sta && f.authAlg === 2 && f.authSeq === 2);
    const late = answer ? `the AP's first answer came ${Math.round(answer.at - firstReq.at)} ms after the first` : 'the AP never answered';
    return `FT Authentication given up by the station: it sent ${ftAuthRequests} requests and did not reassociate; ${late}`;
  }
  return null;
}

const between = (f: WifiFrame, a: string, b: string) => (f.src === a && f.dst === b) || (f.src === b && f.dst === a);

export function analyseRoams(roams: RoamRecord[], frames: WifiFrame[] | undefined): RoamRow[] {
  return roams.map((r, i) => {
    const eventsMs = r.authStartAt !== undefined && r.connectedAt !== undefined ? r.connectedAt - r.authStartAt : null;
    const requestToConnectedMs = r.connectedAt !== undefined ? r.connectedAt - r.requestedAt : null;
    const base = { station: r.station, from: r.from, to: r.to, via: r.via, eventsMs, requestToConnectedMs };
    if (!frames) return { ...base, method: 'unknown', eapFrames: null, eapolKeyFrames: null, captureMs: null, ftFailure: null };
    // The window of this roam: from its request to the next roam of the same station.
    const next = roams.slice(i + 1).find((x) => x.station === r.station);
    const end = next ? next.requestedAt : Number.POSITIVE_INFINITY;
    const win = frames.filter((f) => f.at >= r.requestedAt - 5 && f.at < end && between(f, r.stationMac, r.toBssid));
    const firstAuth = win.find((f) => f.kind === 'auth' && f.src === r.stationMac);
    if (!firstAuth) return { ...base, method: 'unknown', eapFrames: null, eapolKeyFrames: null, captureMs: null, ftFailure: null };
    const after = win.filter((f) => f.at >= firstAuth.at);
    const eap = after.filter((f) => f.kind === 'eap');
    const keys = after.filter((f) => f.kind === 'eapol-key');
    const reassocResp = after.find((f) => f.kind === 'reassoc-resp' || f.kind === 'assoc-resp');
    const method: RoamMethod = firstAuth.authAlg === 2 ? 'ft' : eap.length > 0 ? 'full-eap' : keys.length > 0 ? 'pmksa' : 'unknown';
    // For FT a 4-way handshake must not happen; if one did, it is part of the roam's cost anyway.
    const last = keys.length > 0 ? keys[keys.length - 1]! : reassocResp;
    return {
      ...base,
      method,
      eapFrames: eap.length,
      eapolKeyFrames: keys.length,
      captureMs: last ? last.at - firstAuth.at : null,
      ftFailure: firstAuth.authAlg === 2 ? ftFailureOf(after, r.stationMac) : null,
    };
  });
}

const fmt = (v: number | null) => (v === null ? 'n/a' : v.toFixed(1));

/** A plain-text table, one line per roam. */
export function formatRoamTable(title: string, rows: RoamRow[]): string {
  const header = [
    'station',
    'from',
    'to',
    'via',
    'method',
    'EAP frames',
    'time (ms, capture)',
    'time (ms, events)',
    'request→connected (ms)',
  ];
  const body = rows.map((r) => [
    r.station,
    r.from,
    r.to,
    r.via,
    r.method,
    r.eapFrames === null ? 'n/a' : String(r.eapFrames),
    fmt(r.captureMs),
    fmt(r.eventsMs),
    fmt(r.requestToConnectedMs),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((row) => row[c]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((x, c) => x.padEnd(widths[c]!))
      .join('  ')
      .trimEnd();
  const out = [`roams: ${title}`, line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)];
  if (rows.length === 0) out.push('(no roams in this scenario)');
  return out.join('\n');
}
