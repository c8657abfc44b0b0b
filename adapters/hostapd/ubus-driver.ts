// ApDriver for OpenWrt through hostapd's ubus object `hostapd.<ifname>` (docs/hostapd-interfaces.md,
// "OpenWrt"), over the AP's SSH transport: `ubus call hostapd.<ifname> <method> '<json>'` and `ubus subscribe`.
//
// NOT TESTED AGAINST OPENWRT: no OpenWrt system was available. The integration test runs this
// against a stand-in `ubus` shell script (first in PATH on a real Dropbear server) that replays
// output in the format of ubus's cli.c and hostapd's ubus.c: `ubus call` prints indented JSON
// (nothing for methods without a reply) and exits non-zero with "Command failed: …" on stderr;
// `ubus subscribe` prints one line per notification, `{ "<type>": {…} }`.
//
// Gaps of the ubus API that shape this class:
// - there is no PMKSA method, so pmksaAdd() and pmksaList() go through a HostapdCliDriver
//   (hostapd-utils must be installed on the AP, and OpenWrt's default `auth_cache 0` makes
//   PMKSA_ADD FAIL);
// - no notification for EAPOL-4WAY-HS-COMPLETED exists;
// - `beacon-report` carries no dialog token in OpenWrt 22.03–24.10 (token is then null here), only
//   the fixed Beacon report fields, and squeezes parent-tsf into 16 bits. The body handed on is
//   rebuilt from those fields (26 octets, laid out as docs/hostapd-interfaces.md "Beacon report"
//   shows), or taken from `report` (base64) when a newer hostapd sends it.
import { EventEmitter } from 'node:events';
import type { BeaconRequestParams } from '../../daemon/neighbors/beacon-request.js';
import type {
  ApDriver,
  ApEvent,
  BeaconRequestOutcome,
  BssTransitionParams,
  DisconnectParams,
  NeighborDb,
  NeighborDbEntry,
  PmksaAddParams,
  PmksaCacheEntry,
} from '../../daemon/ports/ap-driver.js';
import { checkIfname } from './ctrl-commands.js';
import { HostapdParseError, parseMacToken } from './events.js';
import { HostapdCliDriver } from './hostapd-cli-driver.js';
import { shellQuote, type SshTransport, type StreamHandle } from './ssh-transport.js';
import { bssTransitionArgs, delClientArgs, rrmBeaconReqArgs, rrmNrSetArgs } from './ubus-args.js';

export interface UbusDriverOptions {
  transport: SshTransport;
  /** For PMKSA_ADD through hostapd_cli (default /var/run/hostapd). */
  ctrlDir?: string;
  /** Path or name of hostapd_cli on the AP, for the PMKSA commands. */
  hostapdCli?: string;
  /** Path or name of the ubus CLI on the AP. */
  ubus?: string;
  /** Per-command timeout, ms (the transport's default otherwise). */
  timeoutMs?: number;
  /** close() leaves the transport open (it is shared with another driver). Default: close() closes it. */
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

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function macField(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new HostapdParseError('bad-address', `${what} is not a string`);
  return parseMacToken(v, what);
}

/** One `[bssid, ssid text, nr hex]` entry of rrm_nr_get_own / rrm_nr_list, or null if malformed. */
function nrEntry(v: unknown): NeighborDbEntry | null {
  if (!Array.isArray(v) || v.length < 3 || !v.every((x) => typeof x === 'string') || !/^(?:[0-9a-fA-F]{2})+$/.test(v[2])) return null;
  return { bssid: v[0].toLowerCase(), ssid: Buffer.from(v[1], 'utf8'), nr: Buffer.from(v[2], 'hex') };
}

function intField(o: Record<string, unknown>, key: string, max: number): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max)
    throw new HostapdParseError('bad-number', `${key}: ${JSON.stringify(v)?.slice(0, 40)}`);
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
        if (typeof o['auth-alg'] !== 'string' || !/^[a-z0-9_-]{1,32}$/.test(o['auth-alg']))
          throw new HostapdParseError('bad-field', 'auth-alg');
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
        type: 'beacon-report',
        ifname,
        staMac: macField(o.address, 'address'),
        token: o.token === undefined ? null : intField(o, 'token', 255),
        reportMode: o['rep-mode'] === undefined ? 0 : intField(o, 'rep-mode', 255),
        body: beaconBody(o),
      };
    default:
      return null;
  }
}

/**
 * Events besides the ApEvents of subscribe(): `parse-error` (HostapdParseError, ifname, line),
 * `status` (ifname, ubus's stderr line).
 */
export class UbusDriver extends EventEmitter implements ApDriver {
  private readonly cli: HostapdCliDriver;
  private readonly streams: StreamHandle[] = [];
  private readonly forward = (ev: ApEvent): void => this.safeEmit('event', ev);

  /** close() also closes the transport unless `keepTransportOpen`. */
  constructor(private readonly o: UbusDriverOptions) {
    super();
    this.cli = new HostapdCliDriver({
      transport: o.transport,
      ctrlDir: o.ctrlDir,
      hostapdCli: o.hostapdCli,
      timeoutMs: o.timeoutMs,
      keepTransportOpen: true,
    });
    o.transport.on('transport', this.forward);
  }

