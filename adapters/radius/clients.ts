import { addressOctets, masked, octetsKey, parseNetwork } from '../../daemon/common/ip-prefix.js';

// The APs allowed to use the KMS as their RADIUS server, looked up by source address. A client
// is one address (`192.0.2.11`) or a network prefix (`10.20.0.0/16`, `2001:db8:20::/48`) whose
// every address shares one secret, as FreeRADIUS allows. The lookup, as FreeRADIUS does it too:
// a client given by its exact address wins over any prefix that contains it; among prefixes
// (which may overlap) the longest one containing the address wins. A /32 (IPv4) or /128 (IPv6)
// is an exact address.

export interface RadiusClient {
  name: string;
  /** An address, or a prefix as `address/length`. */
  address: string;
  secret: Buffer;
}

export class ClientTable {
  private readonly exact = new Map<string, RadiusClient>();
  /** Per family, prefix length → network key → client; lengths kept longest first. */
  private readonly prefixes: { v4: Map<number, Map<string, RadiusClient>>; v6: Map<number, Map<string, RadiusClient>> } = {
    v4: new Map(),
    v6: new Map(),
  };
  private readonly lengths: { v4: number[]; v6: number[] } = { v4: [], v6: [] };

  constructor(clients: RadiusClient[]) {
    for (const c of clients) {
      const n = parseNetwork(c.address);
      // The config schema refused these already; a table built elsewhere must not guess either.
      if (typeof n === 'string') throw new Error(`radius client ${c.name}: ${n}`);
      const family = n.octets.length === 4 ? 'v4' : 'v6';
      if (n.length === n.octets.length * 8) {
        this.exact.set(octetsKey(n.octets), c);
        continue;
      }
      let byNetwork = this.prefixes[family].get(n.length);
      if (!byNetwork) this.prefixes[family].set(n.length, (byNetwork = new Map()));
      byNetwork.set(octetsKey(n.octets), c);
    }
    for (const family of ['v4', 'v6'] as const) this.lengths[family] = [...this.prefixes[family].keys()].sort((a, b) => b - a);
  }

  lookup(address: string): RadiusClient | undefined {
    const octets = addressOctets(address);
    if (!octets) return undefined;
    const exact = this.exact.get(octetsKey(octets));
    if (exact) return exact;
    const family = octets.length === 4 ? 'v4' : 'v6';
    for (const length of this.lengths[family]) {
      const c = this.prefixes[family].get(length)!.get(octetsKey(masked(octets, length)));
      if (c) return c;
    }
    return undefined;
  }
}
