import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { randomOctets } from '../../daemon/common/random-pool.js';
import { Throttle } from '../../daemon/common/throttle.js';
import { isIPv6 } from 'node:net';
import type { StationLearner } from '../../daemon/ports/station-learner.js';
import { Attr, Code, codeName } from './codes.js';
import { decodePacket, RadiusDecodeError, type RadiusAttribute, type RadiusPacket } from './packet.js';
import { finishAccessRequest, finishAccountingRequest, finishResponse, verifyRequest, verifyResponse } from './authenticators.js';
import { ClientTable, type RadiusClient } from './clients.js';
import { DuplicateCache } from './duplicate-cache.js';
import { UpstreamPool, type RequestKind, type UpstreamServer, type UpstreamServerConfig } from './upstream-pool.js';
import { rewriteRequestAttributes, rewriteResponseAttributes } from './rewrite.js';
import { acceptFacts, accountingFacts, requestStation } from './station-facts.js';
import { rejectLogFields } from './reject-log.js';

// The KMS's RADIUS face: APs use it as their auth and accounting server; it forwards to the
// real AAA servers, relays the answers, and on every Access-Accept hands the station's facts and
// MSK to the core *before* relaying, so no AP ever holds a session the KMS forgot.
// Message-Authenticator is required from APs and from upstream, and placed first on everything
// the KMS sends (BlastRADIUS, CVE-2024-3596).

export interface ProxyLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * Counters the daemon turns into metrics. Every dropped packet goes through `dropped`. `ap` is
 * the name of the RADIUS client the packet came from ('' when it came from none): a bounded set,
 * one per configured client however many APs a prefix client covers.
 */
export interface ProxyObserver {
  dropped(reason: string, ap: string): void;
  forwarded(kind: RequestKind, server: string, ap: string): void;
  answered(kind: RequestKind, code: string, server: string, seconds: number, ap: string): void;
  upstreamState(server: string, alive: boolean): void;
}

export interface RadiusProxyOptions {
  authListen: { address: string; port: number };
  acctListen: { address: string; port: number };
  clients: RadiusClient[];
  upstreams: UpstreamServerConfig[];
  learner: StationLearner;
  deadProbeIntervalMs: number;
  duplicateWindowMs: number;
  maxInFlight: number;
  /** SO_RCVBUF asked for on the auth and accounting sockets; absent: the kernel's default. */
  recvBufferBytes?: number;
  logger: ProxyLogger;
  observer?: ProxyObserver;
}

/** A listening socket's receive buffer: what was asked, what the kernel gave, and whether it capped it. */
export interface ReceiveBuffer {
  requested: number | null;
  bytes: number;
  capped: boolean;
}

interface Transaction {
  kind: RequestKind;
  client: RadiusClient;
  from: RemoteInfo;
  request: RadiusPacket;
  /** The duplicate cache's handle of this request. */
  dupHandle: number;
  startedAt: number;
  servers: UpstreamServer[];
  serverIndex: number;
  triesOnServer: number;
  /** When the request was first sent to the current server: its silence is judged from then. */
  sentToServerAt: number;
  proxyState: Buffer;
  release: (() => void) | null;
  timer: NodeJS.Timeout | null;
}

const ACCEPTED: Record<RequestKind, ReadonlySet<number>> = {
  auth: new Set([Code.AccessAccept, Code.AccessReject, Code.AccessChallenge]),
  acct: new Set([Code.AccountingResponse]),
};

/** What a reload may change while the proxy runs (kmsd's SIGHUP). */
export interface RadiusProxyTables {
  clients: RadiusClient[];
  upstreams: UpstreamServerConfig[];
  deadProbeIntervalMs: number;
}

export class RadiusProxy {
  // Replaced whole by reconfigure(): a request looks the table up once, on arrival, and keeps
  // the client (and its secret) it was received with until it is answered.
  private clients: ClientTable;
  private deadProbeIntervalMs: number;
  private readonly pool: UpstreamPool;
  private readonly duplicates: DuplicateCache;
  private readonly sockets: Partial<Record<RequestKind, Socket>> = {};
  private inFlight = 0;
  private readonly dropLog = new Throttle(10, 10_000);

  constructor(private readonly opts: RadiusProxyOptions) {
    this.clients = new ClientTable(opts.clients);
    this.deadProbeIntervalMs = opts.deadProbeIntervalMs;
    this.duplicates = new DuplicateCache(opts.duplicateWindowMs, opts.maxInFlight * 8);
    this.pool = new UpstreamPool(opts.upstreams, opts.maxInFlight, {
      stateChanged: (server, alive, why) => {
        // A retired server's state is nobody's business: its name may now belong to its successor.
        if (server.retired) return;
        const log = { upstream: server.config.name, address: server.config.address, why };
        if (alive) opts.logger.info(log, 'upstream AAA server is answering again');
        else opts.logger.error(log, 'upstream AAA server marked dead; probing it with Status-Server');
        opts.observer?.upstreamState(server.config.name, alive);
      },
      stray: (reason) => this.drop(reason, {}),
      log: (level, detail, msg) => opts.logger[level](detail, msg),
    });
  }

