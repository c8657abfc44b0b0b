// The KMS as the DAS the AAA servers see (RFC 5176): Disconnect- and CoA-Requests arrive here,
// the KMS finds the station (StationLocator), sends a Disconnect-Request to the DAS of the AP it
// is at now (signed with that AP's own DAS secret), and relays the AP's ACK/NAK back, re-signed
// for the upstream. What hostapd cannot do (CoA, outside Hotspot 2.0) is answered by policy:
// NAK with Error-Cause 406, or a Disconnect so the station logs in again and gets the new
// attributes. Never an ACK for a change nobody applied.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { Throttle } from '../../daemon/common/throttle.js';
import type { Logger } from '../../daemon/log/logger.js';
import type { StationLocation, StationLocator } from '../../daemon/records/station-locator.js';
import { Attr, Code, ErrorCause, codeName } from './codes.js';
import type { RadiusAttribute, RadiusPacket } from './packet.js';
import {
  DAS_ANSWERS,
  errorCause,
  errorCauseName,
  eventTimestamp,
  finishDasResponse,
  sessionSelector,
  verifyDasRequest,
  type DasDropReason,
} from './dynamic-authorization.js';
import { DasClient, canonical, type ApDasTarget, type DasOutcome } from './das-client.js';

export type { ApDasTarget } from './das-client.js';

export interface DasUpstream {
  name: string;
  address: string;
  secret: Buffer;
}

export type DasKind = 'disconnect' | 'coa';

/** Drops of requests from upstreams, and of answers from APs that do not check out. */
export type DasProxyDropReason =
  | DasDropReason
  | 'unknown-client'
  | 'retransmission-in-progress'
  | 'ap-answer-unexpected'
  | 'ap-answer-invalid';

export interface DasProxyObserver {
  dropped?(reason: DasProxyDropReason): void;
  /** An answer sent to an upstream: ACK or NAK (with its Error-Cause). */
  answered?(kind: DasKind, code: string, errorCause: string): void;
  /** A request sent to an AP's DAS (retries included). */
  forwarded?(ap: string): void;
  /** The AP acknowledged a Disconnect of this station (revocation can start from here). */
  disconnected?(station: StationLocation, ap: string): void;
}

export interface DasProxyOptions {
  listen: { address: string; port: number };
  /** Source address towards the APs' DAS (their radius_das_client); default any. */
  sourceAddress?: string;
  upstreams: DasUpstream[];
  locator: StationLocator;
  /** The DAS of the AP (BSS `bssid`) whose RADIUS packets come from `clientAddress`; null when it has none configured. */
  apDas(clientAddress: string, bssid: string | null): ApDasTarget | null;
  coa: 'nak' | 'disconnect';
  eventTimestampWindowS: number;
  requireEventTimestamp: boolean;
  timeoutMs: number;
  tries: number;
  maxSessionsPerRequest: number;
  logger: Logger;
  observer?: DasProxyObserver;
  /** The sender towards the APs' DAS, when shared with revocation; default one of its own. */
  client?: DasClient;
  now?: () => number;
}

/** An answer kept for retransmissions of the same request (the upstream did not hear it). */
const ANSWER_CACHE_MS = 30_000;

type ApOutcome = DasOutcome;

export class DasProxy {
  private socket: Socket | null = null;
  private readonly client: DasClient;
  private readonly ownClient: boolean;
  private readonly upstreams = new Map<string, DasUpstream>();
  private readonly seen = new Map<string, { at: number; answer: Buffer | null }>();
  private readonly dropLog = new Throttle(10, 10_000);
  private readonly now: () => number;
  private sweep: NodeJS.Timeout | null = null;

  private apDas: DasProxyOptions['apDas'];

  constructor(private readonly o: DasProxyOptions) {
    for (const u of o.upstreams) this.upstreams.set(canonical(u.address), u);
    this.apDas = o.apDas;
    this.now = o.now ?? Date.now;
    this.ownClient = !o.client;
    this.client =
      o.client ??
      new DasClient({
        ...(o.sourceAddress ? { sourceAddress: o.sourceAddress } : {}),
        timeoutMs: o.timeoutMs,
        tries: o.tries,
        logger: o.logger,
        now: this.now,
        observer: { sent: (ap) => o.observer?.forwarded?.(ap), dropped: (reason, from, detail) => this.drop(reason, from, detail) },
      });
  }

  /** A reload: new upstreams and AP DAS table; requests in flight finish with what they started with. */
  reconfigure(upstreams: DasUpstream[], apDas: DasProxyOptions['apDas']): void {
    this.upstreams.clear();
    for (const u of upstreams) this.upstreams.set(canonical(u.address), u);
    this.apDas = apDas;
  }

  async start(): Promise<{ port: number }> {
    const s = createSocket({ type: isIPv6(this.o.listen.address) ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(this.o.listen.port, this.o.listen.address, () => {
        s.off('error', reject);
        resolve();
      });
    });
    s.on('error', (e) => this.o.logger.error({ err: e.message }, 'dynamic authorization socket error'));
    s.on('message', (msg, rinfo) => this.onRequest(msg, rinfo));
    this.socket = s;
    this.sweep = setInterval(() => this.forgetOldAnswers(), ANSWER_CACHE_MS);
    this.sweep.unref();
    return { port: s.address().port };
  }

