// ApControl for OpenWrt through hostapd's ubus object `hostapd.<ifname>` (docs/hostapd-interfaces.md,
// "OpenWrt"), over the AP's SSH transport: `ubus call hostapd.<ifname> <method> '<json>'` and `ubus subscribe`.
//
// NOT TESTED AGAINST OPENWRT: no OpenWrt system was available. The integration test runs this
// against a stand-in `ubus` shell script (first in PATH on a real Dropbear server) that replays
// output in the format of ubus's cli.c and hostapd's ubus.c: `ubus call` prints indented JSON
// (nothing for methods without a reply) and exits non-zero with "Command failed: …" on stderr;
// `ubus subscribe` prints one line per notification, `{ "<type>": {…} }`.
//
// Gaps of the ubus API that shape this class:
// - there is no PMKSA method, so pmksaAdd() runs `hostapd_cli … raw PMKSA_ADD` (hostapd-utils
//   must be installed on the AP, and OpenWrt's default `auth_cache 0` makes it FAIL);
// - no notification for EAPOL-4WAY-HS-COMPLETED exists;
// - `beacon-report` carries no dialog token in OpenWrt 22.03–24.10 (token is then -1 here), only
//   the fixed Beacon report fields, and squeezes parent-tsf into 16 bits. The body handed on is
//   rebuilt from those fields (26 octets, laid out as docs/hostapd-interfaces.md "Beacon report"
//   shows), or taken from `report` (base64) when a newer hostapd sends it.
import { EventEmitter } from 'node:events';
import type { ApControl, ApEvent } from '../../daemon/distribution/ports.js';
import { normalizeMac } from '../../daemon/common/mac.js';
import { HostapdParseError, parseMacToken } from './events.js';
import { HostapdControl, checkIfname, type PmksaAddRequest } from './hostapd-control.js';
import { shellQuote, type SshTransport, type StreamHandle } from './ssh-transport.js';

export interface UbusControlOptions {
  transport: SshTransport;
  /** For PMKSA_ADD through hostapd_cli (default /var/run/hostapd). */
  ctrlDir?: string;
  hostapdCli?: string;
  ubus?: string;
  timeoutMs?: number;
  /** close() leaves the transport open (it is shared with another control). Default: close() closes it. */
  keepTransportOpen?: boolean;
}

/** `ubus` exited non-zero: `status` is the UBUS_STATUS_* code when it can be told. */
export class UbusError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly status: number | null,
  ) {
    super(message);
    this.name = 'UbusError';
  }
}

export interface UbusClient {
  authorized: boolean;
  /** RM Enabled Capabilities, 5 octets, when hostapd reports them. */
  rrm: number[] | null;
  raw: Record<string, unknown>;
}

export interface BeaconRequest {
  addr: string;
  /** 0 passive, 1 active, 2 beacon table. */
  mode: number;
  op_class: number;
  channel: number;
  duration: number;
  bssid?: string;
  ssid?: string;
}

export interface BssTransitionRequest {
  addr: string;
  /** Neighbor Report element bodies, hex. */
  neighbors: string[];
  disassociation_imminent?: boolean;
  disassociation_timer?: number;
  validity_period?: number;
  abridged?: boolean;
  dialog_token?: number;
  mbo_reason?: number;
  cell_pref?: number;
  reassoc_delay?: number;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function macField(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new HostapdParseError('bad-address', `${what} is not a string`);
  return parseMacToken(v, what);
}

function intField(o: Record<string, unknown>, key: string, max: number): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw new HostapdParseError('bad-number', `${key}: ${JSON.stringify(v)?.slice(0, 40)}`);
  return v;
}

/** The 26-octet Beacon report body (docs/hostapd-interfaces.md, "Beacon report") from a ubus `beacon-report`'s fields. */
function beaconBody(o: Record<string, unknown>): Buffer {
  if (typeof o.report === 'string') {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(o.report) || o.report.length > 400) throw new HostapdParseError('bad-hex', 'report is not base64');
    return Buffer.from(o.report, 'base64');
  }
  const b = Buffer.alloc(26);
  b[0] = intField(o, 'op-class', 255);
  b[1] = intField(o, 'channel', 255);
  // JSON numbers above 2^53 lose precision (a TSF that large is 285 years of uptime).
  b.writeBigUInt64LE(BigInt(intField(o, 'start-time', 2 ** 64 - 2048)), 2);
  b.writeUInt16LE(intField(o, 'duration', 0xffff), 10);
  b[12] = intField(o, 'report-info', 255);
  b[13] = intField(o, 'rcpi', 255);
  b[14] = intField(o, 'rsni', 255);
  Buffer.from(macField(o.bssid, 'bssid').replace(/:/g, ''), 'hex').copy(b, 15);
  b[21] = intField(o, 'antenna-id' in o ? 'antenna-id' : 'atenna-id', 255); // the 2019 patch spelled it "atenna-id"
  b.writeUInt32LE(intField(o, 'parent-tsf', 0xffffffff), 22);
  return b;
}

