import type { ApRef, ApStay, StationRecord } from '../records/station.js';

// What StationLife tells its subscribers (key distribution, RF neighbours): each happening in a
// station's life once, whichever source reported it first.
//
// Keys never ride an event. An event carries the record (which by construction holds no key:
// station.ts keeps StationKeys apart) and places; a subscriber that needs keys asks the store
// (`stations.keysFor(staMac)`) at the moment it uses them. So no listener, log line or queue can
// hold key material it was merely handed, and a key replaced meanwhile is never the one used.
// `KeysNeverRideAnEvent` below makes it a compile error to add bytes to an event.

/** Which source placed the station: accounting, the AP's control channel, or a capture. */
export type PlaceSource = 'accounting' | 'ap-event' | 'capture';

export type StationLifeEvent =
  /**
   * An Access-Accept's record, committed: a new authentication with new keys. `news` says whether
   * it told anything new (records/news.ts); every Accept is one event, whatever its news.
   */
  | {
      type: 'learned';
      record: StationRecord;
      news: 'new' | 'changed' | 'same';
      /**
       * In a cluster, the member that relayed the Accept when it was another one (the record came
       * by replication, daemon/cluster/replicator.ts); absent when this kmsd relayed it.
       */
      relayedBy?: string;
    }
  /**
   * The station is at another BSS than it was (`from`: the place it left, or where it
   * authenticated if it had been placed nowhere yet). Once per real move, whatever the source;
   * `record.currentAp` is `to` already.
   */
  | { type: 'moved'; record: StationRecord; from: ApStay; to: ApStay; via: PlaceSource }
  /** The session ended (Accounting-Stop from the AP it is at). */
  | { type: 'ended'; record: StationRecord }
  /**
   * The KMS withdrew the authentication (StationLife.revoke): the record is marked and kept for
   * audit. Telling the APs (Disconnect-Requests) is the revocation consumer's
   * (stations/revocation.ts); the others treat it as an end. `trigger`: who asked.
   */
  | { type: 'revoked'; record: StationRecord; reason: string; trigger: RevocationTrigger }
  /**
   * A revoked station's session showed up at an AP (accounting, AP-STA-CONNECTED, a captured roam):
   * a PMK-R1 or PMKSA entry the KMS could not remove let it in. The place is not recorded; that AP
   * must disconnect it at once.
   */
  | { type: 'revoked-seen'; record: StationRecord; at: ApRef; via: PlaceSource };

/** Who revoked: the operator (kmsctl or the API), an upstream's Disconnect relayed and ACKed, or an Accounting-Stop cause. */
export type RevocationTrigger = 'kmsctl' | 'api' | 'disconnect-ack' | 'accounting';
export const REVOCATION_TRIGGERS: readonly RevocationTrigger[] = ['kmsctl', 'api', 'disconnect-ack', 'accounting'];

/** True if any field, however deep, can hold bytes (keys are bytes: Buffer, Uint8Array). */
type CarriesBytes<T> = T extends Uint8Array
  ? true
  : T extends string | number | boolean | bigint | null | undefined
    ? false
    : T extends object
      ? true extends { [K in keyof T]-?: CarriesBytes<T[K]> }[keyof T]
        ? true
        : false
      : false;

/** Compiles only while no event can carry bytes (see above). */
export const KeysNeverRideAnEvent: CarriesBytes<StationLifeEvent> extends false ? true : never = true;

/** A subscriber to StationLife (the distributor, the RF-neighbour service). */
export interface StationLifeListener {
  /** Resolves (when it returns a promise) once the subscriber is done with the event. */
  onStationLife(e: StationLifeEvent): void | Promise<void>;
}