  async start(): Promise<{ authPort: number; acctPort: number; recvBuffers: Record<RequestKind, ReceiveBuffer> }> {
    const authPort = await this.listen('auth', this.opts.authListen);
    const acctPort = await this.listen('acct', this.opts.acctListen);
    return { authPort, acctPort, recvBuffers: { auth: this.receiveBuffer('auth'), acct: this.receiveBuffer('acct') } };
  }

  /**
   * Linux doubles the SO_RCVBUF it is given (the rest is its bookkeeping) after capping the
   * value at net.core.rmem_max: less than twice the request means the cap was hit.
   */
  private receiveBuffer(kind: RequestKind): ReceiveBuffer {
    const bytes = this.sockets[kind]!.getRecvBufferSize();
    const requested = this.opts.recvBufferBytes ?? null;
    const factor = process.platform === 'linux' ? 2 : 1;
    return { requested, bytes, capped: requested !== null && bytes < requested * factor };
  }

  async stop(): Promise<void> {
    this.pool.close();
    await Promise.all(Object.values(this.sockets).map((s) => new Promise<void>((r) => s!.close(() => r()))));
  }

  /**
   * Swaps in a reload's clients and upstreams at once (one synchronous step on this thread, so
   * no request sees half of each). Requests already forwarded keep their client and upstream.
   */
  reconfigure(t: RadiusProxyTables): { kept: string[]; added: string[]; retired: string[]; inFlight: number } {
    this.clients = new ClientTable(t.clients);
    this.deadProbeIntervalMs = t.deadProbeIntervalMs;
    return { ...this.pool.replace(t.upstreams), inFlight: this.inFlight };
  }

  status(): { inFlight: number; upstreams: { name: string; alive: boolean }[] } {
    return { inFlight: this.inFlight, upstreams: this.pool.servers.map((s) => ({ name: s.config.name, alive: s.alive })) };
  }

