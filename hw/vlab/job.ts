// What the host hands the guest (job.json) and what the guest hands back (guest-result.json), both
// through the writable 9p share. Timestamps are the guest's wall clock in ms, the same clock that
// stamps the pcap and the daemons' logs, so they can be compared with each other.
import type { Scenario } from './scenario.js';

export interface Job {
  scenario: Scenario;
  /** Host path of the built image folder (certs/ and ssh/ are read from there). */
  imageDir: string;
  /** Multiplies every timeout; 1 is already sized for a machine 4x slower than a quiet one. */
  timeScale: number;
  /** Log `top` every few seconds in the guest (env LAB_TOP=1): where the emulated CPU went. */
  top?: boolean;
  /** Absolute host folder with hostapd, hostapd_cli, wpa_supplicant and wpa_cli to use instead of Debian's (--hostap-bin). */
  hostapBin?: string;
}

export interface StepRecord {
  index: number;
  description: string;
  ok: boolean;
  startedAt: number;
  endedAt: number;
  error?: string;
  /** Guest log lines that explain a failure, grouped by log name. */
  evidence?: Record<string, string[]>;
}

/** A roam the runner asked for, with what wpa_supplicant said about it. */
export interface RoamRecord {
  station: string;
  stationMac: string;
  from: string;
  fromBssid: string;
  to: string;
  toBssid: string;
  /** reconnect: the station's own login after an AP disconnected it (the rejoin step). */
  via: 'wpa_cli' | 'bss-tm' | 'reconnect';
  requestedAt: number;
  /** Timestamps from wpa_supplicant's log: first "Trying to authenticate" and CTRL-EVENT-CONNECTED. */
  authStartAt?: number;
  connectedAt?: number;
}

/** An AP throwing a station out (the expect-disconnect step), timed from the frames and hostapd's events. */
export interface DisconnectRecord {
  station: string;
  ap: string;
  /** How the station had got in: 'roam', 'join', or 'login <method>' (a rejoin with a key left behind). */
  how: string;
  /** What the time is measured from: the (Re)Association Response that let the station in, or kmsd's `station revoked` line. */
  since: 'admission' | 'revoke';
  /** The successful (Re)Association Response that let the station in, and the AP's Deauthentication/Disassociation. */
  admittedAt: number;
  revokedAt?: number;
  disconnectedAt: number;
  frame: 'deauth' | 'disassoc';
  reason?: number;
  /** disconnectedAt − admittedAt (or − revokedAt): capture time, kmsd's log on the same clock. */
  captureMs: number;
  /** AP-STA-CONNECTED → AP-STA-DISCONNECTED in the AP's log (since: admission). */
  eventsMs: number | null;
  withinMs: number;
}

export interface GuestResult {
  ok: boolean;
  startedAt: number;
  endedAt: number;
  topologyMs?: number;
  /** First line of `hostapd -v` in the guest, e.g. "hostapd v2.11" (which build ran). */
  hostapdVersion?: string;
  steps: StepRecord[];
  roams: RoamRecord[];
  /** expect-disconnect steps that saw their disconnect (older results have none). */
  disconnects?: DisconnectRecord[];
  /** node name → MAC (BSSID for APs, station address for stations). */
  macs: Record<string, string>;
  /** Log files written to the results folder, by node name. */
  logs: Record<string, string>;
  capture?: string;
  /** R0KH-R1KH frames on the DS bridge (Ethernet pcap), when the KMS ran. */
  dsCapture?: string;
}
