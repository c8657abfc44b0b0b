/**
 * A tiny RADIUS client on top of the project's codec, for tests that must send exactly the
 * packet they mean: accounting from a given AP, retransmissions, garbage, a wrong secret.
 */
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { Attr, Code } from '../../adapters/radius/codes.js';
import { attrInteger, attrString, type RadiusAttribute } from '../../adapters/radius/packet.js';
import { finishAccessRequest, finishAccountingRequest } from '../../adapters/radius/authenticators.js';
import { hidePassword } from '../../adapters/radius/mppe.js';

export interface Target {
  address: string;
  port: number;
}

/** Sends raw bytes from `source` (any 127.x address works on loopback) and waits for one reply. */
export function exchange(
  target: Target,
  bytes: Buffer,
  opts: { source?: string; timeoutMs?: number; repeat?: number } = {},
): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const replies: Buffer[] = [];
    const want = opts.repeat ?? 1;
    const done = () => {
      clearTimeout(timer);
      socket.close();
      resolve(replies);
    };
    const timer = setTimeout(done, opts.timeoutMs ?? 2000);
    socket.on('message', (m) => {
      replies.push(m);
      if (replies.length >= want) done();
    });
    socket.on('error', (e) => {
      clearTimeout(timer);
      socket.close();
      reject(e);
    });
    socket.bind(0, opts.source ?? '127.0.0.1', () => {
      for (let i = 0; i < want; i++) socket.send(bytes, target.port, target.address);
    });
  });
}

/**
 * Sends the same datagram `times` times from one socket (as an AP retransmits), waiting
 * `gapMs` between sends, and collects every reply.
 */
export async function retransmit(target: Target, bytes: Buffer, times: number, gapMs: number): Promise<Buffer[]> {
  const socket = createSocket('udp4');
  const replies: Buffer[] = [];
  socket.on('message', (m) => replies.push(m));
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  for (let i = 0; i < times; i++) {
    socket.send(bytes, target.port, target.address);
    await new Promise((r) => setTimeout(r, gapMs));
  }
  socket.close();
  return replies;
}

export interface PapRequest {
  secret: string;
  user: string;
  password: string;
  station: string;
  identifier?: number;
  nasIdentifier?: string;
  calledStationId?: string;
  extra?: RadiusAttribute[];
}

/** An Access-Request as hostapd would build it, with PAP instead of EAP so one round trip answers it. */
export function papRequest(r: PapRequest): Buffer {
  const authenticator = randomBytes(16);
  return finishAccessRequest(
    {
      code: Code.AccessRequest,
      identifier: r.identifier ?? 1,
      authenticator,
      attributes: [
        attrString(Attr.UserName, r.user),
        { type: Attr.UserPassword, value: hidePassword(r.password, r.secret, authenticator) },
        attrString(Attr.NasIdentifier, r.nasIdentifier ?? 'ap1.example.com'),
        attrString(Attr.CalledStationId, r.calledStationId ?? '02-00-00-00-03-00:kms-test'),
        attrString(Attr.CallingStationId, r.station.toUpperCase().replace(/:/g, '-')),
        attrInteger(Attr.NasPortType, 19),
        ...(r.extra ?? []),
      ],
    },
    r.secret,
  );
}

/**
 * An FT station's login at ap1 (BSSID 02:00:00:00:03:00) as hostapd sends it: mobility domain
 * a1b2, AKM FT over 802.1X, CCMP. With MPPE keys in the Accept, kmsd derives the station's PMK-R0.
 */
export function ftStationRequest(r: { secret: string; user: { name: string; password: string }; station: string; ssid: string }): Buffer {
  return papRequest({
    secret: r.secret,
    user: r.user.name,
    password: r.user.password,
    station: r.station,
    nasIdentifier: 'ap1.example.com',
    calledStationId: `02-00-00-00-03-00:${r.ssid}`,
    extra: [
      attrInteger(Attr.MobilityDomainId, 0xa1b2),
      attrString(Attr.WlanAkmSuite, Buffer.from([0, 0x0f, 0xac, 3])),
      attrString(Attr.WlanPairwiseCipher, Buffer.from([0, 0x0f, 0xac, 4])),
    ],
  });
}

export function accountingRequest(r: {
  secret: string;
  status: number;
  station: string;
  nasIdentifier: string;
  calledStationId: string;
  sessionId: string;
  identifier?: number;
}): Buffer {
  return finishAccountingRequest(
    {
      code: Code.AccountingRequest,
      identifier: r.identifier ?? 7,
      authenticator: Buffer.alloc(16),
      attributes: [
        attrInteger(Attr.AcctStatusType, r.status),
        attrString(Attr.NasIdentifier, r.nasIdentifier),
        attrString(Attr.CalledStationId, r.calledStationId),
        attrString(Attr.CallingStationId, r.station.toUpperCase().replace(/:/g, '-')),
        attrString(Attr.AcctSessionId, r.sessionId),
      ],
    },
    r.secret,
  );
}
