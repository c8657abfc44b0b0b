// The station record: everything the KMS knows about one authenticated station, minus its keys.
// Keys live apart (StationKeys) so that nothing that lists, logs or serves records can leak them.

export interface VlanAssignment {
  untagged: number | null;
  tagged: number[];
}

/** An AP as RADIUS shows it: BSSID from Called-Station-Id, R0KH-ID from NAS-Identifier. */
export interface ApRef {
  bssid: string | null;
  nasIdentifier: string | null;
  /** Source address of the AP's RADIUS packets. */
  clientAddress: string;
}

export type SessionState = 'authenticated' | 'active' | 'ended';

/**
 * Where a station is, or was last: the one place the KMS keeps it (daemon/stations/station-life.ts
 * writes it from accounting, AP events and captured roams alike).
 */
export interface ApStay extends ApRef {
  /** When the station was first seen there. */
  since: number;
  /** When it was seen leaving (AP-STA-DISCONNECTED, Accounting-Stop); absent while it is there. */
  leftAt?: number;
}

export interface MachineAuthState {
  /** True when a machine (host/…) authentication for this MAC succeeded within the window. */
  authenticated: boolean;
  identity: string | null;
  at: number | null;
}

export interface StationRecord {
  staMac: string;
  /** Where the station completed 802.1X. */
  ap: ApRef;
  /**
   * Where the station is: set by accounting, AP events or a roam seen in a capture, whichever says
   * so first; null until one of them places it.
   */
  currentAp: ApStay | null;
  ssid: string | null;
  /** Mobility domain, 4 hex digits as in hostapd's mobility_domain. */
  mdid: string | null;
  /** AKM suite selector (0x000FACnn) from WLAN-AKM-Suite. */
  akm: number | null;
  pairwiseCipher: number | null;
  identity: string | null;
  cui: string | null;
  /** RADIUS Class attributes, hex, in order. */
  classes: string[];
  vlan: VlanAssignment | null;
  role: { filterId: string | null; arubaUserRole: string | null };
  machineAuth: MachineAuthState;
  sessionTimeout: number | null;
  acctSessionId: string | null;
  session: SessionState;
  /** Non-secret key names, kept here so the API can show them without touching keys. */
  pmkR0Name: string | null;
  hasPmk: boolean;
  authenticatedAt: number;
  updatedAt: number;
  expiresAt: number;
  /** Set by StationLife.revoke: the KMS withdrew this authentication (why, and when). */
  revoked?: { at: number; reason: string };
}

/** Secret material. Never logged, never served; encrypted at rest by the store. */
export interface StationKeys {
  /** PMK for PMKSA caching/OKC (MSK[0..31], or [0..47] for SHA-384 AKMs). */
  pmk: Buffer | null;
  /** FT-EAP: MSK[32..63] is what hostapd caches as the PMKSA for FT stations. */
  mpmk: Buffer | null;
  pmkR0: Buffer | null;
  pmkR0Name: Buffer | null;
}

export interface MachineAuthRecord {
  staMac: string;
  identity: string;
  at: number;
}