  async stop(): Promise<void> {
    if (this.sweep) clearInterval(this.sweep);
    const s = this.socket;
    this.socket = null;
    if (this.ownClient) await this.client.stop();
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  private drop(reason: DasProxyDropReason, from: string, detail?: string): void {
    this.o.observer?.dropped?.(reason);
    if (this.dropLog.allow(reason))
      this.o.logger.warn({ reason, from, ...(detail ? { detail } : {}) }, 'dynamic authorization packet dropped');
  }

  private onRequest(msg: Buffer, rinfo: RemoteInfo): void {
    const from = `${canonical(rinfo.address)}:${rinfo.port}`;
    const upstream = this.upstreams.get(canonical(rinfo.address));
    if (!upstream) return this.drop('unknown-client', from);
    const check = verifyDasRequest(msg, upstream.secret, {
      nowS: this.now() / 1000,
      windowS: this.o.eventTimestampWindowS,
      requireEventTimestamp: this.o.requireEventTimestamp,
    });
    if (!check.ok) return this.drop(check.reason, from);
    const req = check.packet;
    // A retransmission: the same identifier and authenticator from the same socket.
    const key = `${from}/${req.identifier}/${req.authenticator.toString('hex')}`;
    const seen = this.seen.get(key);
    if (seen) {
      if (seen.answer) this.socket?.send(seen.answer, rinfo.port, rinfo.address);
      else this.drop('retransmission-in-progress', from);
      return;
    }
    this.seen.set(key, { at: this.now(), answer: null });
    void this.handle(req, upstream, from).then(
      (answer) => {
        this.seen.set(key, { at: this.now(), answer });
        this.socket?.send(answer, rinfo.port, rinfo.address);
      },
      (e: Error) => {
        this.seen.delete(key);
        this.o.logger.error({ err: e.message, from }, 'dynamic authorization request failed');
      },
    );
  }

  /** The signed answer to a verified request. */
  private async handle(req: RadiusPacket, upstream: DasUpstream, from: string): Promise<Buffer> {
    const kind: DasKind = req.code === Code.DisconnectRequest ? 'disconnect' : 'coa';
    const [ackCode, nakCode] = DAS_ANSWERS.get(req.code)!;
    const answer = (outcome: ApOutcome, why: string, stations: string[] = []): Buffer => {
      const attributes: RadiusAttribute[] = [
        ...(outcome.ack ? [] : [errorCause(outcome.errorCause)]),
        eventTimestamp(this.now() / 1000),
        // Proxy-State comes back unchanged and in order (RFC 5176 §3.1).
        ...req.attributes.filter((a) => a.type === Attr.ProxyState),
      ];
      const code = outcome.ack ? ackCode : nakCode;
      const cause = outcome.ack ? 'none' : errorCauseName(outcome.errorCause);
      this.o.observer?.answered?.(kind, codeName(code), cause);
      this.o.logger.info(
        { upstream: upstream.name, from, kind, answer: codeName(code), errorCause: cause, stations, why },
        'dynamic authorization request answered',
      );
      return finishDasResponse(
        { code, identifier: req.identifier, authenticator: req.authenticator, attributes },
        req.authenticator,
        upstream.secret,
      );
    };

    const sel = sessionSelector(req);
    if (!sel.ok) return answer({ ack: false, errorCause: sel.errorCause }, sel.detail);
    const found = this.o.locator.locate(sel.selector, this.o.maxSessionsPerRequest).filter((s) => s.session !== 'ended');
    if (found.length === 0)
      return answer({ ack: false, errorCause: ErrorCause.SessionContextNotFound }, 'no such station with an open session');
    const names = found.map((s) => s.staMac);
    if (kind === 'coa' && this.o.coa === 'nak') {
      return answer(
        { ack: false, errorCause: ErrorCause.UnsupportedExtension },
        'hostapd cannot apply a CoA (radius.dynamicAuthorization.coa: nak)',
        names,
      );
    }
    // A CoA under coa: disconnect, and every Disconnect: each station's AP disconnects it.
    const outcomes = await Promise.all(found.map((s) => this.disconnectAt(s)));
    const failed = outcomes.find((r) => !r.ack);
    return answer(
      failed ?? { ack: true },
      kind === 'coa' ? 'CoA applied as a Disconnect (radius.dynamicAuthorization.coa: disconnect)' : 'relayed to the AP',
      names,
    );
  }

  /** A Disconnect-Request to the station's AP, sent until answered or out of tries. */
  private async disconnectAt(station: StationLocation): Promise<ApOutcome> {
    const target = this.apDas(station.clientAddress, station.bssid);
    if (!target) {
      this.o.logger.warn(
        { sta: station.staMac, ap: station.clientAddress },
        "the station's AP has no DAS configured (radius.clients[].das): cannot relay",
      );
      return { ack: false, errorCause: ErrorCause.RequestNotRoutable };
    }
    const r = await this.client.disconnect(station.staMac, target);
    if (r.ack) this.o.observer?.disconnected?.(station, target.name);
    return r;
  }

  private forgetOldAnswers(): void {
    const cutoff = this.now() - ANSWER_CACHE_MS;
    for (const [k, v] of this.seen) if (v.answer && v.at < cutoff) this.seen.delete(k);
  }
}
