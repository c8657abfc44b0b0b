import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { Attr, Code } from '../adapters/radius/codes.js';
import { attrInteger, attrString } from '../adapters/radius/packet.js';
import { finishAccessRequest, verifyResponse } from '../adapters/radius/authenticators.js';
import { hidePassword } from '../adapters/radius/mppe.js';

// A RADIUS load generator: Access-Requests as an FT-capable hostapd would send them (PAP so
// the upstream answers in one round trip), each from a new station MAC so the KMS creates and
// persists a record per request. Latency is measured per request in this process.

export interface LoadTarget {
  address: string;
  port: number;
  secret: string;
}

export interface LoadResult {
  sent: number;
  answered: number;
  accepts: number;
  badAnswers: number;
  seconds: number;
  latenciesMs: number[];
}

interface Outstanding {
  sentAt: number;
  authenticator: Buffer;
}

let stationCounter = 0;

function nextStation(): string {
  const n = stationCounter++;
  return `02-BE-${((n >>> 24) & 0xff).toString(16).padStart(2, '0')}-${((n >>> 16) & 0xff).toString(16).padStart(2, '0')}-${((n >>> 8) & 0xff).toString(16).padStart(2, '0')}-${(n & 0xff).toString(16).padStart(2, '0')}`.toUpperCase();
}

export function buildRequest(
  target: LoadTarget,
  identifier: number,
  user: { name: string; password: string },
): { bytes: Buffer; authenticator: Buffer } {
  const authenticator = randomBytes(16);
  const bytes = finishAccessRequest(
    {
      code: Code.AccessRequest,
      identifier,
      authenticator,
      attributes: [
        attrString(Attr.UserName, user.name),
        { type: Attr.UserPassword, value: hidePassword(user.password, target.secret, authenticator) },
        attrString(Attr.NasIdentifier, 'bench-ap.example.com'),
        attrString(Attr.CalledStationId, '02-00-00-00-03-00:bench-ssid'),
        attrString(Attr.CallingStationId, nextStation()),
        attrInteger(Attr.NasPortType, 19),
        attrInteger(Attr.MobilityDomainId, 0xa1b2),
        attrInteger(Attr.WlanPairwiseCipher, 0x000fac04),
        attrInteger(Attr.WlanAkmSuite, 0x000fac03),
      ],
    },
    target.secret,
  );
  return { bytes, authenticator };
}

class Sender {
  private readonly sockets: { socket: Socket; pending: Map<number, Outstanding>; next: number }[] = [];
  readonly result: LoadResult = { sent: 0, answered: 0, accepts: 0, badAnswers: 0, seconds: 0, latenciesMs: [] };
  onAnswer: () => void = () => {};

  constructor(
    private readonly target: LoadTarget,
    private readonly user: { name: string; password: string },
    sockets: number,
  ) {
    for (let i = 0; i < sockets; i++) {
      const socket = createSocket('udp4');
      const entry = { socket, pending: new Map<number, Outstanding>(), next: 0 };
      socket.on('message', (msg) => this.receive(entry.pending, msg));
      this.sockets.push(entry);
    }
  }

  /** Sends one request; false if every identifier on every socket is taken. */
  send(): boolean {
    const s = this.sockets.find((x) => x.pending.size < 255);
    if (!s) return false;
    let id = s.next;
    while (s.pending.has(id)) id = (id + 1) & 0xff;
    s.next = (id + 1) & 0xff;
    const { bytes, authenticator } = buildRequest(this.target, id, this.user);
    s.pending.set(id, { sentAt: performance.now(), authenticator });
    s.socket.send(bytes, this.target.port, this.target.address);
    this.result.sent++;
    return true;
  }

  get outstanding(): number {
    return this.sockets.reduce((n, s) => n + s.pending.size, 0);
  }

  close(): void {
    for (const s of this.sockets) s.socket.close();
  }

  private receive(pending: Map<number, Outstanding>, msg: Buffer): void {
    const o = pending.get(msg[1]!);
    if (!o) return;
    pending.delete(msg[1]!);
    this.result.answered++;
    this.result.latenciesMs.push(performance.now() - o.sentAt);
    const ok = verifyResponse(msg, o.authenticator, this.target.secret, { requireMessageAuthenticator: true }).ok;
    if (!ok) this.result.badAnswers++;
    else if (msg[0] === Code.AccessAccept) this.result.accepts++;
    this.onAnswer();
  }
}

/** Keeps `concurrency` requests outstanding for `durationMs`: the throughput a server sustains. */
export async function closedLoop(
  target: LoadTarget,
  user: { name: string; password: string },
  concurrency: number,
  durationMs: number,
): Promise<LoadResult> {
  const sender = new Sender(target, user, Math.ceil(concurrency / 255) + 1);
  const started = performance.now();
  let running = true;
  sender.onAnswer = () => {
    if (running) sender.send();
  };
  for (let i = 0; i < concurrency; i++) sender.send();
  await new Promise((r) => setTimeout(r, durationMs));
  running = false;
  sender.result.seconds = (performance.now() - started) / 1000;
  await drain(sender);
  return sender.result;
}

/** Sends at a fixed rate for `durationMs`, whatever the answers do: latency under a given load. */
export async function openLoop(
  target: LoadTarget,
  user: { name: string; password: string },
  ratePerS: number,
  durationMs: number,
): Promise<LoadResult> {
  const sender = new Sender(target, user, 8);
  const started = performance.now();
  const total = Math.round((ratePerS * durationMs) / 1000);
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * ratePerS));
      while (sender.result.sent < due) if (!sender.send()) break;
      if (sender.result.sent >= total) return resolve();
      setTimeout(tick, 1);
    };
    tick();
  });
  sender.result.seconds = (performance.now() - started) / 1000;
  await drain(sender);
  return sender.result;
}

async function drain(sender: Sender): Promise<void> {
  const until = performance.now() + 3000;
  while (sender.outstanding > 0 && performance.now() < until) await new Promise((r) => setTimeout(r, 20));
  sender.close();
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
