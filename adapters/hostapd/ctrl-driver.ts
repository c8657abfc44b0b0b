// What the two ctrl-interface back-ends share: the ApDriver members in terms of hostapd's
// control commands (ctrl-commands.ts) and its replies (events.ts). A back-end supplies only how
// one command reaches one BSS and how its event lines arrive: CtrlSocketDriver (a local ctrl
// socket per BSS) and HostapdCliDriver (hostapd_cli on the AP, over SSH).
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
import { normalizeMac } from '../../daemon/common/mac.js';
import {
  bssTmReqCommand,
  checkIfname,
  deauthenticateCommand,
  formatPmksaAdd,
  removeNeighborCommand,
  reqBeaconCommand,
  setNeighborCommand,
} from './ctrl-commands.js';
import { HostapdParseError, parseEvent, parseNeighborList, parsePmksaList } from './events.js';

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

/**
 * Events besides the ApEvents of subscribe(): `raw-event` (ifname, text) for every hostapd event
 * line, `parse-error` (HostapdParseError, ifname, text), `status` (ifname, line): a back-end's own
 * messages, e.g. hostapd_cli's "hostapd did not reply to PING command - exiting".
 */
export abstract class CtrlInterfaceDriver extends EventEmitter implements ApDriver {
  /** The AP's name, for error messages. */
  protected abstract readonly apName: string;
  abstract readonly connected: boolean;
  /** One control command on one BSS; resolves with hostapd's reply text verbatim. */
  protected abstract request(ifname: string, cmd: string): Promise<string>;
  /** Starts the event lines of these BSSes flowing into onEventText. */
  protected abstract attachEvents(ifnames: readonly string[]): Promise<void>;
  abstract close(): Promise<void>;

  subscribe(listener: (ev: ApEvent) => void): () => void {
    this.on('event', listener);
    return () => void this.off('event', listener);
  }

  startEvents(ifnames: readonly string[]): Promise<void> {
    for (const i of ifnames) checkIfname(i);
    return this.attachEvents(ifnames);
  }

  /**
   * PMKSA_ADD (OKC / PMK caching). Rejects with ApCommandError carrying hostapd's reply unless it
   * is OK (a wired or `disable_pmksa_caching=1` BSS answers FAIL). Over SSH the PMK is encrypted
   * in transit but, for the few ms hostapd_cli runs, readable in its argv on the AP (/proc).
   */
  async pmksaAdd(ifname: string, req: PmksaAddParams): Promise<void> {
    const reply = await this.request(ifname, formatPmksaAdd(req));
    if (reply.trim() !== 'OK') {
      // Never echo the command: it holds the PMK.
      throw new ApCommandError(
        `AP ${this.apName}/${ifname}: PMKSA_ADD for ${normalizeMac(req.staMac)} refused, hostapd answered ${JSON.stringify(reply.trim())}`,
        reply,
      );
    }
  }

  /** `PMKSA`: what this BSS's PMKSA cache holds (no keys: SPA, PMKID, expiry). */
  async pmksaList(ifname: string): Promise<PmksaCacheEntry[]> {
    const entries = parsePmksaList(await this.request(ifname, 'PMKSA'));
    return entries.map((e) => ({ staMac: e.spa, pmkid: e.pmkid.toString('hex') }));
  }

  /** `SHOW_NEIGHBOR`; FAIL means rrm_neighbor_report=0 on that BSS. */
  async readNeighborDb(ifname: string, ownBssid: string): Promise<NeighborDb | null> {
    let text = await this.request(ifname, 'SHOW_NEIGHBOR');
    if (text.trim() === 'FAIL') return null;
    // hostapd cuts replies at 4096 octets, maybe mid-line: keep the whole lines.
    if (text !== '' && !text.endsWith('\n')) text = text.slice(0, text.lastIndexOf('\n') + 1);
    const own = normalizeMac(ownBssid);
    const all = parseNeighborList(text).filter((e): e is typeof e & { nr: Buffer } => e.nr !== null);
    const entry = (e: (typeof all)[number]): NeighborDbEntry => ({ bssid: e.bssid, ssid: e.ssid, nr: e.nr });
    return { own: all.filter((e) => e.bssid === own).map(entry)[0] ?? null, others: all.filter((e) => e.bssid !== own).map(entry) };
  }