/** One `ubus subscribe hostapd.<ifname>` line → ApEvent, or null for notifications the KMS does not use. */
export function parseUbusEvent(line: string, ifname: string): ApEvent | null {
  if (line.length > 65536) throw new HostapdParseError('too-long', `ubus line of ${line.length} characters`);
  let msg: unknown;
  try {
    msg = JSON.parse(line);
  } catch {
    throw new HostapdParseError('bad-line', `ubus line is not JSON: ${JSON.stringify(line.slice(0, 60))}`);
  }
  const keys = isObj(msg) ? Object.keys(msg) : [];
  if (!isObj(msg) || keys.length !== 1 || !isObj(msg[keys[0]!])) throw new HostapdParseError('bad-line', 'expected { "<type>": {…} }');
  const type = keys[0]!;
  const o = msg[type] as Record<string, unknown>;
  switch (type) {
    case 'sta-authorized': {
      const ev: Extract<ApEvent, { type: 'sta-connected' }> = { type: 'sta-connected', ifname, staMac: macField(o.address, 'address') };
      if (o.vlan !== undefined) ev.vlanId = intField(o, 'vlan', 4095);
      if (o['auth-alg'] !== undefined) {
        if (typeof o['auth-alg'] !== 'string' || !/^[a-z0-9_-]{1,32}$/.test(o['auth-alg'])) throw new HostapdParseError('bad-field', 'auth-alg');
        ev.authAlg = o['auth-alg'];
      }
      return ev;
    }
    case 'disassoc':
    case 'deauth':
    case 'local-deauth':
    case 'inactive-deauth':
      return { type: 'sta-disconnected', ifname, staMac: macField(o.address, 'address') };
    case 'beacon-report':
      return {
        type: 'beacon-report', ifname, staMac: macField(o.address, 'address'),
        token: o.token === undefined ? null : intField(o, 'token', 255),
        reportMode: o['rep-mode'] === undefined ? 0 : intField(o, 'rep-mode', 255),
        body: beaconBody(o),
      };
    default:
      return null;
  }
}

/** Events: `event` (ApEvent), `parse-error` (HostapdParseError, ifname, line), `status` (ifname, ubus's stderr line). */
export class UbusControl extends EventEmitter implements ApControl {
  private readonly cli: HostapdControl;
  private readonly streams: StreamHandle[] = [];
  private readonly forward = (ev: ApEvent): void => this.safeEmit('event', ev);

  /** close() also closes the transport unless `keepTransportOpen`. */
  constructor(private readonly o: UbusControlOptions) {
    super();
    this.cli = HostapdControl.overSsh({ transport: o.transport, ctrlDir: o.ctrlDir, hostapdCli: o.hostapdCli, timeoutMs: o.timeoutMs, keepTransportOpen: true });
    o.transport.on('transport', this.forward);
  }

  get connected(): boolean {
    return this.o.transport.connected;
  }

  /** ubus has no PMKSA method: this goes through `hostapd_cli raw PMKSA_ADD`. */
  pmksaAdd(ifname: string, req: PmksaAddRequest): Promise<void> {
    return this.cli.pmksaAdd(ifname, req);
  }

  /** Also through hostapd_cli: ubus has no PMKSA listing either. */
  pmksaList(ifname: string): Promise<{ staMac: string; pmkid: string }[]> {
    return this.cli.pmksaList(ifname);
  }

  /** `cmd` is `<method>[ <json>]`; resolves with ubus's stdout (indented JSON, or '' for no reply). */
  async command(ifname: string, cmd: string): Promise<string> {
    const m = /^([a-z][a-z0-9_]*)(?:\s+(.+))?$/s.exec(cmd.trim());
    if (!m) throw new Error(`ubus command must be "<method> [<json>]", got ${JSON.stringify(cmd.slice(0, 40))}`);
    return this.ubusCall(ifname, m[1]!, m[2] === undefined ? undefined : JSON.parse(m[2]));
  }

  /** `ubus call`, parsed: an object, or null for a method that returns nothing. */
  async call(ifname: string, method: string, args?: Record<string, unknown>): Promise<Record<string, unknown> | null> {
    const out = (await this.ubusCall(ifname, method, args)).trim();
    if (out === '') return null;
    const v: unknown = JSON.parse(out);
    if (!isObj(v)) throw new HostapdParseError('bad-line', `ubus ${method} did not return an object`);
    return v;
  }