  private listen(kind: RequestKind, where: { address: string; port: number }): Promise<number> {
    const socket = createSocket({
      type: isIPv6(where.address) ? 'udp6' : 'udp4',
      reuseAddr: false,
      ...(this.opts.recvBufferBytes ? { recvBufferSize: this.opts.recvBufferBytes } : {}),
    });
    this.sockets[kind] = socket;
    socket.on('message', (msg, rinfo) => {
      try {
        this.onRequest(kind, msg, rinfo);
      } catch (e) {
        // A bug in handling one packet must not take the daemon down for every other AP.
        this.opts.logger.error({ err: (e as Error).message, from: rinfo.address }, 'internal error handling a RADIUS request');
        this.drop('internal-error', {});
      }
    });
    socket.on('error', (e) => this.opts.logger.error({ err: e.message, kind }, 'RADIUS listening socket error'));
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(where.port, where.address, () => {
        socket.off('error', reject);
        resolve(socket.address().port);
      });
    });
  }

  private onRequest(kind: RequestKind, msg: Buffer, from: RemoteInfo): void {
    const client = this.clients.lookup(from.address);
    if (!client) return this.drop('unknown-client', { from: from.address });
    let request: RadiusPacket;
    try {
      request = decodePacket(msg);
    } catch (e) {
      if (e instanceof RadiusDecodeError) return this.drop(`malformed-${e.reason}`, { client: client.name });
      throw e;
    }
    const expected = kind === 'auth' ? Code.AccessRequest : Code.AccountingRequest;
    if (request.code !== expected && request.code !== Code.StatusServer) {
      return this.drop('unexpected-code', { client: client.name, code: codeName(request.code) });
    }
    const verdict = verifyRequest(msg, client.secret, { requireMessageAuthenticator: request.code === Code.AccessRequest }, request);
    if (!verdict.ok) return this.drop(verdict.reason, { client: client.name, code: codeName(request.code) });

    if (request.code === Code.StatusServer) return this.answerStatusServer(kind, client, request, from);

    const dup = this.duplicates.check(from.address, from.port, request.code, request.identifier, request.authenticator);
    if (dup.kind === 'in-flight') return this.drop('duplicate-in-flight', { client: client.name });
    if (dup.kind === 'answered') {
      this.opts.observer?.dropped('duplicate-answered-from-cache', client.name);
      this.sockets[kind]!.send(dup.reply, from.port, from.address);
      return;
    }
    if (this.inFlight >= this.opts.maxInFlight) {
      this.duplicates.forget(dup.handle);
      return this.drop('in-flight-limit', { client: client.name });
    }
    if (kind === 'acct') this.learnAccounting(request, client, from);

    this.inFlight++;
    this.forward({
      kind,
      client,
      from,
      request,
      dupHandle: dup.handle,
      startedAt: performance.now(),
      servers: this.pool.order(),
      serverIndex: 0,
      triesOnServer: 0,
      sentToServerAt: 0,
      proxyState: randomOctets(8),
      release: null,
      timer: null,
    });
  }

  private forward(tx: Transaction): void {
    // Failing over to a server a reload took out of service would resurrect it: skip it. (A
    // server the request is already on keeps it until its tries are used up.)
    while (tx.triesOnServer === 0 && tx.servers[tx.serverIndex]?.retired) tx.serverIndex++;
    const server = tx.servers[tx.serverIndex];
    if (!server) return this.fail(tx, 'no-upstream-answer');
    const secret = server.config.secret;
    const release = server.sockets(tx.kind).send((identifier) => {
      // Access-Request authenticators are random; an Accounting-Request's is computed over the packet.
      const authenticator = tx.kind === 'auth' ? randomOctets(16) : Buffer.allocUnsafe(16).fill(0);
      const attributes = rewriteRequestAttributes(
        tx.request.attributes,
        { secret: tx.client.secret, authenticator: tx.request.authenticator },
        { secret, authenticator },
      );
      attributes.push({ type: Attr.ProxyState, value: tx.proxyState });
      const packet = { code: tx.request.code, identifier, authenticator, attributes };
      const bytes = tx.kind === 'auth' ? finishAccessRequest(packet, secret) : finishAccountingRequest(packet, secret);
      const sent = Buffer.from(bytes.subarray(4, 20));
      return { bytes, pending: { authenticator: sent, onAnswer: (reply) => this.onAnswer(tx, server, reply, sent) } };
    });
    if (!release) return this.fail(tx, 'upstream-identifiers-exhausted');
    tx.release = release;
    if (tx.triesOnServer === 0) tx.sentToServerAt = performance.now();
    this.opts.observer?.forwarded(tx.kind, server.config.name, tx.client.name);
    tx.timer = setTimeout(() => this.onTimeout(tx, server), server.tryTimeoutMs);
  }

  private onTimeout(tx: Transaction, server: UpstreamServer): void {
    tx.release?.();
    tx.triesOnServer++;
    if (tx.triesOnServer >= server.triesPerRequest) {
      // Dead only if the server answers nothing at all (UpstreamServer.requestUnanswered).
      if (server.requestUnanswered(tx.sentToServerAt, this.deadProbeIntervalMs)) {
        this.opts.logger.warn(
          { upstream: server.config.name, tries: tx.triesOnServer },
          'upstream AAA server answered nothing since a request was sent; probing it with Status-Server',
        );
      }
      tx.serverIndex++;
      tx.triesOnServer = 0;
    }
    this.forward(tx);
    if (this.pool.retiring.size > 0) this.pool.reap();
  }

  private onAnswer(tx: Transaction, server: UpstreamServer, reply: Buffer, ourAuthenticator: Buffer): void {
    const secret = server.config.secret;
    let answer: RadiusPacket;
    try {
      answer = decodePacket(reply);
    } catch (e) {
      // Same reason labels as verifyResponse gives for a packet it cannot decode.
      if (e instanceof RadiusDecodeError)
        return this.drop(`upstream-${e.reason}`, { upstream: server.config.name, client: tx.client.name });
      throw e;
    }
    const verdict = verifyResponse(reply, ourAuthenticator, secret, { requireMessageAuthenticator: tx.kind === 'auth' }, answer);
    // A forged or corrupted answer is dropped and the real one is still awaited.
    if (!verdict.ok) return this.drop(`upstream-${verdict.reason}`, { upstream: server.config.name, client: tx.client.name });
    if (!ACCEPTED[tx.kind].has(answer.code))
      return this.drop('upstream-unexpected-code', { upstream: server.config.name, client: tx.client.name });

    this.settle(tx);
    server.markAnswered();
    const attrs = withoutOurProxyState(answer.attributes, tx.proxyState);
    let rewritten;
    try {
      rewritten = rewriteResponseAttributes(
        attrs,
        { secret, authenticator: ourAuthenticator },
        { secret: tx.client.secret, authenticator: tx.request.authenticator },
      );
    } catch (e) {
      if (!(e instanceof RadiusDecodeError)) throw e;
      this.duplicates.forget(tx.dupHandle);
      return this.drop(`upstream-${e.reason}`, { upstream: server.config.name, client: tx.client.name });
    }
    const bytes = finishResponse(
      { code: answer.code, identifier: tx.request.identifier, authenticator: tx.request.authenticator, attributes: rewritten.attributes },
      tx.request.authenticator,
      tx.client.secret,
    );
    const relay = () => {
      this.duplicates.answered(tx.dupHandle, bytes);
      this.sockets[tx.kind]!.send(bytes, tx.from.port, tx.from.address);
      this.opts.observer?.answered(
        tx.kind,
        codeName(answer.code),
        server.config.name,
        (performance.now() - tx.startedAt) / 1000,
        tx.client.name,
      );
      if (answer.code === Code.AccessReject) this.logReject(tx, answer, server);
    };
    if (answer.code === Code.AccessAccept) void this.learnAccept(tx, answer, rewritten.msk).then(relay);
    else relay();
  }

  /** Never rejects: a record that cannot be saved is logged and counted, and the Accept still goes out. */
  private async learnAccept(tx: Transaction, accept: RadiusPacket, msk: Buffer | null): Promise<void> {
    const staMac = requestStation(tx.request);
    if (!staMac) {
      this.opts.logger.warn(
        { client: tx.client.name },
        'Access-Accept for a request without a valid Calling-Station-Id: no station record',
      );
      return;
    }
    const { facts, problems } = acceptFacts(tx.request, accept, tx.from.address, staMac, msk);
    for (const p of problems) this.opts.logger.warn({ sta: staMac, client: tx.client.name }, p);
    try {
      await this.opts.learner.onAccessAccept(facts);
    } catch (e) {
      // The station still gets its network; the operator gets an error and a counter.
      this.opts.logger.error({ sta: staMac, err: (e as Error).message }, 'station record NOT saved; relaying the Accept anyway');
      this.opts.observer?.dropped('record-not-saved', tx.client.name);
    }
  }

  private learnAccounting(request: RadiusPacket, client: RadiusClient, from: RemoteInfo): void {
    // The sender's address, not the client's: a prefix client is many APs.
    const facts = accountingFacts(request, from.address);
    if (!facts) return;
    try {
      this.opts.learner.onAccounting(facts);
    } catch (e) {
      this.opts.logger.error({ client: client.name, err: (e as Error).message }, 'accounting update not applied');
    }
  }

  private answerStatusServer(kind: RequestKind, client: RadiusClient, request: RadiusPacket, from: RemoteInfo): void {
    const code = kind === 'auth' ? Code.AccessAccept : Code.AccountingResponse;
    const bytes = finishResponse(
      { code, identifier: request.identifier, authenticator: request.authenticator, attributes: [] },
      request.authenticator,
      client.secret,
    );
    this.sockets[kind]!.send(bytes, from.port, from.address);
  }

  private settle(tx: Transaction): void {
    if (tx.timer) clearTimeout(tx.timer);
    tx.release?.();
    tx.timer = null;
    this.inFlight--;
    if (this.pool.retiring.size > 0) this.pool.reap();
  }

  private fail(tx: Transaction, reason: string): void {
    if (tx.timer) clearTimeout(tx.timer);
    this.inFlight--;
    this.duplicates.forget(tx.dupHandle);
    this.drop(reason, { client: tx.client.name, code: codeName(tx.request.code) });
    if (this.pool.retiring.size > 0) this.pool.reap();
  }

  /** Every relayed Access-Reject, one line: who, where, and the AAA server's reason; never a secret (reject-log.ts). */
  private logReject(tx: Transaction, reject: RadiusPacket, server: UpstreamServer): void {
    const f = rejectLogFields(tx.request, reject);
    this.opts.logger.info(
      {
        ap: tx.client.name,
        from: tx.from.address,
        nasIdentifier: f.nasIdentifier,
        sta: f.sta,
        identity: f.identity,
        reason: f.reason ?? 'no Reply-Message from the AAA server',
        upstream: server.config.name,
      },
      'login rejected',
    );
  }

  /** `context.client`, when known, is the RADIUS client (AP) the packet came from. */
  private drop(reason: string, context: Record<string, string>): void {
    this.opts.observer?.dropped(reason, context.client ?? '');
    // Retransmissions are normal; everything else is worth a line, but a flood must not fill the disk.
    if (reason.startsWith('duplicate')) return;
    if (this.dropLog.allow(reason)) this.opts.logger.warn({ reason, ...context }, 'RADIUS packet dropped');
  }
}

/** The upstream echoes our Proxy-State last (RFC 2865 §5.33); the AP must not see it. */
function withoutOurProxyState(attrs: RadiusAttribute[], ours: Buffer): RadiusAttribute[] {
  for (let i = attrs.length - 1; i >= 0; i--) {
    const a = attrs[i]!;
    if (a.type === Attr.ProxyState && a.value.equals(ours)) return [...attrs.slice(0, i), ...attrs.slice(i + 1)];
  }
  return attrs;
}
