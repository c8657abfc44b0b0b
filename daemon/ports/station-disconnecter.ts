// The port through which the core asks an AP to drop one station: a Disconnect-Request (RFC 5176)
// from the KMS to that AP's DAS, answered by ACK or NAK. hostapd's DAS deauthenticates the
// station and removes its PMKSA cache entries, which no other interface does for one station;
// it cannot remove FT keys (docs/revocation.md). The adapter: adapters/radius/das-disconnecter.ts.

/** An AP (or one of its BSSes) as the core knows it: by name and BSSID, or by where its RADIUS comes from. */
export interface DisconnectPlace {
  /** The distribution.aps entry, when known. */
  ap: string | null;
  bssid: string | null;
  /** The source address of the AP's RADIUS packets, when known (a station's record has it). */
  clientAddress: string | null;
}

export type DisconnectResult =
  | { result: 'ack' }
  /** The DAS refused, with its Error-Cause (e.g. Session-Context-Not-Found: nothing for that MAC there). */
  | { result: 'nak'; errorCause: string }
  | { result: 'timeout' }
  /** No DAS is configured for that AP (radius.clients[].das). */
  | { result: 'no-das' };

export interface StationDisconnecter {
  disconnect(staMac: string, at: DisconnectPlace): Promise<DisconnectResult>;
}
