// The interfaces key distribution needs from the outside world. adapters/rrb and
// adapters/hostapd implement them; the core never sees sockets, SSH or frame formats.
import type { VlanAssignment } from '../records/station.js';

/** Everything a target AP stores with a PMK-R1 (R0KH-R1KH PUSH/RESP session TLVs). */
export interface PmkR1Entry {
  /** STA MAC (S1KH-ID), canonical aa:bb:… form. */
  staMac: string;
  /** R0KH-ID the AP will look the key up under: the nas_identifier of the AP where the STA authenticated. */
  r0khId: string;
  /** R1KH-ID of the target BSS (its BSSID unless r1_key_holder is set), canonical MAC form. */
  r1khId: string;
  pmkR0Name: Buffer;
  pmkR1: Buffer;
  pmkR1Name: Buffer;
  /** hostapd WPA_CIPHER_* bitmask (CCMP = 0x10). */
  pairwise: number;
  /** Seconds, 1..65535: chosen by the KMS, never truncated. */
  expiresInS: number;
  vlan: VlanAssignment | null;
  identity: string | null;
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

export type PushOutcome =
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

/** The core's answer to a PULL: the PMK-R1 for that R1KH, or null for a NAK. */
export interface PullRequest {
  /** Source MAC of the PULL frame. */
  fromMac: string;
  r0khId: string;
  r1khId: string;
  staMac: string;
  pmkR0Name: Buffer;
}
export type PullHandler = (req: PullRequest) => PmkR1Entry | null;

/** One AP's hostapd control: over SSH (hostapd_cli or ubus), or a local ctrl socket. */
export interface ApControl {
  /** `PMKSA_ADD` on one BSS (interface name). Resolves on OK, rejects with the AP's reply or the transport error. */
  pmksaAdd(ifname: string, req: { staMac: string; pmkid: Buffer; pmk: Buffer; expirationS: number; akmp: number }): Promise<void>;
  /**
   * The station/PMKID pairs in one BSS's PMKSA cache (hostapd's `PMKSA` command), PMKIDs in hex;
   * absent where the channel cannot list them.
   */
  pmksaList?(ifname: string): Promise<{ staMac: string; pmkid: string }[]>;
  /** Raw control command on one BSS; resolves with the reply text. */
  command(ifname: string, cmd: string): Promise<string>;
  /** True while the transport is connected. */
  readonly connected: boolean;
  close(): Promise<void>;
}

export type ApEvent =
  | { type: 'sta-connected'; ifname: string; staMac: string; vlanId?: number; authAlg?: string }
  | { type: 'sta-disconnected'; ifname: string; staMac: string }
  | { type: '4way-completed'; ifname: string; staMac: string }
  /** token is null from OpenWrt's ubus beacon-report, which carries no dialog token. */
  | { type: 'beacon-report'; ifname: string; staMac: string; token: number | null; reportMode: number; body: Buffer }
  | { type: 'transport'; up: boolean; reason?: string };

/**
 * Runs the R0KH-R1KH sequence exchanges with one BSS for one R0KH-ID before any key needs them
 * (hostapd holds a first PUSH, and a roam-time PULL waits, until they are done). Fire and forget:
 * the exchange completes in frames the prober answers itself.
 */
export interface SequenceProber {
  probe(peer: RrbPeer, r0khId: string): void;
}
