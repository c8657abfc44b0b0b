// What the lab reads from the frames and logs when it checks a revocation: when the AP let the
// station in (its successful (Re)Association Response), when it threw it out again
// (Deauthentication or Disassociation from the AP), how the station logged in next (full EAP, or
// a cached key), and, when no disconnect came, which link of the chain broke: the KMS never saw the
// station there, never sent a Disconnect-Request, the AP's DAS dropped it, or refused it.
import type { WifiFrame } from './pcap.js';
import type { DisconnectRecord } from './job.js';

/** The admission and the disconnect of one station at one AP, from the capture. */
export interface DisconnectFrames {
  /** The first successful (Re)Association Response from the AP to the station at or after `since`. */
  admitted?: WifiFrame;
  /** The first Deauthentication or Disassociation the AP sent the station after it. */
  disconnect?: WifiFrame;
  /** A Deauthentication or Disassociation the station itself sent the AP after the admission. */
  stationLeft?: WifiFrame;
}

const ok = (f: WifiFrame) => (f.status ?? 0) === 0;

export function disconnectFrames(frames: WifiFrame[], staMac: string, bssid: string, since: number): DisconnectFrames {
  const admitted = frames.find(
    (f) => f.at >= since && (f.kind === 'reassoc-resp' || f.kind === 'assoc-resp') && f.src === bssid && f.dst === staMac && ok(f),
  );
  if (!admitted) return {};
  const after = frames.filter((f) => f.at >= admitted.at && (f.kind === 'deauth' || f.kind === 'disassoc'));
  return {
    admitted,
    disconnect: after.find((f) => f.src === bssid && f.dst === staMac),
    stationLeft: after.find((f) => f.src === staMac && f.dst === bssid),
  };
}

/** IEEE 802.11 reason codes a disconnect is likely to carry here. */
const REASONS: Record<number, string> = {
  1: 'unspecified',
  2: 'previous authentication no longer valid',
  3: 'leaving',
  6: 'class 2 frame from a non-authenticated station',
  7: 'class 3 frame from a non-associated station',
  8: 'disassociated because leaving',
  23: 'IEEE 802.1X authentication failed',
};

export function reasonText(code: number | undefined): string {
  if (code === undefined) return 'no reason code';
  return `reason ${code}${REASONS[code] ? ` (${REASONS[code]})` : ''}`;
}

export interface NoDisconnectEvidence {
  station: string;
  staMac: string;
  ap: string;
  bssid: string;
  /** The AP's hostapd -d log since the station's admission. */
  apLines: string[];
  /** kmsd's log since the admission (JSON lines). */
  kmsLines: string[];
  /** Whether the station is still in the AP's station table (`hostapd_cli sta`). */
  stillAssociated: boolean | null;
  frames: DisconnectFrames;
}

/**
 * Why no disconnect came, link by link: admission in the capture, the KMS seeing the station at
 * the AP, a Disconnect-Request leaving the KMS, the AP's DAS receiving, accepting and acting on it.
 */
export function explainNoDisconnect(e: NoDisconnectEvidence): string {
  const who = `${e.station} at ${e.ap}`;
  if (!e.frames.admitted)
    return `the capture has no successful (Re)Association Response from ${e.ap} to ${e.station}: it was never let in there`;
  if (e.frames.stationLeft)
    return `${e.station} left ${e.ap} itself (${e.frames.stationLeft.kind} from the station, ${reasonText(e.frames.stationLeft.reason)}): the AP did not disconnect it`;
  const mac = e.staMac;
  const kmsAboutSta = e.kmsLines.filter((l) => l.includes(mac));
  const seen = kmsAboutSta.some((l) => l.includes(e.bssid) || /"msg":"station seen at AP"/.test(l));
  const kmsDas = kmsAboutSta.filter((l) => /disconnect|"part":"das"|das/i.test(l));
  const dasLines = e.apLines.filter((l) => /DAS: |RADIUS DAS/.test(l));
  const received = dasLines.filter((l) => /DAS: Received \d+ bytes/.test(l));
  const quote = (lines: string[]) =>
    lines
      .slice(-3)
      .map((l) => l.slice(0, 240))
      .join(' | ');
  const parts: string[] = [`no Deauthentication/Disassociation from ${e.ap} to ${e.station} in the capture after its admission`];
  if (e.stillAssociated === true) parts.push(`${e.ap} still lists ${e.station} (hostapd_cli sta)`);
  if (received.length === 0) {
    if (!seen) parts.push(`the KMS's log does not show ${who} (no AP-STA-CONNECTED or Accounting-Start for it reached the KMS)`);
    else if (kmsDas.length === 0) parts.push(`the KMS saw ${who} but logged no Disconnect-Request for it`);
    else parts.push(`the KMS logged ${quote(kmsDas)}`);
    parts.push(`${e.ap}'s DAS received nothing (no 'DAS: Received' line in its hostapd log)`);
  } else {
    const trouble = dasLines.filter((l) => /Drop|fail|invalid|missing|Unsupported|not found|NAK|time/i.test(l));
    parts.push(
      `${e.ap}'s DAS received ${received.length} request(s)${trouble.length > 0 ? ` and logged ${quote(trouble)}` : `: ${quote(dasLines)}`}`,
    );
  }
  return parts.join('; ');
}

/** How a station logged in again after a disconnect, from the frames between it and its new AP. */
export interface Relogin {
  /** ft: FT authentication; pmksa: a 4-way handshake without EAP (a cached PMK); full-eap: EAP frames. */
  method: 'ft' | 'pmksa' | 'full-eap' | 'unknown';
  eapFrames: number;
  eapolKeyFrames: number;
}

export function reloginOf(frames: WifiFrame[], staMac: string, bssid: string, from: number, connectedAt: number): Relogin {
  const win = frames.filter(
    (f) => f.at >= from && f.at <= connectedAt + 1 && ((f.src === staMac && f.dst === bssid) || (f.src === bssid && f.dst === staMac)),
  );
  // The last authentication attempt before the connection is the one that let the station in.
  const auths = win.filter((f) => f.kind === 'auth' && f.src === staMac);
  const first = auths[auths.length - 1];
  if (!first) return { method: 'unknown', eapFrames: 0, eapolKeyFrames: 0 };
  const after = win.filter((f) => f.at >= first.at);
  const eapFrames = after.filter((f) => f.kind === 'eap').length;
  const eapolKeyFrames = after.filter((f) => f.kind === 'eapol-key').length;
  const method = first.authAlg === 2 ? 'ft' : eapFrames > 0 ? 'full-eap' : eapolKeyFrames > 0 ? 'pmksa' : 'unknown';
  return { method, eapFrames, eapolKeyFrames };
}

/** The lines under the roam table: each disconnect with its measured time and its bound. */
export function formatDisconnects(list: DisconnectRecord[]): string {
  const lines = list.map((d) => {
    const frame = d.frame === 'deauth' ? 'Deauthentication' : 'Disassociation';
    const from = d.since === 'revoke' ? "kmsd's `station revoked`" : 'the (Re)Association Response';
    const events =
      d.since === 'revoke' ? '' : `, AP-STA-CONNECTED → AP-STA-DISCONNECTED ${d.eventsMs === null ? 'n/a' : `${d.eventsMs.toFixed(1)} ms`}`;
    return `  ${d.station} at ${d.ap} (${d.how}): ${d.captureMs.toFixed(1)} ms from ${from} to the ${frame} (${reasonText(d.reason)})${events}; bound ${d.withinMs} ms`;
  });
  return ['disconnected after revocation:', ...lines].join('\n');
}
