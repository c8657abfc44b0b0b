// The one place the KMS sends a Disconnect-Request to an AP's DAS (hostapd radius_das_port) and
// waits for its ACK or NAK, resending until answered or out of tries. The dynamic authorization
// proxy relays upstreams' Disconnects through it (das-proxy.ts); revocation sends its own
// (das-disconnecter.ts). hostapd's DAS deauthenticates the station and removes its PMKSA cache
// entries; with no such station it still removes a PMKSA entry for that MAC and ACKs.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../daemon/log/logger.js';
import { Attr, Code, ErrorCause } from './codes.js';
import { attrString, type RadiusAttribute } from './packet.js';
import { eventTimestamp, finishDasRequest, verifyDasResponse } from './dynamic-authorization.js';

/** Where one AP's DAS listens, and the secret it shares with the KMS. */
export interface ApDasTarget {
  /** The radius.clients entry (for logs and metrics). */
  name: string;
  address: string;
  port: number;
  secret: Buffer;
}

/** What the AP's DAS answered; `timedOut` when it answered nothing in all tries. */
export type DasOutcome = { ack: true } | { ack: false; errorCause: number; timedOut?: true };

export type DasAnswerDropReason = 'ap-answer-unexpected' | 'ap-answer-invalid';

export interface DasClientOptions {
  /** Source address towards the APs' DAS (their radius_das_client); default any. */
  sourceAddress?: string;
  timeoutMs: number;
  tries: number;
  logger: Logger;
  observer?: {
    /** A request sent to an AP's DAS (retries included). */
    sent?(ap: string): void;
    dropped?(reason: DasAnswerDropReason, from: string, detail?: string): void;
  };
  now?: () => number;
}

interface Pending {
  code: number;
  authenticator: Buffer;
  target: ApDasTarget;
  resolve(r: DasOutcome): void;
}

export class DasClient {
  /** Sockets towards the APs' DAS, one per family, on ephemeral ports. */
  private readonly out = new Map<'udp4' | 'udp6', Promise<Socket>>();
  private readonly pending = new Map<string, Pending>();
  private readonly nextId = new Map<string, number>();
  private readonly now: () => number;
  private stopped = false;

  constructor(private readonly o: DasClientOptions) {
    this.now = o.now ?? Date.now;
  }

  /** A Disconnect-Request for `staMac` to `target`, sent until answered or out of tries. */
  async disconnect(staMac: string, target: ApDasTarget): Promise<DasOutcome> {
    if (this.stopped) return { ack: false, errorCause: ErrorCause.OtherProxyProcessingError };
    const socket = await this.outSocket(isIPv6(target.address) ? 'udp6' : 'udp4');
    const dest = `${canonical(target.address)}|${target.port}`;
    const id = this.allocateId(dest);
    if (id === null) return { ack: false, errorCause: ErrorCause.ResourcesUnavailable };
    const attributes: RadiusAttribute[] = [
      // hostapd matches the station by this alone; NAS identification is left out because a
      // request names the KMS or the AP the station first joined, not the one it is at now.
      attrString(Attr.CallingStationId, staMac.replace(/:/g, '-').toUpperCase()),
      eventTimestamp(this.now() / 1000),
    ];
    const bytes = finishDasRequest(
      { code: Code.DisconnectRequest, identifier: id, authenticator: Buffer.alloc(16), attributes },
      target.secret,
    );
    const authenticator = Buffer.from(bytes.subarray(4, 20));
    const key = `${dest}|${id}`;
    return new Promise<DasOutcome>((resolve) => {
      let tries = 0;
      let timer: NodeJS.Timeout | null = null;
      const finish = (r: DasOutcome) => {
        if (timer) clearTimeout(timer);
        this.pending.delete(key);
        resolve(r);
      };
      this.pending.set(key, { code: Code.DisconnectRequest, authenticator, target, resolve: finish });
      const send = () => {
        if (tries++ >= this.o.tries) {
          this.o.logger.warn(
            { sta: staMac, ap: target.name, das: `${target.address}:${target.port}`, tries: this.o.tries },
            "the AP's DAS did not answer",
          );
          return finish({ ack: false, errorCause: ErrorCause.OtherProxyProcessingError, timedOut: true });
        }
        this.o.observer?.sent?.(target.name);
        socket.send(bytes, target.port, target.address);
        timer = setTimeout(send, this.o.timeoutMs);
      };
      send();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const p of this.pending.values()) p.resolve({ ack: false, errorCause: ErrorCause.OtherProxyProcessingError });
    const all = await Promise.all([...this.out.values()].map((p) => p.catch(() => null)));
    this.out.clear();
    await Promise.all(all.filter((s): s is Socket => s !== null).map((s) => new Promise<void>((r) => s.close(() => r()))));
  }

  private onAnswer(msg: Buffer, rinfo: RemoteInfo): void {
    const from = `${canonical(rinfo.address)}:${rinfo.port}`;
    if (msg.length < 20) return this.o.observer?.dropped?.('ap-answer-unexpected', from);
    const p = this.pending.get(`${canonical(rinfo.address)}|${rinfo.port}|${msg[1]}`);
    if (!p) return this.o.observer?.dropped?.('ap-answer-unexpected', from);
    const v = verifyDasResponse(msg, p.code, p.authenticator, p.target.secret);
    // A bad answer is not the answer: the retries go on (it may be forged).
    if (!v.ok) return this.o.observer?.dropped?.('ap-answer-invalid', from, v.reason);
    p.resolve(
      v.packet.code === Code.DisconnectAck
        ? { ack: true }
        : { ack: false, errorCause: v.errorCause ?? ErrorCause.OtherProxyProcessingError },
    );
  }

  private outSocket(family: 'udp4' | 'udp6'): Promise<Socket> {
    const have = this.out.get(family);
    if (have) return have;
    const s = createSocket({ type: family });
    const source =
      this.o.sourceAddress !== undefined && (isIPv6(this.o.sourceAddress) ? 'udp6' : 'udp4') === family ? this.o.sourceAddress : undefined;
    // Two first requests at once (a revocation tells several APs together) share one socket.
    const ready = new Promise<Socket>((resolve, reject) => {
      s.once('error', reject);
      s.bind(0, source, () => {
        s.off('error', reject);
        s.on('error', (e) => this.o.logger.error({ err: e.message }, 'dynamic authorization socket towards the APs failed'));
        s.on('message', (msg, rinfo) => this.onAnswer(msg, rinfo));
        resolve(s);
      });
    });
    this.out.set(family, ready);
    return ready;
  }

  /** A free identifier towards one AP DAS, or null when 256 requests to it are in flight. */
  private allocateId(dest: string): number | null {
    const start = this.nextId.get(dest) ?? randomBytes(1)[0]!;
    for (let i = 0; i < 256; i++) {
      const id = (start + i) & 0xff;
      if (!this.pending.has(`${dest}|${id}`)) {
        this.nextId.set(dest, (id + 1) & 0xff);
        return id;
      }
    }
    return null;
  }
}

/** Node reports IPv4 senders on a dual-stack socket as ::ffff:a.b.c.d. */
export function canonical(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address.toLowerCase();
}
