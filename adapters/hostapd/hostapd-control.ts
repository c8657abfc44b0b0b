// ApControl for plain hostapd, reached either
// - over SSH: every command is `hostapd_cli -p <ctrlDir> -i <ifname> raw <CMD>` in the AP's
//   persistent shell, and events come from one long-lived `hostapd_cli -a /bin/echo` per BSS, or
// - locally: one CtrlSocketClient per BSS (the KMS runs on the AP or next to hostapd).
//
// Event streaming over SSH without a tty, as tried with hostapd_cli 2.10:
// - interactive mode with stdin kept open does print `<3>EVENT …` lines (after a banner and a
//   "> " prompt) and even reconnects to a restarted hostapd, BUT its stdout is block-buffered
//   when it is a pipe: events arrived only when the process exited. Unusable.
// - action mode, `-a /bin/echo`: hostapd_cli runs the "script" once per event with the
//   arguments `<ifname> <EVENT> <args…>` (split on spaces, no shell), and echo's output is
//   flushed when it exits, so each event arrives at once as `<ifname> EVENT args`. hostapd_cli
//   exits when hostapd stops answering PING (every -G seconds, default 5) or cannot be reached
//   at start; the transport then restarts the stream with backoff. It ignores stdin EOF, so it
//   relies on the transport's watchdog to die with the SSH channel. Used here.
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type { ApControl, ApEvent } from '../../daemon/distribution/ports.js';
import { normalizeMac } from '../../daemon/common/mac.js';
import { CtrlSocketClient } from './ctrl-socket.js';
import { HostapdParseError, parseEvent, parsePmksaList } from './events.js';
import { shellQuote, type SshTransport, type StreamHandle } from './ssh-transport.js';

export interface PmksaAddRequest {
  staMac: string;
  pmkid: Buffer;
  pmk: Buffer;
  expirationS: number;
  akmp: number;
}

/** The AP answered, but not what the operation needs (FAIL, UNKNOWN COMMAND, …). */
export class ApCommandError extends Error {
  constructor(
    message: string,
    readonly reply: string,
  ) {
    super(message);
    this.name = 'ApCommandError';
  }
}

const IFNAME_RE = /^[A-Za-z0-9._-]{1,15}$/;

export function checkIfname(ifname: string): string {
  if (!IFNAME_RE.test(ifname)) throw new Error(`bad interface name ${JSON.stringify(ifname)}`);
  return ifname;
}

/**
 * The `PMKSA_ADD <sta> <pmkid> <pmk> <expiration> <akmp>` line (hostapd_ctrl_iface_pmksa_add).
 * akmp is the decimal WPA_KEY_MGMT_* bitmask (1 WPA-EAP, 32 FT-EAP, 128 EAP-SHA256).
 */
export function formatPmksaAdd(req: PmksaAddRequest): string {
  const sta = normalizeMac(req.staMac);
  if (!sta) throw new Error(`PMKSA_ADD: bad station address ${JSON.stringify(req.staMac)}`);
  if (req.pmkid.length !== 16) throw new Error('PMKSA_ADD: a PMKID is 16 octets');
  if (req.pmk.length < 32 || req.pmk.length > 64) throw new Error('PMKSA_ADD: a PMK is 32..64 octets');
  if (!Number.isInteger(req.expirationS) || req.expirationS < 0 || req.expirationS > 0x7fffffff) throw new Error('PMKSA_ADD: bad expiration');
  if (!Number.isInteger(req.akmp) || req.akmp <= 0 || req.akmp > 0x7fffffff) throw new Error('PMKSA_ADD: bad akmp');
  return `PMKSA_ADD ${sta} ${req.pmkid.toString('hex')} ${req.pmk.toString('hex')} ${req.expirationS} ${req.akmp}`;
}

/** One line of `hostapd_cli -a /bin/echo` output → the event text, or null for hostapd_cli's own messages. */
export function cliEventLine(line: string, ifname: string): string | null {
  return line.startsWith(`${ifname} `) ? line.slice(ifname.length + 1) : null;
}

interface Backend {
  readonly apName: string;
  readonly connected: boolean;
  command(ifname: string, cmd: string, timeoutMs?: number): Promise<string>;
  /** `onEvent` gets event text (with or without `<n>`), `onOther` any other output line. */
  startEvents(ifnames: readonly string[], onEvent: (ifname: string, text: string) => void, onOther: (ifname: string, line: string) => void): Promise<void>;
  close(): Promise<void>;
}

