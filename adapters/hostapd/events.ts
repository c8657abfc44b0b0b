// Strict parsers for what hostapd 2.10 prints on its control interface: event lines
// (`<3>AP-STA-CONNECTED …`) and the replies the KMS reads (PMKSA, STA, SHOW_NEIGHBOR).
// Formats: docs/hostapd-interfaces.md, "The hostapd control interface"; checked against real hostapd 2.10.
// Everything here is pure: a malformed line becomes a HostapdParseError with a reason, so a
// confused or hostile AP can never crash the daemon, and events we do not use return null.
import type { ApEvent } from '../../daemon/ports/ap-driver.js';

export type HostapdParseReason =
  | 'too-long' // longer than any line hostapd can produce (its buffers are 4096 octets)
  | 'bad-level' // a '<' prefix that is not `<digit>`
  | 'bad-address' // a MAC that is not aa:bb:cc:dd:ee:ff
  | 'bad-number'
  | 'bad-hex'
  | 'bad-field' // an unexpected, repeated or malformed token or key=value pair
  | 'missing-field'
  | 'bad-line' // a reply line of the wrong shape
  | 'truncated' // the reply was cut short (hostapd's 4096-octet reply buffer)
  | 'failed'; // hostapd answered FAIL / UNKNOWN COMMAND instead of data

export class HostapdParseError extends Error {
  constructor(
    readonly reason: HostapdParseReason,
    detail: string,
  ) {
    super(`${detail} (${reason})`);
    this.name = 'HostapdParseError';
  }
}

const MAX_LINE = 8192;
const MAC_RE = /^[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}$/;
const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;
const UINT_RE = /^\d{1,10}$/;
const KEY_RE = /^[a-z][a-z0-9_]*$/;

/** Printable form of untrusted input for error messages (short, no control characters). */
function show(text: string): string {
  const s = text.length > 80 ? `${text.slice(0, 80)}…` : text;
  return JSON.stringify(s);
}

export function parseMacToken(tok: string | undefined, what = 'address'): string {
  if (tok === undefined) throw new HostapdParseError('missing-field', `no ${what}`);
  if (!MAC_RE.test(tok)) throw new HostapdParseError('bad-address', `${what} ${show(tok)} is not a MAC address`);
  return tok.toLowerCase();
}

function uint(tok: string | undefined, max: number, what: string): number {
  if (tok === undefined) throw new HostapdParseError('missing-field', `no ${what}`);
  if (!UINT_RE.test(tok) || Number(tok) > max) throw new HostapdParseError('bad-number', `${what} ${show(tok)} is not a number 0..${max}`);
  return Number(tok);
}

function hex(tok: string | undefined, what: string, maxBytes: number, exactBytes?: number): Buffer {
  if (tok === undefined) throw new HostapdParseError('missing-field', `no ${what}`);
  if (!HEX_RE.test(tok) || tok.length / 2 > maxBytes || (exactBytes !== undefined && tok.length !== exactBytes * 2)) {
    throw new HostapdParseError('bad-hex', `${what} ${show(tok)} is not ${exactBytes ?? `up to ${maxBytes}`} hex octets`);
  }
  return Buffer.from(tok, 'hex');
}

/** `key=value` tokens after the fixed arguments; unknown keys are kept (newer hostapd adds some). */
function keyValues(tokens: readonly string[], what: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const tok of tokens) {
    const i = tok.indexOf('=');
    const key = i > 0 ? tok.slice(0, i) : '';
    if (!KEY_RE.test(key) || out.has(key)) throw new HostapdParseError('bad-field', `${what}: unexpected token ${show(tok)}`);
    out.set(key, tok.slice(i + 1));
  }
  return out;
}

function noExtra(tokens: readonly string[], n: number, what: string): void {
  if (tokens.length > n) throw new HostapdParseError('bad-field', `${what}: unexpected ${show(tokens.slice(n).join(' '))}`);
}

export interface EventLine {
  /** wpa_msg level (3 = MSG_INFO) or null when the line had no `<n>` prefix. */
  level: number | null;
  name: string;
  args: string[];
}

