// The APs allowed to use the KMS as their RADIUS server, looked up by source address.

export interface RadiusClient {
  name: string;
  address: string;
  secret: Buffer;
}

export class ClientTable {
  private readonly byAddress = new Map<string, RadiusClient>();

  constructor(clients: RadiusClient[]) {
    for (const c of clients) this.byAddress.set(canonicalAddress(c.address), c);
  }

  lookup(address: string): RadiusClient | undefined {
    return this.byAddress.get(canonicalAddress(address));
  }
}

/** Node reports IPv4 senders on a dual-stack socket as ::ffff:a.b.c.d. */
function canonicalAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address.toLowerCase();
}
