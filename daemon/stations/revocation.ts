import type { ApRef, StationRecord } from '../records/station.js';
import type { Placement } from '../distribution/placement.js';
import type { ApDriver } from '../ports/ap-driver.js';
import type { DisconnectPlace, DisconnectResult, StationDisconnecter } from '../ports/station-disconnecter.js';
import type { StationLifeEvent, StationLifeListener } from './events.js';

// What a revocation does at the APs (StationLife marks the record; this acts on its events).
// On `revoked`: every AP that may hold a PMKSA entry for the station (its OKC placements, the AP
// where it authenticated, the AP where it is) gets a Disconnect-Request from the KMS to its DAS,
// which deauthenticates it there and removes the entry. On `revoked-seen`: the AP where the revoked
// session showed up (a PMK-R1 the KMS cannot remove let it in) gets one at once. An AP without a
// DAS is told through its control channel instead (deauthentication only: its PMKSA entry may
// stay until it expires). docs/revocation.md says what stays where, and for how long.

/** How one AP was told: its DAS's answer, or the control channel's deauthentication, or nothing. */
export type KickResult = DisconnectResult['result'] | 'driver' | 'unreachable';
export const KICK_RESULTS: readonly KickResult[] = ['ack', 'nak', 'timeout', 'no-das', 'driver', 'unreachable'];

export interface Kick {
  ap: string | null;
  bssid: string | null;
  why: 'okc-placement' | 'authenticated-here' | 'current-ap' | 'seen-after-revocation';
  result: KickResult;
  detail?: string;
}

export interface RevocationDeps {
  /** The DAS sender; null when no radius.clients entry has a DAS. */
  disconnecter: StationDisconnecter | null;
  /** The placement ledger of a station (the distributor's), when distribution is on. */
  placementsFor?(staMac: string): Placement[];
  /** AP names and interfaces, for the control-channel fallback and for naming places. */
  topology?: {
    locate(where: ApRef): { name: string } | undefined;
    bss(bssid: string): { ap: string; ifname: string } | undefined;
  };
  controlFor?(ap: string): ApDriver | null;
  log: { info(o: object, m: string): void; warn(o: object, m: string): void };
  observer?: { kicked(result: KickResult): void };
  now?: () => number;
}

/** How many stations' last revocation outcomes are kept for the API's answer. */
const KEPT_OUTCOMES = 1000;

export class Revocation implements StationLifeListener {
  private readonly outcomes = new Map<string, Kick[]>();
  /** Disconnects under way for a revoked session at one place: two signs of it (Accounting-Start and AP-STA-CONNECTED) make one. */
  private readonly inFlight = new Set<string>();
  private readonly now: () => number;

  constructor(private readonly d: RevocationDeps) {
    this.now = d.now ?? Date.now;
  }

  onStationLife(e: StationLifeEvent): Promise<void> | void {
    if (e.type === 'revoked') return this.revoked(e.record);
    if (e.type === 'revoked-seen') return this.seen(e.record, e.at);
  }

  /** What the last revocation of this station told each AP. */
  kicksOf(staMac: string): Kick[] | undefined {
    return this.outcomes.get(staMac);
  }

  private async revoked(record: StationRecord): Promise<void> {
    const targets = new Map<string, { at: DisconnectPlace; why: Kick['why'] }>();
    const add = (at: DisconnectPlace, why: Kick['why']) => {
      const key = placeKey(at);
      if (!targets.has(key)) targets.set(key, { at, why });
    };
    add(this.placeOf(record.ap), 'authenticated-here');
    if (record.currentAp) add(this.placeOf(record.currentAp), 'current-ap');
    const now = this.now();
    for (const p of this.d.placementsFor?.(record.staMac) ?? []) {
      // PMK-R1s cannot be removed (hostapd has no interface for it): only PMKSA entries are. A
      // placement never made (failed, or queued until the distributor dropped it) has no placedAt.
      if (p.kind === 'okc' && p.expiresAt > now && p.placedAt !== null) {
        add({ ap: p.ap, bssid: p.bssid, clientAddress: null }, 'okc-placement');
      }
    }
    const kicks = await Promise.all([...targets.values()].map((t) => this.kick(record.staMac, t.at, t.why)));
    this.outcomes.delete(record.staMac);
    this.outcomes.set(record.staMac, kicks);
    if (this.outcomes.size > KEPT_OUTCOMES) this.outcomes.delete(this.outcomes.keys().next().value!);
    this.d.log.info(
      {
        sta: record.staMac,
        told: kicks.filter((k) => k.result === 'ack' || k.result === 'driver').length,
        aps: kicks.length,
        results: kicks.map((k) => `${k.ap ?? k.bssid}:${k.result}`),
      },
      'revocation: APs told',
    );
  }

