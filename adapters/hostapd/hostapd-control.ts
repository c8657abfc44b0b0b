// ApControl for plain hostapd, reached either
// - over SSH: every command is `hostapd_cli -p <ctrlDir> -i <ifname> raw <CMD>` in the AP's
//   persistent shell, and events come from one long-lived `hostapd_cli -p <dir> -i <ifname>` per
//   BSS in interactive mode, or
// - locally: one CtrlSocketClient per BSS (the KMS runs on the AP or next to hostapd).
//
// Event streaming over SSH without a tty, as tried with hostapd_cli 2.10:
// - interactive mode with stdin a pipe that stays open works: it prints a banner, a "> " prompt
//   glued to the first event, then `<3>EVENT …` lines; it exits on stdin EOF, and when hostapd
//   restarts it says "Connection to hostapd lost - trying to reconnect", reconnects and
//   re-attaches by itself. Used here.
// - action mode (`-a /bin/echo`) also works and prints clean `<ifname> <EVENT> …` lines, but it
//   exits when hostapd goes away (the stream would have to be restarted), forks once per event
//   and ignores stdin EOF (it would outlive the SSH channel without the transport's watchdog).
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type { ApControl, ApEvent } from '../../daemon/distribution/ports.js';
import { normalizeMac } from '../../daemon/common/mac.js';
import { CtrlSocketClient } from './ctrl-socket.js';
import { HostapdParseError, parseEvent } from './events.js';
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

/** One line of `hostapd_cli` interactive output → event line, or null for banner/prompt/status text. */
export function cliEventLine(line: string): string | null {
  const l = line.replace(/^(?:> )+/, '');
  return /^<\d>/.test(l) ? l : null;
}

interface Backend {
  readonly apName: string;
  readonly connected: boolean;
  command(ifname: string, cmd: string, timeoutMs?: number): Promise<string>;
  startEvents(ifnames: readonly string[], onLine: (ifname: string, line: string) => void): Promise<void>;
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
  constructor(private readonly o: HostapdSshOptions) {}
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
  async startEvents(ifnames: readonly string[], onLine: (ifname: string, line: string) => void): Promise<void> {
    for (const ifname of ifnames) {
      const g = this.o.cliPingIntervalS === undefined ? '' : ` -G ${Math.max(1, Math.floor(this.o.cliPingIntervalS))}`;
      this.streams.push(this.o.transport.stream(`${this.cli(ifname)}${g}`, (line) => onLine(ifname, line)));
    }
  }
  async close(): Promise<void> {
    for (const s of this.streams.splice(0)) s.stop();
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
  async startEvents(ifnames: readonly string[], onLine: (ifname: string, line: string) => void): Promise<void> {
    for (const ifname of ifnames) {
      const c = this.client(ifname);
      c.on('raw-event', (level: number, text: string) => onLine(ifname, `<${level}>${text}`));
      await c.attach();
    }
  }
  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.close()));
  }
}

/**
 * Events: `event` (ApEvent: station/beacon events from startEvents(), and `transport`),
 * `parse-error` (HostapdParseError, ifname, line), `status` (ifname, line): hostapd_cli's own
 * messages such as "Connection to hostapd lost - trying to reconnect".
 */
export class HostapdControl extends EventEmitter implements ApControl {
  private constructor(private readonly backend: Backend) {
    super();
  }

  static overSsh(o: HostapdSshOptions): HostapdControl {
    const hc = new HostapdControl(new SshBackend(o));
    o.transport.on('transport', (ev: ApEvent) => hc.emitEvent(ev));
    return hc;
  }

  static local(o: HostapdLocalOptions): HostapdControl {
    let hc: HostapdControl | null = null;
    hc = new HostapdControl(new LocalBackend(o, (ev) => hc?.emitEvent(ev)));
    return hc;
  }

  get connected(): boolean {
    return this.backend.connected;
  }

  /** PMKSA_ADD (OKC / PMK caching). Rejects with ApCommandError carrying hostapd's reply unless it is OK. */
  async pmksaAdd(ifname: string, req: PmksaAddRequest): Promise<void> {
    const reply = await this.backend.command(ifname, formatPmksaAdd(req));
    if (reply.trim() !== 'OK') {
      // Never echo the command: it holds the PMK.
      throw new ApCommandError(`AP ${this.backend.apName}/${ifname}: PMKSA_ADD for ${normalizeMac(req.staMac)} refused, hostapd answered ${JSON.stringify(reply.trim())}`, reply);
    }
  }

  command(ifname: string, cmd: string, timeoutMs?: number): Promise<string> {
    return this.backend.command(ifname, cmd, timeoutMs);
  }

  /** Start delivering hostapd events of these BSSes as `event`. */
  startEvents(ifnames: readonly string[]): Promise<void> {
    for (const i of ifnames) checkIfname(i);
    return this.backend.startEvents(ifnames, (ifname, line) => {
      const text = cliEventLine(line);
      if (text === null) return void (line.trim() !== '' && this.safeEmit('status', ifname, line));
      try {
        const ev = parseEvent(text, ifname);
        if (ev) this.emitEvent(ev);
      } catch (err) {
        if (err instanceof HostapdParseError) this.safeEmit('parse-error', err, ifname, line);
      }
    });
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