export interface HostapdSshOptions {
  transport: SshTransport;
  /** hostapd's ctrl_interface on the AP (OpenWrt and Debian: /var/run/hostapd). */
  ctrlDir?: string;
  /** Path or name of hostapd_cli on the AP (on OpenWrt it is in the hostapd-utils package). */
  hostapdCli?: string;
  timeoutMs?: number;
  /** hostapd_cli's PING interval (-G), i.e. how soon the event stream notices a restarted hostapd (default 5 s). */
  cliPingIntervalS?: number;
  /** close() leaves the transport open (it is shared with another control). Default: close() closes it. */
  keepTransportOpen?: boolean;
}

export interface HostapdLocalOptions {
  ctrlDir: string;
  /** BSSes to open a ctrl socket for. */
  interfaces: readonly string[];
  /** Private directory for our own socket(s). */
  localDir: string;
  timeoutMs?: number;
  heartbeatMs?: number;
}

class SshBackend implements Backend {
  private readonly streams: StreamHandle[] = [];
  constructor(private readonly o: HostapdSshOptions, private readonly forward: (ev: ApEvent) => void) {
    o.transport.on('transport', forward);
  }
  get apName(): string {
    return this.o.transport.apName;
  }
  get connected(): boolean {
    return this.o.transport.connected;
  }
  private cli(ifname: string): string {
    return `${this.o.hostapdCli ?? 'hostapd_cli'} -p ${shellQuote(this.o.ctrlDir ?? '/var/run/hostapd')} -i ${shellQuote(checkIfname(ifname))}`;
  }
  async command(ifname: string, cmd: string, timeoutMs?: number): Promise<string> {
    if (/[\0\n\r]/.test(cmd)) throw new Error('a control command is one line');
    const r = await this.o.transport.run(`${this.cli(ifname)} raw ${shellQuote(cmd)}`, timeoutMs ?? this.o.timeoutMs);
    // hostapd_cli exits 0 whatever hostapd answers (FAIL included); non-zero means no answer.
    if (r.exitCode !== 0) {
      const why = (r.stderr + r.stdout).trim().split('\n').pop() ?? '';
      throw new ApCommandError(`AP ${this.apName}/${ifname}: hostapd_cli exited ${r.exitCode}: ${why}`, r.stdout);
    }
    return r.stdout;
  }
  async startEvents(ifnames: readonly string[], onEvent: (ifname: string, text: string) => void, onOther: (ifname: string, line: string) => void): Promise<void> {
    for (const ifname of ifnames) {
      const g = this.o.cliPingIntervalS === undefined ? '' : ` -G ${Math.max(1, Math.floor(this.o.cliPingIntervalS))}`;
      this.streams.push(this.o.transport.stream(`${this.cli(ifname)} -a /bin/echo${g}`, (line, stderr) => {
        const text = stderr ? null : cliEventLine(line, ifname);
        if (text !== null) onEvent(ifname, text);
        else if (line.trim() !== '') onOther(ifname, line);
      }));
    }
  }
  async close(): Promise<void> {
    for (const s of this.streams.splice(0)) s.stop();
    this.o.transport.off('transport', this.forward);
    if (!this.o.keepTransportOpen) await this.o.transport.close();
  }
}

class LocalBackend implements Backend {
  readonly apName = 'local';
  private readonly clients = new Map<string, CtrlSocketClient>();
  constructor(o: HostapdLocalOptions, forward: (ev: ApEvent) => void) {
    for (const ifname of o.interfaces) {
      const c = new CtrlSocketClient({ path: join(o.ctrlDir, checkIfname(ifname)), ifname, localDir: o.localDir, timeoutMs: o.timeoutMs, heartbeatMs: o.heartbeatMs });
      c.on('event', (ev: ApEvent) => ev.type === 'transport' && forward(ev));
      this.clients.set(ifname, c);
    }
  }
  get connected(): boolean {
    return [...this.clients.values()].every((c) => c.connected);
  }
  private client(ifname: string): CtrlSocketClient {
    const c = this.clients.get(ifname);
    if (!c) throw new Error(`no ctrl socket configured for ${ifname}`);
    return c;
  }
  command(ifname: string, cmd: string, timeoutMs?: number): Promise<string> {
    return this.client(ifname).request(cmd, timeoutMs);
  }
  async startEvents(ifnames: readonly string[], onEvent: (ifname: string, text: string) => void): Promise<void> {
    // Every BSS gets its ATTACH even if one fails; the failed ones are retried by their heartbeat.
    const failed: string[] = [];
    for (const ifname of ifnames) {
      const c = this.client(ifname);
      c.on('raw-event', (level: number, text: string) => onEvent(ifname, `<${level}>${text}`));
      await c.attach().catch((e: Error) => failed.push(`${ifname}: ${e.message}`));
    }
    if (failed.length) throw new Error(`not attached yet (retried by the heartbeat): ${failed.join('; ')}`);
  }
  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.close()));
  }
}