  private async seen(record: StationRecord, at: ApRef): Promise<void> {
    const place = this.placeOf(at);
    const key = `${record.staMac}|${placeKey(place)}`;
    if (this.inFlight.has(key)) return;
    this.inFlight.add(key);
    try {
      await this.kick(record.staMac, place, 'seen-after-revocation');
    } finally {
      this.inFlight.delete(key);
    }
  }

  private placeOf(ref: ApRef): DisconnectPlace {
    return { ap: this.d.topology?.locate(ref)?.name ?? null, bssid: ref.bssid, clientAddress: ref.clientAddress };
  }

  private async kick(staMac: string, at: DisconnectPlace, why: Kick['why']): Promise<Kick> {
    const done = (result: KickResult, detail?: string): Kick => {
      this.d.observer?.kicked(result);
      const k: Kick = { ap: at.ap, bssid: at.bssid, why, result, ...(detail ? { detail } : {}) };
      this.d.log.info(
        { sta: staMac, ap: at.ap ?? at.clientAddress, bssid: at.bssid, why, result, ...(detail ? { detail } : {}) },
        'revocation: Disconnect sent to AP',
      );
      return k;
    };
    let das: DisconnectResult = { result: 'no-das' };
    if (this.d.disconnecter) {
      try {
        das = await this.d.disconnecter.disconnect(staMac, at);
      } catch (e) {
        das = { result: 'no-das' };
        this.d.log.warn({ sta: staMac, ap: at.ap, err: (e as Error).message }, "revocation: Disconnect to the AP's DAS failed");
      }
    }
    if (das.result === 'nak') return done('nak', das.errorCause);
    if (das.result !== 'no-das') return done(das.result);
    // No DAS: the control channel can still deauthenticate the station, not remove its PMKSA entry.
    const bss = at.bssid ? this.d.topology?.bss(at.bssid) : undefined;
    const control = bss ? (this.d.controlFor?.(bss.ap) ?? null) : null;
    if (!bss || !control?.disconnect) {
      this.d.log.warn(
        { sta: staMac, ap: at.ap ?? at.clientAddress, bssid: at.bssid },
        'revocation: the AP has neither a DAS (radius.clients[].das) nor a control channel that can disconnect; its keys for the station stay until they expire',
      );
      return done('unreachable');
    }
    // A channel that is down would hold the command until it reconnects (or times out), and the
    // operator's revoke would wait with it: an AP that cannot be reached now is reported as such.
    if (!control.connected) {
      this.d.log.warn(
        { sta: staMac, ap: bss.ap },
        'revocation: the AP has no DAS and its control channel is down; its keys for the station stay until they expire',
      );
      return done('unreachable', 'control channel down');
    }
    try {
      await control.disconnect(bss.ifname, { staMac });
    } catch (e) {
      this.d.log.warn(
        { sta: staMac, ap: bss.ap, err: (e as Error).message },
        "revocation: the AP's control channel could not disconnect the station",
      );
      return done('unreachable', (e as Error).message);
    }
    this.d.log.warn(
      { sta: staMac, ap: bss.ap, bssid: at.bssid },
      'revocation: the AP has no DAS; deauthenticated through its control channel, its PMKSA entry may remain until it expires',
    );
    return done('driver');
  }
}

function placeKey(at: DisconnectPlace): string {
  return at.bssid ?? `${at.ap ?? ''}|${at.clientAddress ?? ''}`;
}
