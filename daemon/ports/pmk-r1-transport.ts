// Port: the R0KH-R1KH protocol (ethertype 0x88B7) as key distribution needs it. adapters/rrb
// implements it on the R0KH-R1KH thread; the core never sees sockets or frame formats.
import type { VlanAssignment } from '../records/station.js';

/** Everything a target AP stores with a PMK-R1 (R0KH-R1KH PUSH/RESP session TLVs). */
export interface PmkR1Entry {
  /** STA MAC (S1KH-ID), canonical aa:bb:… form. */
  staMac: string;
  /** R0KH-ID the AP will look the key up under: the nas_identifier of the AP where the STA authenticated. */
  r0khId: string;
  /** R1KH-ID of the target BSS (its BSSID unless r1_key_holder is set), canonical MAC form. */
  r1khId: string;
  /** PMKR0Name (16 octets): names the PMK-R0 the PMK-R1 was derived from. */
  pmkR0Name: Buffer;
  /** The PMK-R1 itself (32 or 48 octets). Secret: never logged. */
  pmkR1: Buffer;
  /** PMKR1Name (16 octets): how the AP and the station name this key. */
  pmkR1Name: Buffer;
  /** hostapd WPA_CIPHER_* bitmask (CCMP = 0x10). */
  pairwise: number;
  /** Seconds, 1..65535: chosen by the KMS, never truncated. */
  expiresInS: number;
  /** The VLAN the station was authorized into, for hostapd's VLAN TLVs; null for none. */
  vlan: VlanAssignment | null;
  /** The station's RADIUS identity (User-Name), handed on to the target AP's accounting. */
  identity: string | null;
  /** Chargeable-User-Identity, handed on like identity. */
  cui: string | null;
  /** Seconds, 0 = none. */
  sessionTimeoutS: number;
}

/** A target BSS for a PUSH: whom to send the frame to and with which key. */
export interface RrbPeer {
  /** Destination MAC of the frame: the BSS's MAC on its ft_iface segment. */
  mac: string;
  /** R1KH-ID the AP expects in the frame. */
  r1khId: string;
  /** The 256-bit key of the AP's `r0kh` line for the KMS (shared with that AP only). */
  key: Buffer;
}

/** What became of one PUSH. */
export type PushOutcome =
  /** The frame went out (hostapd acknowledges a PUSH with nothing). */
  | { ok: true }
  /** Not delivered: the AP did not complete the sequence exchange, the link is down, … */
  | { ok: false; reason: string };

/** Sends PMK-R1s over the R0KH-R1KH protocol (ethertype 0x88B7). */
export interface PmkR1Pusher {
  /**
   * Resolves ok once the frame has been sent (hostapd holds a PUSH from an unknown sender until
   * its SEQ_REQ is answered; the pusher answers SEQ_REQs itself). Never rejects.
   */
  push(peer: RrbPeer, entry: PmkR1Entry): Promise<PushOutcome>;
}

/** A PULL the R0KH-R1KH endpoint received: what the AP asks the KMS for. */
export interface PullRequest {
  /** Source MAC of the PULL frame. */
  fromMac: string;
  /** R0KH-ID the AP asks under (the nas_identifier of the AP where the station authenticated). */
  r0khId: string;
  /** R1KH-ID of the asking BSS. */
  r1khId: string;
  /** Station MAC (S1KH-ID), canonical form. */
  staMac: string;
  /** PMKR0Name the station presented in its FT authentication. */
  pmkR0Name: Buffer;
}
/** Answers one PULL: the PMK-R1 for the asking R1KH, or null for a NAK. */
export type PullHandler = (req: PullRequest) => PmkR1Entry | null;

/**
 * Runs the R0KH-R1KH sequence exchanges with one BSS for one R0KH-ID before any key needs them
 * (hostapd holds a first PUSH, and a roam-time PULL waits, until they are done). Fire and forget:
 * the exchange completes in frames the prober answers itself.
 */
export interface SequenceProber {
  /** Starts the exchange with `peer` for `r0khId`; returns at once, failures are the prober's to retry. */
  probe(peer: RrbPeer, r0khId: string): void;
}
