// Port: one AP's hostapd as the core drives it. Like hostapd's own `struct wpa_driver_ops`, it
// is a table with one member per capability; a back-end that cannot do something leaves that
// member out, and the core checks for it instead of asking what kind of back-end it has.
// adapters/hostapd implements it three times: a local ctrl socket (CtrlSocketDriver),
// hostapd_cli over SSH (HostapdCliDriver) and OpenWrt's ubus over SSH (UbusDriver). The core
// passes structured parameters and never sees command text, ubus arguments or transports.
import type { BeaconRequestParams } from '../neighbors/beacon-request.js';

/**
 * What an AP reports. Every station event names the BSS (`ifname`) and the station (`staMac`,
 * canonical form). On sta-connected, `vlanId` is the VLAN hostapd put the station in and
 * `authAlg` how it authenticated (open, ft, sae, …), where the AP says (OpenWrt does).
 */
export type ApEvent =
  /** A station completed association (and, on an 802.1X BSS, authorization) on one BSS. */
  | { type: 'sta-connected'; ifname: string; staMac: string; vlanId?: number; authAlg?: string }
  /** A station left a BSS (disassociated, deauthenticated, or timed out). */
  | { type: 'sta-disconnected'; ifname: string; staMac: string }
  /** The 4-way handshake with a station completed (ctrl interface only: ubus has no such notification). */
  | { type: '4way-completed'; ifname: string; staMac: string }
  /**
   * A station's Beacon report: the dialog token (null from OpenWrt's ubus, which carries none),
   * the Measurement Report Mode octet and the report body.
   */
  | { type: 'beacon-report'; ifname: string; staMac: string; token: number | null; reportMode: number; body: Buffer }
  /** The control channel went down (`reason` says why) or came back (hostapd may have restarted meanwhile). */
  | { type: 'transport'; up: boolean; reason?: string };

/** What PMKSA_ADD places in one BSS's PMKSA cache (OKC / PMK caching). */
export interface PmksaAddParams {
  /** Station MAC (SPA), any common notation. */
  staMac: string;
  /** The PMKID the station will present (16 octets). */
  pmkid: Buffer;
  /** The PMK (32..64 octets). Secret: never logged, never echoed in an error. */
  pmk: Buffer;
  /** Seconds until hostapd drops the entry. */
  expirationS: number;
  /** hostapd's WPA_KEY_MGMT_* bitmask, decimal (1 WPA-EAP, 32 FT-EAP, 128 EAP-SHA256). */
  akmp: number;
}

/** One entry of a BSS's PMKSA cache as hostapd lists it: no keys. */
export interface PmksaCacheEntry {
  /** Station MAC, canonical aa:bb:… form. */
  staMac: string;
  /** PMKID, lower-case hex. */
  pmkid: string;
}

/** One entry of a BSS's 802.11k neighbour database. */
export interface NeighborDbEntry {
  /** BSSID the entry describes, canonical form. */
  bssid: string;
  /** Its SSID, as octets (1..32). */
  ssid: Buffer;
  /** Neighbor Report element body (no EID/length). */
  nr: Buffer;
}

/** A BSS's neighbour database as read: hostapd's own entry and the others. */
export interface NeighborDb {
  /** The entry hostapd built for the BSS itself (right capability bits, class, channel, PHY), if any. */
  own: NeighborDbEntry | null;
  /** Every other entry: what the KMS, or an earlier run of it, put there. */
  others: NeighborDbEntry[];
}

/**
 * How a beacon request ended: 'sent' (the station was asked; its report arrives as a
 * `beacon-report` event), 'rejected' (refused for an associated station: no RM capability),
 * 'gone' (the station is not associated there).
 */
export type BeaconRequestOutcome = 'sent' | 'rejected' | 'gone';

/** An 802.11v BSS Transition Management Request to one station. */
export interface BssTransitionParams {
  /** The station, canonical form. */
  staMac: string;
  /** Candidate list: Neighbor Report element bodies, most preferred first. */
  candidates: Buffer[];
  /** Tell the station it will be disassociated soon (Disassociation Imminent bit). */
  disassocImminent?: boolean;
  /** Beacon intervals until the AP disassociates the station (0 = unspecified). */
  disassocTimerTbtt?: number;
  /** Beacon intervals the candidate list stays valid. */
  validityIntervalTbtt?: number;
  /** Abridged bit: BSSes not in the list are not preferred either. */
  abridged?: boolean;
}

/** Deauthenticating one station. */
export interface DisconnectParams {
  /** The station, canonical form. */
  staMac: string;
  /** IEEE 802.11 reason code (default 1, unspecified). */
  reason?: number;
}

export interface ApDriver {
  /** True while the transport to the AP is up (members may still reject: hostapd answers for itself). */
  readonly connected: boolean;
  /** Delivers this AP's events to `listener` from now on; returns the call that stops it. */
  subscribe(listener: (ev: ApEvent) => void): () => void;
  /**
   * Starts delivering the events of these BSSes (interface names). Rejects when some could not
   * be attached yet; those are retried in the background, so the rejection is for the log.
   */
  startEvents(ifnames: readonly string[]): Promise<void>;
  /** PMKSA_ADD on one BSS. Resolves on OK, rejects with the AP's refusal or the transport error. */
  pmksaAdd?(ifname: string, req: PmksaAddParams): Promise<void>;
  /** The station/PMKID pairs in one BSS's PMKSA cache: how a PMKSA_ADD is confirmed. */
  pmksaList?(ifname: string): Promise<PmksaCacheEntry[]>;
  /**
   * One BSS's neighbour database (`ownBssid` tells its own entry from the others); null when
   * neighbour reports are off on that BSS. Rejects on transport failure.
   */
  readNeighborDb?(ifname: string, ownBssid: string): Promise<NeighborDb | null>;
  /**
   * Makes `entries` the BSS's non-own entries; `previous` is what the KMS believes is there (a
   * back-end that can only add and remove uses it to change no more than needed). Rejects on failure.
   */
  setNeighbors?(ifname: string, entries: readonly NeighborDbEntry[], previous: readonly NeighborDbEntry[]): Promise<void>;
  /** Asks a station on one BSS for a Beacon report. Rejects on transport failure. */
  requestBeaconReport?(ifname: string, staMac: string, req: BeaconRequestParams): Promise<BeaconRequestOutcome>;
  /** Sends a BSS Transition Management Request. Rejects when the AP refuses it or cannot be reached. */
  bssTransitionRequest?(ifname: string, req: BssTransitionParams): Promise<void>;
  /** Deauthenticates a station from one BSS. Rejects when the AP refuses it or cannot be reached. */
  disconnect?(ifname: string, req: DisconnectParams): Promise<void>;
  /** Stops events and closes the transport (unless it is shared and someone else owns it). */
  close(): Promise<void>;
}
