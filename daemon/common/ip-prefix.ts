import { isIPv4, isIPv6 } from 'node:net';

// Addresses and network prefixes as RADIUS clients are given (`192.0.2.11`, `10.20.0.0/16`,
// `2001:db8:20::/48`): parsed to octets, spelled canonically, compared. The config schema checks
// them with this and the RADIUS proxy's client table looks senders up with it.

/** An address or prefix, parsed: the network's octets (4 or 16) and the prefix length. */
export interface IpNetwork {
  octets: Uint8Array;
  length: number;
}

/** Why a client address does not parse; undefined when it does. */
export function networkProblem(text: string): string | undefined {
  const parsed = parseNetwork(text);
  return typeof parsed === 'string' ? parsed : undefined;
}

/** `10.20.0.0/16` → its network; a string is the reason it is not one. */
export function parseNetwork(text: string): IpNetwork | string {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const octets = addressOctets(address);
  if (!octets) return 'expected an IPv4 or IPv6 address, or a prefix such as 10.20.0.0/16';
  const bits = octets.length * 8;
  if (slash < 0) return { octets, length: bits };
  const lengthText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lengthText) || Number(lengthText) > bits) return `the prefix length after "/" must be 0 to ${bits}`;
  const length = Number(lengthText);
  const network = masked(octets, length);
  // 10.20.1.5/16 is almost always a typo for one of two different things: say which was read.
  if (!network.every((b, i) => b === octets[i])) {
    return `${text} has bits set past the first ${length}: write the network (${formatOctets(network)}/${length}) or the single address (${address})`;
  }
  return { octets, length };
}

/** The canonical text of a client address: two spellings of one network give the same text. */
export function canonicalNetwork(text: string): string | undefined {
  const n = parseNetwork(text);
  if (typeof n === 'string') return undefined;
  const address = formatOctets(n.octets);
  return n.length === n.octets.length * 8 ? address : `${address}/${n.length}`;
}

/** True if `address` (a plain address) is inside `network` (an address or a prefix). */
export function networkContains(network: string, address: string): boolean {
  const n = parseNetwork(network);
  const a = addressOctets(address);
  if (typeof n === 'string' || !a || a.length !== n.octets.length) return false;
  return masked(a, n.length).every((b, i) => b === n.octets[i]);
}

export function isPrefix(address: string): boolean {
  const n = parseNetwork(address);
  return typeof n !== 'string' && n.length < n.octets.length * 8;
}

export const octetsKey = (octets: Uint8Array): string => Buffer.from(octets.buffer, octets.byteOffset, octets.byteLength).toString('hex');

export function masked(octets: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(octets.length);
  for (let i = 0; i < octets.length; i++) {
    const bits = Math.max(0, Math.min(8, length - i * 8));
    out[i] = octets[i]! & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

/**
 * An address's octets: 4 for IPv4, 16 for IPv6. Node reports IPv4 senders on a dual-stack
 * socket as ::ffff:a.b.c.d, which is the IPv4 client a.b.c.d.
 */
export function addressOctets(address: string): Uint8Array | undefined {
  if (isIPv4(address)) return Uint8Array.from(address.split('.').map(Number));
  if (!isIPv6(address)) return undefined;
  let text = address.toLowerCase();
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  // An embedded IPv4 tail (::ffff:10.0.0.1) is two groups written another way.
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    const v4 = text.slice(lastColon + 1);
    if (!isIPv4(v4)) return undefined;
    const [a, b, c, d] = v4.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const left = parse(halves[0]!);
  const right = halves.length === 2 ? parse(halves[1]!) : [];
  const groups = halves.length === 2 ? [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right] : left;
  if (groups.length !== 8 || groups.some((g) => !(g >= 0 && g <= 0xffff))) return undefined;
  const octets = new Uint8Array(16);
  groups.forEach((g, i) => {
    octets[i * 2] = g >> 8;
    octets[i * 2 + 1] = g & 0xff;
  });
  const mapped = octets.subarray(0, 10).every((b) => b === 0) && octets[10] === 0xff && octets[11] === 0xff;
  return mapped ? octets.slice(12) : octets;
}

function formatOctets(octets: Uint8Array): string {
  if (octets.length === 4) return octets.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((octets[i]! << 8) | octets[i + 1]!).toString(16));
  // RFC 5952: the longest run (of two or more) of zero groups becomes "::".
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j;
  }
  if (best.at < 0) return groups.join(':');
  return `${groups.slice(0, best.at).join(':')}::${groups.slice(best.at + best.len).join(':')}`;
}
