// MAC addresses travel through RADIUS as "AA-BB-CC-DD-EE-FF", through hostapd as
// "aa:bb:cc:dd:ee:ff" and through key derivations as 6 raw octets. The KMS keeps one
// canonical text form (lower-case, colons) so a station is the same key everywhere.

const MAC_RE =
  /^([0-9a-fA-F]{2})[:-]?([0-9a-fA-F]{2})[:-]?([0-9a-fA-F]{2})[:-]?([0-9a-fA-F]{2})[:-]?([0-9a-fA-F]{2})[:-]?([0-9a-fA-F]{2})$/;

const CANONICAL_RE = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/;

/** Canonical form of a MAC written with ':' or '-' separators or none; null if it is not one. */
export function normalizeMac(text: string): string | null {
  // Nearly every MAC inside the KMS is already canonical: answer those without rebuilding them.
  if (text.length === 17) {
    if (CANONICAL_RE.test(text)) return text;
    const fast = separated17(text);
    if (fast !== null) return fast;
  }
  const m = MAC_RE.exec(text.trim());
  if (!m) return null;
  // Mixed separators ("aa:bb-cc...") are accepted by the regex; insist on one style.
  const seps = text.trim().replace(/[0-9a-fA-F]/g, '');
  if (seps.length !== 0 && seps.length !== 5) return null;
  if (seps.length === 5 && new Set(seps).size !== 1) return null;
  return m.slice(1).join(':').toLowerCase();
}

/** "AA-BB-CC-DD-EE-FF" (RADIUS's form, on every request) without regular expressions; null if not that shape. */
function separated17(text: string): string | null {
  const sep = text.charCodeAt(2);
  if (sep !== 0x2d && sep !== 0x3a) return null;
  for (let i = 0; i < 17; i++) {
    const c = text.charCodeAt(i);
    if (i % 3 === 2) {
      if (c !== sep) return null;
    } else if (!((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66))) {
      return null;
    }
  }
  return (sep === 0x3a ? text : text.replaceAll('-', ':')).toLowerCase();
}

/** Canonical form, or an Error naming what was given. */
export function parseMac(text: string, what = 'MAC address'): string {
  const mac = normalizeMac(text);
  if (mac === null) throw new Error(`${what} "${text}" is not a MAC address (expected aa:bb:cc:dd:ee:ff)`);
  return mac;
}

/** The 6 octets of a MAC in any form normalizeMac takes; an Error naming it if it is not one. */
export function macToBytes(mac: string): Buffer {
  const out = Buffer.allocUnsafe(6);
  writeMac(mac, out, 0);
  return out;
}

/** Writes the 6 octets of `mac` into `b` at `offset` (a frame or element being built). */
export function writeMac(mac: string, b: Uint8Array, offset: number): void {
  const c = parseMac(mac);
  if (offset < 0 || offset + 6 > b.length) throw new RangeError(`no room for a MAC at offset ${offset} of ${b.length} octets`);
  for (let i = 0; i < 6; i++) b[offset + i] = parseInt(c.slice(i * 3, i * 3 + 2), 16);
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * Canonical text of the 6 octets at `offset`: the decoders of captures call it for every address
 * of every frame, so it only indexes a table. The caller has checked the length.
 */
export function macAt(b: Uint8Array, offset: number): string {
  const o = offset;
  return `${HEX[b[o]!]}:${HEX[b[o + 1]!]}:${HEX[b[o + 2]!]}:${HEX[b[o + 3]!]}:${HEX[b[o + 4]!]}:${HEX[b[o + 5]!]}`;
}

export function bytesToMac(bytes: Uint8Array): string {
  if (bytes.length !== 6) throw new Error(`a MAC address is 6 octets, got ${bytes.length}`);
  return macAt(bytes, 0);
}

/**
 * True for group (multicast or broadcast) addresses: the I/G bit of the first octet. Takes the
 * canonical text form; hostapd drops R0KH-R1KH frames from one, and no station has one.
 */
export function isGroupMac(mac: string): boolean {
  return (parseInt(mac.slice(0, 2), 16) & 1) === 1;
}
