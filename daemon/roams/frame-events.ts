// The decoded-frame events the roam tracker consumes. The core defines them so that it never imports
// an adapter: adapters/pcap turns captured frames into these, and a later source (an AP's own frame
// log, a test) can produce them too. Only what roam tracking needs is here; the full decoded frame
// stays in the adapter.

/** Lower-case "aa:bb:cc:dd:ee:ff". */
export type Mac = string;

export type KeyMessage = 'M1' | 'M2' | 'M3' | 'M4' | 'G1' | 'G2' | 'request' | 'unknown';

export interface FrameEventBase {
  /** Capture time, ms since the Unix epoch. */
  ts: number;
  /** Transmitter (addr2) and receiver (addr1). */
  src: Mac;
  dst: Mac;
  /** BSSID from the header (addr3 for management frames; from ToDS/FromDS for data). */
  bssid: Mac | undefined;
  /** 802.11 Retry bit: this transmission repeats an earlier one with the same sequence control. */
  retry: boolean;
  /** 802.11 Sequence Control (sequence number << 4 | fragment); -1 if the frame has none. */
  seqCtl: number;
  signalDbm?: number;
  freqMhz?: number;
}

export type FrameEvent = FrameEventBase &
  (
    | { kind: 'auth'; algorithm: number; transaction: number; status: number }
    | {
        kind: 'assoc-req';
        reassoc: boolean;
        /** Reassociation Request: the AP the station says it is leaving. */
        currentAp?: Mac;
        /** false: no RSN element (an open network). */
        rsn: boolean;
        akms: number[];
        pmkids: string[];
        /** Fast BSS Transition element present (FT reassociation). */
        ft: boolean;
      }
    | { kind: 'assoc-resp'; reassoc: boolean; status: number }
    | { kind: 'deauth' | 'disassoc'; reason: number }
    /** FT over the DS (category 6): 1 request, 2 response, 3 confirm, 4 ack; sent via the current AP. */
    | { kind: 'ft-action'; action: number; sta: Mac; targetAp: Mac; status?: number }
    /** WNM BSS Transition Management: 6 query, 7 request, 8 response. */
    | { kind: 'btm'; action: number; token: number; status?: number; target?: Mac }
    | { kind: 'eapol'; eapolType: number; eapCode?: number; eapType?: number; keyMessage?: KeyMessage }
    /** Any other data frame that carries a payload (protected or not): used for the data gap. */
    | { kind: 'data' }
  );

export type FrameEventKind = FrameEvent['kind'];

/** AKM suite selectors (00-0F-AC:n) the classifier cares about. */
export const AKM = {
  IEEE8021X: 0x000fac01,
  PSK: 0x000fac02,
  FT_IEEE8021X: 0x000fac03,
  FT_PSK: 0x000fac04,
  IEEE8021X_SHA256: 0x000fac05,
  PSK_SHA256: 0x000fac06,
  SAE: 0x000fac08,
  FT_SAE: 0x000fac09,
  FT_IEEE8021X_SHA384: 0x000fac0d,
} as const;
