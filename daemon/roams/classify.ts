// How a finished connection attempt is named, and when it counts as slow. Pure functions over the
// facts the tracker collected; the exact start and end frames of each kind are in README.md.
import { AKM } from './frame-events.js';

/** How a station (re)connected. */
export type AuthKind = 'ft-over-air' | 'ft-over-ds' | 'pmksa' | 'full-eap' | 'sae' | 'psk' | 'open';
/** A roam's method: how it authenticated, or 'failed', or 'initial' (no previous BSS known). */
export type RoamMethod = AuthKind | 'failed' | 'initial';

/** How an attempt began, i.e. which frame started the clock. */
export type AttemptStart = 'ft-auth' | 'ft-action' | 'open-auth' | 'sae-auth' | 'other-auth' | 'assoc-req';

export interface AttemptFacts {
  start: AttemptStart;
  /** (Re)Association Request seen; false leaves rsn/akms/ft unknown. */
  assocReqSeen: boolean;
  rsn: boolean;
  akms: number[];
  /** The (Re)Association Request carried a Fast BSS Transition element. */
  ftElements: boolean;
  /** The (Re)Association Request listed a PMKID: the station hoped the AP had its PMKSA cached. */
  pmkidOffered: boolean;
  eapFrames: number;
  eapolKeyFrames: number;
}

const PSK_AKMS = new Set<number>([AKM.PSK, AKM.PSK_SHA256]);

/**
 * The kind of authentication an attempt used (or was using when it failed):
 * - FT when it began with FT authentication or an FT Request action frame; an FT reassociation whose
 *   start was not captured counts as over the DS, because over-the-DS action frames travel on the
 *   *old* AP's channel, which a monitor parked on the target's channel does not hear;
 * - SAE when it began with SAE authentication;
 * - open when the association had no RSN element (no keys at all);
 * - PSK when the AKM is a PSK one (a 4-way handshake without EAP is then the normal case);
 * - full EAP when any EAP packet passed between station and target;
 * - PMKSA caching / OKC when the 4-way handshake started without EAP (an 802.1X AKM);
 * - an attempt that failed before any EAPOL frame: PMKSA if the station offered a PMKID (that is
 *   what it was trying), otherwise full EAP (a station without a cached key must run EAP).
 */
export function classifyAttempt(a: AttemptFacts): AuthKind {
  if (a.start === 'ft-auth') return 'ft-over-air';
  if (a.start === 'ft-action') return 'ft-over-ds';
  if (a.start === 'assoc-req' && a.ftElements) return 'ft-over-ds';
  if (a.start === 'sae-auth') return 'sae';
  if (a.assocReqSeen && !a.rsn) return 'open';
  if (a.eapFrames > 0) return 'full-eap';
  if (a.akms.some((k) => PSK_AKMS.has(k))) return 'psk';
  if (a.eapolKeyFrames > 0 || a.pmkidOffered) return 'pmksa';
  return 'full-eap';
}

/** FT attempts end with the (Re)Association Response; so do open ones. The others need EAPOL-Key message 4. */
export function endsAtAssocResponse(kind: AuthKind): boolean {
  return kind === 'ft-over-air' || kind === 'ft-over-ds' || kind === 'open';
}

export type SlowThresholds = Record<AuthKind, number>;

/**
 * Juniper Mist's Roaming SLE calls an 802.11r roam slow above 400 ms and a standard or OKC roam slow
 * above 2 s; we use the same defaults, and treat SAE/PSK/open like standard roams.
 */
export const DEFAULT_SLOW_MS: Readonly<SlowThresholds> = {
  'ft-over-air': 400,
  'ft-over-ds': 400,
  pmksa: 2000,
  'full-eap': 2000,
  sae: 2000,
  psk: 2000,
  open: 2000,
};

/** `ftMs` sets both FT kinds, `otherMs` all the rest (kmsctl roams --slow-ms / --slow-other-ms). */
export function slowThresholds(ftMs?: number, otherMs?: number): SlowThresholds {
  const t = { ...DEFAULT_SLOW_MS };
  if (ftMs !== undefined) t['ft-over-air'] = t['ft-over-ds'] = ftMs;
  if (otherMs !== undefined) for (const k of ['pmksa', 'full-eap', 'sae', 'psk', 'open'] as const) t[k] = otherMs;
  return t;
}

/** Human-readable phase an unfinished attempt stopped in (for 'failed' reasons). */
export function stalledPhase(p: {
  authAnswered: boolean;
  assocReqSeen: boolean;
  assocOk: boolean;
  eapFrames: number;
  lastKeyMessage?: string;
}): string {
  if (p.assocOk) {
    if (p.lastKeyMessage) return `4-way handshake incomplete (last EAPOL-Key ${p.lastKeyMessage}, no M4)`;
    return p.eapFrames > 0 ? 'EAP did not complete' : 'no EAP or 4-way handshake after association';
  }
  if (p.assocReqSeen) return 'no (re)association response';
  if (p.authAnswered) return 'no (re)association request after authentication';
  return 'no authentication response';
}