/** Split `<3>NAME arg arg` (hostapd puts single spaces and sometimes one trailing space). */
export function splitEventLine(raw: string): EventLine {
  if (raw.length > MAX_LINE) throw new HostapdParseError('too-long', `event line of ${raw.length} characters`);
  let line = raw.replace(/[\r\n ]+$/, '');
  let level: number | null = null;
  if (line.startsWith('<')) {
    const m = /^<(\d)>/.exec(line);
    if (!m) throw new HostapdParseError('bad-level', `bad level prefix in ${show(line)}`);
    level = Number(m[1]);
    line = line.slice(3);
  }
  const [name = '', ...args] = line.split(' ');
  return { level, name, args };
}

/**
 * One hostapd event line → ApEvent, or null for events the KMS does not use. `ifname` is the
 * BSS the line came from (a per-BSS ctrl socket does not name itself in its events).
 */
export function parseEvent(raw: string, ifname: string): ApEvent | null {
  const { name, args } = splitEventLine(raw);
  switch (name) {
    case 'AP-STA-CONNECTED': {
      const staMac = parseMacToken(args[0], 'AP-STA-CONNECTED address');
      const kv = keyValues(args.slice(1), name);
      const ev: Extract<ApEvent, { type: 'sta-connected' }> = { type: 'sta-connected', ifname, staMac };
      // OpenWrt's hostapd adds vlanid= and auth_alg=; upstream 2.10 and 2.11 only keyid= (and ip_addr= with P2P);
      // upstream main prints vlanid= too (after dpp_pkhash=), only for a station with a VLAN.
      const vlan = kv.get('vlanid');
      if (vlan !== undefined) ev.vlanId = uint(vlan, 4095, 'vlanid');
      const alg = kv.get('auth_alg');
      if (alg !== undefined) {
        if (!/^[a-z0-9_-]{1,32}$/.test(alg)) throw new HostapdParseError('bad-field', `auth_alg ${show(alg)}`);
        ev.authAlg = alg;
      }
      return ev;
    }
    case 'AP-STA-DISCONNECTED': {
      const staMac = parseMacToken(args[0], `${name} address`);
      keyValues(args.slice(1), name); // P2P builds append p2p_dev_addr=…
      return { type: 'sta-disconnected', ifname, staMac };
    }
    case 'EAPOL-4WAY-HS-COMPLETED': {
      const staMac = parseMacToken(args[0], `${name} address`);
      noExtra(args, 1, name);
      return { type: '4way-completed', ifname, staMac };
    }
    case 'BEACON-RESP-RX': {
      // `<addr> <dialog token, decimal> <report mode, 2 hex digits> <report body hex>`; the body
      // is empty for a refused/incapable report (hostapd then prints a trailing space).
      const staMac = parseMacToken(args[0], `${name} address`);
      const token = uint(args[1], 255, 'dialog token');
      const mode = hex(args[2], 'report mode', 1, 1)[0]!;
      const body = args.length > 3 ? hex(args[3], 'beacon report', 255) : Buffer.alloc(0);
      noExtra(args, 4, name);
      return { type: 'beacon-report', ifname, staMac, token, reportMode: mode, body };
    }
    default:
      return null;
  }
}