  /** Replace the neighbour list (own entry excluded): `[bssid, ssid, nr hex]` each. */
  async rrmNrSet(ifname: string, list: ReadonlyArray<readonly [string, string, string]>): Promise<void> {
    await this.call(ifname, 'rrm_nr_set', { list: list.map(([b, s, nr]) => [b === '' ? '' : this.mac(b), s, this.hex(nr)]) });
  }

  /** Asks for a beacon report; the result arrives as a `beacon-report` event (without token). */
  async rrmBeaconReq(ifname: string, req: BeaconRequest): Promise<void> {
    await this.call(ifname, 'rrm_beacon_req', { ...req, addr: this.mac(req.addr), ...(req.bssid ? { bssid: this.mac(req.bssid) } : {}) });
  }

  async bssTransitionRequest(ifname: string, req: BssTransitionRequest): Promise<void> {
    await this.call(ifname, 'bss_transition_request', { ...req, addr: this.mac(req.addr), neighbors: req.neighbors.map((n) => this.hex(n)) });
  }

  async getClients(ifname: string): Promise<{ freq: number | null; clients: Map<string, UbusClient> }> {
    const r = await this.call(ifname, 'get_clients');
    if (!r || !isObj(r.clients)) throw new HostapdParseError('missing-field', 'get_clients: no clients object');
    const clients = new Map<string, UbusClient>();
    for (const [addr, c] of Object.entries(r.clients)) {
      if (!isObj(c)) throw new HostapdParseError('bad-field', `get_clients: entry ${addr}`);
      const rrm = Array.isArray(c.rrm) && c.rrm.every((x) => Number.isInteger(x)) ? (c.rrm as number[]) : null;
      clients.set(macField(addr, 'client address'), { authorized: c.authorized === true, rrm, raw: c });
    }
    return { freq: typeof r.freq === 'number' ? r.freq : null, clients };
  }

  async delClient(ifname: string, req: { addr: string; reason?: number; deauth?: boolean; ban_time?: number }): Promise<void> {
    await this.call(ifname, 'del_client', { ...req, addr: this.mac(req.addr) });
  }

  /** Subscribe to `hostapd.<ifname>` notifications of these BSSes. */
  startEvents(ifnames: readonly string[]): void {
    for (const ifname of ifnames) {
      const obj = `hostapd.${checkIfname(ifname)}`;
      this.streams.push(this.o.transport.stream(`${this.o.ubus ?? 'ubus'} subscribe ${obj}`, (line, stderr) => {
        if (stderr) return void this.safeEmit('status', ifname, line);
        if (line.trim() === '') return;
        try {
          const ev = parseUbusEvent(line, ifname);
          if (ev) this.safeEmit('event', ev);
        } catch (err) {
          if (err instanceof HostapdParseError) this.safeEmit('parse-error', err, ifname, line);
        }
      }));
    }
  }

  async close(): Promise<void> {
    for (const s of this.streams.splice(0)) s.stop();
    this.o.transport.off('transport', this.forward);
    await this.cli.close();
    if (!this.o.keepTransportOpen) await this.o.transport.close();
  }

  private async ubusCall(ifname: string, method: string, args: unknown): Promise<string> {
    if (!/^[a-z][a-z0-9_]*$/.test(method)) throw new Error(`bad ubus method ${JSON.stringify(method)}`);
    const json = args === undefined ? '' : ` ${shellQuote(JSON.stringify(args))}`;
    const r = await this.o.transport.run(`${this.o.ubus ?? 'ubus'} call hostapd.${checkIfname(ifname)} ${method}${json}`, this.o.timeoutMs);
    if (r.exitCode !== 0) {
      // cli.c returns the UBUS_STATUS_* code, negated (exit 256-n) when stderr is not a tty.
      const status = r.exitCode > 0 && r.exitCode < 16 ? r.exitCode : r.exitCode > 240 && r.exitCode < 256 ? 256 - r.exitCode : null;
      const why = r.stderr.trim().split('\n').pop() || `exit ${r.exitCode}`;
      throw new UbusError(`AP ${this.o.transport.apName}: ubus call hostapd.${ifname} ${method} failed: ${why}`, r.exitCode, status);
    }
    return r.stdout;
  }

  private mac(v: string): string {
    const m = normalizeMac(v);
    if (!m) throw new Error(`bad MAC address ${JSON.stringify(v)}`);
    return m;
  }

  private hex(v: string): string {
    if (!/^(?:[0-9a-fA-F]{2})+$/.test(v)) throw new Error('expected hex octets');
    return v.toLowerCase();
  }

  private safeEmit(name: string, ...args: unknown[]): void {
    try {
      this.emit(name, ...args);
    } catch {
      /* a listener's bug must not break the stream */
    }
  }
}