  /** hostapd adds and removes one entry at a time: only the difference to `previous` is sent. */
  async setNeighbors(ifname: string, entries: readonly NeighborDbEntry[], previous: readonly NeighborDbEntry[]): Promise<void> {
    const key = (e: NeighborDbEntry) => `${e.bssid}/${e.ssid.toString('hex')}`;
    const want = new Map(entries.map((e) => [key(e), e]));
    const had = new Map(previous.map((e) => [key(e), e]));
    // REMOVE of an entry that is already gone answers FAIL: that is the state we want anyway.
    for (const [k, e] of had) if (!want.has(k)) await this.ok(ifname, removeNeighborCommand(e.bssid, e.ssid), true);
    for (const [k, e] of want) {
      if (had.get(k)?.nr.equals(e.nr)) continue;
      await this.ok(ifname, setNeighborCommand(e));
    }
  }

  /** `REQ_BEACON`; its FAIL is told apart with `STA`: not associated, or associated without RM capability. */
  async requestBeaconReport(ifname: string, staMac: string, req: BeaconRequestParams): Promise<BeaconRequestOutcome> {
    const cmd = reqBeaconCommand(staMac, req);
    const reply = (await this.request(ifname, cmd)).trim();
    if (/^\d+$/.test(reply)) return 'sent'; // the dialog token
    if (reply !== 'FAIL')
      throw new ApCommandError(`AP ${this.apName}/${ifname}: REQ_BEACON answered ${JSON.stringify(reply.slice(0, 40))}`, reply);
    // FAIL means "not authorized" or "no RM beacon capability": only the second is worth remembering.
    const sta = (await this.request(ifname, `STA ${normalizeMac(staMac)}`)).trim();
    return sta === '' || sta === 'FAIL' ? 'gone' : 'rejected';
  }

  /** `BSS_TM_REQ`; hostapd answers FAIL for a station it does not know or a build without WNM. */
  async bssTransitionRequest(ifname: string, req: BssTransitionParams): Promise<void> {
    await this.ok(ifname, bssTmReqCommand(req));
  }

  /** `DEAUTHENTICATE`: hostapd sends the frame and forgets the station (AP-STA-DISCONNECTED follows). */
  async disconnect(ifname: string, req: DisconnectParams): Promise<void> {
    await this.ok(ifname, deauthenticateCommand(req));
  }

  /** The back-end's event text (with or without `<n>`) of one BSS → `raw-event`, and `event` when the KMS uses it. */
  protected onEventText(ifname: string, text: string): void {
    this.safeEmit('raw-event', ifname, text);
    try {
      const ev = parseEvent(text, ifname);
      if (ev) this.emitEvent(ev);
    } catch (err) {
      if (err instanceof HostapdParseError) this.safeEmit('parse-error', err, ifname, text);
    }
  }

  protected emitEvent(ev: ApEvent): void {
    this.safeEmit('event', ev);
  }

  protected safeEmit(name: string, ...args: unknown[]): void {
    try {
      this.emit(name, ...args);
    } catch {
      /* a listener's bug must not break the transport */
    }
  }

  private async ok(ifname: string, cmd: string, tolerateFail = false): Promise<void> {
    const reply = (await this.request(ifname, cmd)).trim();
    if (reply !== 'OK' && !(tolerateFail && reply === 'FAIL')) {
      throw new ApCommandError(`AP ${this.apName}/${ifname}: ${cmd.split(' ')[0]} answered ${JSON.stringify(reply.slice(0, 40))}`, reply);
    }
  }
}