  get connected(): boolean {
    return this.o.transport.connected;
  }

  subscribe(listener: (ev: ApEvent) => void): () => void {
    this.on('event', listener);
    return () => void this.off('event', listener);
  }

  /** ubus has no PMKSA method: this goes through `hostapd_cli raw PMKSA_ADD`. */
  pmksaAdd(ifname: string, req: PmksaAddParams): Promise<void> {
    return this.cli.pmksaAdd(ifname, req);
  }

  /** Also through hostapd_cli: ubus has no PMKSA listing either. */
  pmksaList(ifname: string): Promise<PmksaCacheEntry[]> {
    return this.cli.pmksaList(ifname);
  }

  /** `rrm_nr_get_own` and `rrm_nr_list`; a refusal (rrm_neighbor_report off) is null. */
  async readNeighborDb(ifname: string): Promise<NeighborDb | null> {
    try {
      const own = await this.call(ifname, 'rrm_nr_get_own');
      const list = await this.call(ifname, 'rrm_nr_list');
      const others = (Array.isArray(list?.list) ? list.list : []).map(nrEntry).filter((e): e is NeighborDbEntry => e !== null);
      return { own: nrEntry(own?.value), others };
    } catch (e) {
      if (e instanceof UbusError) return null;
      throw e;
    }
  }

  /** `rrm_nr_set` replaces every non-own entry at once: no diff needed. */
  async setNeighbors(ifname: string, entries: readonly NeighborDbEntry[]): Promise<void> {
    await this.call(ifname, 'rrm_nr_set', rrmNrSetArgs(entries));
  }

  /** `rrm_beacon_req`; the report arrives as a `beacon-report` event (without token). A UbusError is a refusal. */
  async requestBeaconReport(ifname: string, staMac: string, req: BeaconRequestParams): Promise<BeaconRequestOutcome> {
    try {
      await this.call(ifname, 'rrm_beacon_req', rrmBeaconReqArgs(staMac, req));
      return 'sent';
    } catch (e) {
      if (e instanceof UbusError) return 'rejected';
      throw e;
    }
  }

  async bssTransitionRequest(ifname: string, req: BssTransitionParams): Promise<void> {
    await this.call(ifname, 'bss_transition_request', bssTransitionArgs(req));
  }

  /** `del_client` with deauth and no ban. */
  async disconnect(ifname: string, req: DisconnectParams): Promise<void> {
    await this.call(ifname, 'del_client', delClientArgs(req));
  }

  /** Subscribe to `hostapd.<ifname>` notifications of these BSSes. */
  async startEvents(ifnames: readonly string[]): Promise<void> {
    for (const ifname of ifnames) {
      const obj = `hostapd.${checkIfname(ifname)}`;
      this.streams.push(
        this.o.transport.stream(`${this.o.ubus ?? 'ubus'} subscribe ${obj}`, (line, stderr) => {
          if (stderr) return void this.safeEmit('status', ifname, line);
          if (line.trim() === '') return;
          try {
            const ev = parseUbusEvent(line, ifname);
            if (ev) this.safeEmit('event', ev);
          } catch (err) {
            if (err instanceof HostapdParseError) this.safeEmit('parse-error', err, ifname, line);
          }
        }),
      );
    }
  }

  async close(): Promise<void> {
    for (const s of this.streams.splice(0)) s.stop();
    this.o.transport.off('transport', this.forward);
    await this.cli.close();
    if (!this.o.keepTransportOpen) await this.o.transport.close();
  }

  /** `ubus call`, parsed: an object, or null for a method that returns nothing. */
  private async call(ifname: string, method: string, args?: object): Promise<Record<string, unknown> | null> {
    if (!/^[a-z][a-z0-9_]*$/.test(method)) throw new Error(`bad ubus method ${JSON.stringify(method)}`);
    const json = args === undefined ? '' : ` ${shellQuote(JSON.stringify(args))}`;
    const r = await this.o.transport.run(`${this.o.ubus ?? 'ubus'} call hostapd.${checkIfname(ifname)} ${method}${json}`, this.o.timeoutMs);
    if (r.exitCode !== 0) {
      // cli.c returns the UBUS_STATUS_* code, negated (exit 256-n) when stderr is not a tty.
      const status = r.exitCode > 0 && r.exitCode < 16 ? r.exitCode : r.exitCode > 240 && r.exitCode < 256 ? 256 - r.exitCode : null;
      const why = r.stderr.trim().split('\n').pop() || `exit ${r.exitCode}`;
      throw new UbusError(`AP ${this.o.transport.apName}: ubus call hostapd.${ifname} ${method} failed: ${why}`, r.exitCode, status);
    }
    const out = r.stdout.trim();
    if (out === '') return null;
    const v: unknown = JSON.parse(out);
    if (!isObj(v)) throw new HostapdParseError('bad-line', `ubus ${method} did not return an object`);
    return v;
  }

  private safeEmit(name: string, ...args: unknown[]): void {
    try {
      this.emit(name, ...args);
    } catch {
      /* a listener's bug must not break the stream */
    }
  }
}