/** Result form of parseEvent, for callers that count failures instead of catching. */
export function tryParseEvent(raw: string, ifname: string): { ok: true; event: ApEvent | null } | { ok: false; error: HostapdParseError } {
  try {
    return { ok: true, event: parseEvent(raw, ifname) };
  } catch (err) {
    if (err instanceof HostapdParseError) return { ok: false, error: err };
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Replies
// ---------------------------------------------------------------------------------------------

function replyLines(text: string, what: string): string[] {
  if (text.length > MAX_LINE) throw new HostapdParseError('too-long', `${what} reply of ${text.length} characters`);
  const t = text.trim();
  if (t === 'FAIL' || t.startsWith('UNKNOWN COMMAND')) throw new HostapdParseError('failed', `${what}: hostapd answered ${show(t)}`);
  if (text === '') return [];
  // hostapd stops writing when its 4096-octet buffer is full, possibly mid-line.
  if (!text.endsWith('\n')) throw new HostapdParseError('truncated', `${what} reply does not end with a newline`);
  return text.slice(0, -1).split('\n');
}

export interface PmksaEntry {
  index: number;
  spa: string;
  pmkid: Buffer;
  /** Seconds left (negative if hostapd has not expired it yet). */
  expiresInS: number;
  opportunistic: boolean;
}

export const PMKSA_HEADER = 'Index / SPA / PMKID / expiration (in seconds) / opportunistic';
const PMKSA_ROW = /^(\d{1,6}) (\S+) (\S+) (-?\d{1,10}) ([01])$/;

/** `PMKSA` reply. Empty means "no WPA authenticator" (e.g. a wired, 802.1X-only BSS). */
export function parsePmksaList(text: string): PmksaEntry[] {
  const lines = replyLines(text, 'PMKSA');
  if (lines.length === 0) return [];
  if (lines[0] !== PMKSA_HEADER) throw new HostapdParseError('bad-line', `PMKSA header ${show(lines[0]!)}`);
  return lines.slice(1).map((line) => {
    const m = PMKSA_ROW.exec(line);
    if (!m) throw new HostapdParseError('bad-line', `PMKSA row ${show(line)}`);
    return {
      index: Number(m[1]),
      spa: parseMacToken(m[2], 'PMKSA SPA'),
      pmkid: hex(m[3], 'PMKID', 16, 16),
      expiresInS: Number(m[4]),
      opportunistic: m[5] === '1',
    };
  });
}

export interface StaInfo {
  addr: string;
  /** From `flags=[AUTH][ASSOC][AUTHORIZED]…`, without brackets. */
  flags: string[];
  /** Every other key=value line, verbatim (a Map: keys come from the AP). */
  fields: Map<string, string>;
}

/** `STA <addr>` / `STA-FIRST` / `STA-NEXT` reply; null when there is no (further) station. */
export function parseStaReply(text: string): StaInfo | null {
  const lines = replyLines(text, 'STA');
  if (lines.length === 0) return null;
  const addr = parseMacToken(lines[0], 'STA address');
  const fields = new Map<string, string>();
  let flags: string[] = [];
  for (const line of lines.slice(1)) {
    const i = line.indexOf('=');
    const key = i > 0 ? line.slice(0, i) : '';
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(key) || fields.has(key)) throw new HostapdParseError('bad-line', `STA line ${show(line)}`);
    const value = line.slice(i + 1);
    if (key === 'flags') {
      if (!/^(?:\[[A-Z0-9_]+\])*$/.test(value)) throw new HostapdParseError('bad-field', `STA flags ${show(value)}`);
      flags = value === '' ? [] : value.slice(1, -1).split('][');
    }
    fields.set(key, value);
  }
  return { addr, flags, fields };
}

export interface NeighborEntry {
  bssid: string;
  ssid: Buffer;
  /** Neighbor Report element body (no EID/length), or null if hostapd holds none. */
  nr: Buffer | null;
  lci: Buffer | null;
  civic: Buffer | null;
  stationary: boolean;
}

/** `SHOW_NEIGHBOR` reply: `<bssid> ssid=<hex>[ nr=<hex>][ lci=<hex>][ civic=<hex>][ stat]` per line. */
export function parseNeighborList(text: string): NeighborEntry[] {
  return replyLines(text, 'SHOW_NEIGHBOR').map((line) => {
    const [b, ...rest] = line.split(' ');
    const bssid = parseMacToken(b, 'neighbor BSSID');
    const stationary = rest[rest.length - 1] === 'stat';
    const kv = keyValues(stationary ? rest.slice(0, -1) : rest, 'SHOW_NEIGHBOR');
    for (const key of kv.keys()) {
      if (!['ssid', 'nr', 'lci', 'civic'].includes(key)) throw new HostapdParseError('bad-field', `SHOW_NEIGHBOR key ${show(key)}`);
    }
    const opt = (key: string): Buffer | null => (kv.has(key) ? hex(kv.get(key), key, 255) : null);
    return { bssid, ssid: hex(kv.get('ssid'), 'ssid', 32), nr: opt('nr'), lci: opt('lci'), civic: opt('civic'), stationary };
  });
}
