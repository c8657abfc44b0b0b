/**
 * What APs do right after the KMS restarts: every one of them retransmits at once. A burst of
 * Access-Requests (PAP, one station each) sent together from as many sockets as their
 * identifiers need, and the kernel's count of datagrams a UDP socket dropped for want of
 * receive buffer (/proc/net/udp{,6}, the `drops` column), which is the only place such a loss
 * shows: the daemon never saw those packets.
 */
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { Code } from '../../adapters/radius/codes.js';
import { verifyResponse } from '../../adapters/radius/authenticators.js';
import { papRequest } from './radius-client.js';

export interface BurstTarget {
  address: string;
  port: number;
  secret: string;
}
export interface BurstResult {
  sent: number;
  answered: number;
  accepts: number;
  badAnswers: number;
}

/**
 * Sends `n` requests at once (or at `ratePerS`, paced by the millisecond) and waits until all are
 * answered or `waitMs` has passed since the last answer.
 */
export async function radiusBurst(
  target: BurstTarget,
  n: number,
  opts: { user: string; password: string; waitMs?: number; source?: string; ratePerS?: number },
): Promise<BurstResult> {
  const perSocket = 250;
  const sockets: Socket[] = [];
  const pending = new Map<string, Buffer>();
  const result: BurstResult = { sent: 0, answered: 0, accepts: 0, badAnswers: 0 };
  let lastAnswer = performance.now();
  const requests: { socket: Socket; bytes: Buffer }[] = [];
  for (let s = 0; s * perSocket < n; s++) {
    const socket = createSocket('udp4');
    sockets.push(socket);
    await new Promise<void>((r) => socket.bind(0, opts.source ?? '127.0.0.1', () => r()));
    socket.on('message', (msg) => {
      const key = `${s}:${msg[1]}`;
      const authenticator = pending.get(key);
      if (!authenticator) return;
      pending.delete(key);
      lastAnswer = performance.now();
      result.answered++;
      if (!verifyResponse(msg, authenticator, target.secret, { requireMessageAuthenticator: true }).ok) result.badAnswers++;
      else if (msg[0] === Code.AccessAccept) result.accepts++;
    });
    for (let id = 0; id < perSocket && s * perSocket + id < n; id++) {
      const i = s * perSocket + id;
      const station = `02:b0:${((i >> 16) & 0xff).toString(16).padStart(2, '0')}:${((i >> 8) & 0xff).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}:01`;
      const bytes = papRequest({ secret: target.secret, user: opts.user, password: opts.password, station, identifier: id });
      pending.set(`${s}:${id}`, Buffer.from(bytes.subarray(4, 20)));
      requests.push({ socket, bytes });
    }
  }
  // Built first, then sent in one go: the burst reaches the socket as fast as this process can send.
  const send = (upTo: number) => {
    for (; result.sent < upTo; result.sent++) requests[result.sent]!.socket.send(requests[result.sent]!.bytes, target.port, target.address);
  };
  if (opts.ratePerS === undefined) send(requests.length);
  else {
    const started = performance.now();
    while (result.sent < requests.length) {
      send(Math.min(requests.length, Math.floor(((performance.now() - started) / 1000) * opts.ratePerS)));
      await new Promise((r) => setTimeout(r, 1));
    }
  }
  lastAnswer = performance.now();
  const waitMs = opts.waitMs ?? 3000;
  while (pending.size > 0 && performance.now() - lastAnswer < waitMs) await new Promise((r) => setTimeout(r, 20));
  for (const s of sockets) s.close();
  return result;
}

export interface UdpSocketDrops {
  local: string;
  port: number;
  drops: number;
  rxQueue: number;
}

/**
 * The UDP sockets a process holds, with their drop counts: its fds' socket inodes, found in
 * /proc/net/udp and udp6 (of the caller's network namespace).
 */
export function udpSocketDrops(pid: number): UdpSocketDrops[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // The fd closed while we looked.
    }
  }
  const out: UdpSocketDrops[] = [];
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
      if (f.length < 13 || !inodes.has(f[9]!)) continue;
      const [addr, port] = f[1]!.split(':') as [string, string];
      out.push({ local: addr, port: parseInt(port, 16), drops: Number(f[12]), rxQueue: parseInt(f[4]!.split(':')[1]!, 16) });
    }
  }
  return out;
}