/**
 * Events: `event` (ApEvent: station/beacon events from startEvents(), and `transport`),
 * `raw-event` (ifname, text) for every hostapd event line, `parse-error` (HostapdParseError,
 * ifname, text), `status` (ifname, line): hostapd_cli's own messages, e.g. "hostapd did not
 * reply to PING command - exiting".
 */
export class HostapdControl extends EventEmitter implements ApControl {
  private constructor(private readonly backend: Backend) {
    super();
  }

  /** Over an SshTransport; close() also closes the transport unless `keepTransportOpen`. */
  static overSsh(o: HostapdSshOptions): HostapdControl {
    let hc: HostapdControl | null = null;
    hc = new HostapdControl(new SshBackend(o, (ev) => hc?.emitEvent(ev)));
    return hc;
  }

  /** One CtrlSocketClient per BSS; close() closes them. */
  static local(o: HostapdLocalOptions): HostapdControl {
    let hc: HostapdControl | null = null;
    hc = new HostapdControl(new LocalBackend(o, (ev) => hc?.emitEvent(ev)));
    return hc;
  }

  get connected(): boolean {
    return this.backend.connected;
  }

  /**
   * PMKSA_ADD (OKC / PMK caching). Rejects with ApCommandError carrying hostapd's reply unless it
   * is OK (a wired or `disable_pmksa_caching=1` BSS answers FAIL). Over SSH the PMK is encrypted
   * in transit but, for the few ms hostapd_cli runs, readable in its argv on the AP (/proc).
   */
  async pmksaAdd(ifname: string, req: PmksaAddRequest): Promise<void> {
    const reply = await this.backend.command(ifname, formatPmksaAdd(req));
    if (reply.trim() !== 'OK') {
      // Never echo the command: it holds the PMK.
      throw new ApCommandError(`AP ${this.backend.apName}/${ifname}: PMKSA_ADD for ${normalizeMac(req.staMac)} refused, hostapd answered ${JSON.stringify(reply.trim())}`, reply);
    }
  }

  /** `PMKSA`: what this BSS's PMKSA cache holds (no keys: SPA, PMKID, expiry). */
  async pmksaList(ifname: string): Promise<{ staMac: string; pmkid: string }[]> {
    const entries = parsePmksaList(await this.backend.command(ifname, 'PMKSA'));
    return entries.map((e) => ({ staMac: e.spa, pmkid: e.pmkid.toString('hex') }));
  }

  command(ifname: string, cmd: string, timeoutMs?: number): Promise<string> {
    return this.backend.command(ifname, cmd, timeoutMs);
  }

  /** Start delivering hostapd events of these BSSes as `event`. */
  startEvents(ifnames: readonly string[]): Promise<void> {
    for (const i of ifnames) checkIfname(i);
    const onEvent = (ifname: string, text: string): void => {
      this.safeEmit('raw-event', ifname, text);
      try {
        const ev = parseEvent(text, ifname);
        if (ev) this.emitEvent(ev);
      } catch (err) {
        if (err instanceof HostapdParseError) this.safeEmit('parse-error', err, ifname, text);
      }
    };
    return this.backend.startEvents(ifnames, onEvent, (ifname, line) => this.safeEmit('status', ifname, line));
  }

  close(): Promise<void> {
    return this.backend.close();
  }

  private emitEvent(ev: ApEvent): void {
    this.safeEmit('event', ev);
  }

  private safeEmit(name: string, ...args: unknown[]): void {
    try {
      this.emit(name, ...args);
    } catch {
      /* a listener's bug must not break the transport */
    }
  }
}
