import { afterEach, describe, expect, it } from 'vitest';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { DasProxy, type DasProxyOptions } from '../../../adapters/radius/das-proxy.js';
import { Attr, Code, attrInteger, attrString, getInteger, getAttrs, type RadiusPacket } from '../../../adapters/radius/index.js';
import {
  finishDasRequest,
  finishDasResponse,
  verifyDasRequest,
  verifyDasResponse,
} from '../../../adapters/radius/dynamic-authorization.js';
import { createLogger } from '../../../daemon/log/logger.js';
import type { StationLocation, StationQuery } from '../../../daemon/records/station-locator.js';
import { Prng } from '../../helpers/prng.js';

// The proxy's own logic over real loopback sockets. The APs here are stand-ins built from the
// codec, because what is tested is what hostapd cannot be made to do on demand: stay silent,
// answer with a forged packet, or be two APs with one user. The path through a real hostapd is
// test/integration/kms-das.test.ts.

const UP_SECRET = Buffer.from('upstream-secret');
const AP_SECRET = Buffer.from('ap-secret');
const open: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.stop();
});

/** An AP DAS: answers Disconnect-Requests with `answer(staMac)` (null = silent). */
async function standInAp(answer: (staMac: string) => number | 'ack' | null, secret = AP_SECRET) {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const seen: string[] = [];
  s.on('message', (msg, rinfo) => {
    const v = verifyDasRequest(msg, AP_SECRET, { nowS: Date.now() / 1000, windowS: 300, requireEventTimestamp: true });
    if (!v.ok) return;
    const sta = v.packet.attributes.find((a) => a.type === Attr.CallingStationId)!.value.toString();
    seen.push(sta);
    const a = answer(sta);
    if (a === null) return;
    const p: RadiusPacket = {
      code: a === 'ack' ? Code.DisconnectAck : Code.DisconnectNak,
      identifier: v.packet.identifier,
      authenticator: v.packet.authenticator,
      attributes: a === 'ack' ? [] : [attrInteger(Attr.ErrorCause, a)],
    };
    s.send(finishDasResponse(p, v.packet.authenticator, secret), rinfo.port, rinfo.address);
  });
  open.push({ stop: () => new Promise<void>((r) => s.close(() => r())) });
  return { port: s.address().port, seen, socket: s };
}

function station(staMac: string, clientAddress = '127.0.0.1', session: StationLocation['session'] = 'active'): StationLocation {
  return { staMac, clientAddress, nasIdentifier: null, bssid: null, session, identity: 'alice' };
}

async function startProxy(stations: StationLocation[], apPorts: Map<string, number>, over: Partial<DasProxyOptions> = {}) {
  const counts = new Map<string, number>();
  const bump = (k: string) => counts.set(k, (counts.get(k) ?? 0) + 1);
  const proxy = new DasProxy({
    listen: { address: '127.0.0.1', port: 0 },
    upstreams: [{ name: 'aaa', address: '127.0.0.1', secret: UP_SECRET }],
    locator: {
      locate: (q: StationQuery, limit) =>
        stations
          .filter((s) => (q.staMac === null || s.staMac === q.staMac) && (q.userName === null || s.identity === q.userName))
          .slice(0, limit),
    },
    // Each "AP" is told apart by its station's client address label, all on loopback.
    apDas: (clientAddress) =>
      apPorts.has(clientAddress)
        ? { name: clientAddress, address: '127.0.0.1', port: apPorts.get(clientAddress)!, secret: AP_SECRET }
        : null,
    coa: 'nak',
    eventTimestampWindowS: 300,
    requireEventTimestamp: true,
    timeoutMs: 100,
    tries: 3,
    maxSessionsPerRequest: 16,
    logger: createLogger('fatal'),
    observer: {
      dropped: (r) => bump(`dropped:${r}`),
      forwarded: (ap) => bump(`forwarded:${ap}`),
      answered: (k, c, e) => bump(`${k}:${c}:${e}`),
    },
    ...over,
  });
  const { port } = await proxy.start();
  open.push(proxy);
  return { port, counts };
}

async function upstream() {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  open.push({ stop: () => new Promise<void>((r) => s.close(() => r())) });
  return s;
}

async function ask(
  s: Socket,
  port: number,
  p: Omit<RadiusPacket, 'authenticator'>,
  raw?: Buffer,
): Promise<{ packet: RadiusPacket; bytes: Buffer; request: Buffer }> {
  const request =
    raw ??
    finishDasRequest(
      {
        ...p,
        authenticator: Buffer.alloc(16),
        attributes: [...p.attributes, attrInteger(Attr.EventTimestamp, Math.floor(Date.now() / 1000))],
      },
      UP_SECRET,
    );
  // Sent again every 500 ms as an AAA server would (a flood may fill the socket's buffer);
  // answers to earlier requests may still arrive: take the one for this identifier.
  s.send(request, port, '127.0.0.1');
  const again = setInterval(() => s.send(request, port, '127.0.0.1'), 500);
  let bytes: Buffer;
  try {
    do [bytes] = (await once(s, 'message')) as [Buffer];
    while (bytes[1] !== request[1] || bytes.length < 20);
  } finally {
    clearInterval(again);
  }
  const v = verifyDasResponse(bytes, request[0]!, request.subarray(4, 20), UP_SECRET);
  if (!v.ok) throw new Error(`answer does not verify: ${v.reason}`);
  return { packet: v.packet, bytes, request };
}

const CSI = (mac: string) => attrString(Attr.CallingStationId, mac);

describe('DasProxy', () => {
  it("relays the AP's NAK with its Error-Cause, and echoes Proxy-State in order", async () => {
    const ap = await standInAp(() => 503);
    const { port } = await startProxy([station('02:00:00:00:00:01')], new Map([['127.0.0.1', ap.port]]));
    const up = await upstream();
    const { packet } = await ask(up, port, {
      code: Code.DisconnectRequest,
      identifier: 7,
      attributes: [CSI('02-00-00-00-00-01'), attrString(Attr.ProxyState, 'one'), attrString(Attr.ProxyState, 'two')],
    });
    expect(packet.code).toBe(Code.DisconnectNak);
    expect(packet.identifier).toBe(7);
    expect(getInteger(packet, Attr.ErrorCause)).toBe(503);
    expect(getAttrs(packet, Attr.ProxyState).map((a) => a.value.toString())).toEqual(['one', 'two']);
    expect(ap.seen).toEqual(['02-00-00-00-00-01']);
  });

  it('an AP that stays silent: asked `tries` times, then NAK 505; an AP without a DAS: NAK 502; an ended session: NAK 503', async () => {
    const ap = await standInAp(() => null);
    const { port, counts } = await startProxy(
      [station('02:00:00:00:00:01'), station('02:00:00:00:00:02', '10.9.9.9'), station('02:00:00:00:00:03', '127.0.0.1', 'ended')],
      new Map([['127.0.0.1', ap.port]]),
    );
    const up = await upstream();
    const silent = await ask(up, port, { code: Code.DisconnectRequest, identifier: 1, attributes: [CSI('02:00:00:00:00:01')] });
    expect(getInteger(silent.packet, Attr.ErrorCause)).toBe(505);
    expect(counts.get('forwarded:127.0.0.1')).toBe(3);
    expect(
      getInteger(
        (await ask(up, port, { code: Code.DisconnectRequest, identifier: 2, attributes: [CSI('02:00:00:00:00:02')] })).packet,
        Attr.ErrorCause,
      ),
    ).toBe(502);
    expect(
      getInteger(
        (await ask(up, port, { code: Code.DisconnectRequest, identifier: 3, attributes: [CSI('02:00:00:00:00:03')] })).packet,
        Attr.ErrorCause,
      ),
    ).toBe(503);
  });

  it('a User-Name on two APs: both disconnect, one ACK', async () => {
    const a = await standInAp(() => 'ack');
    const b = await standInAp(() => 'ack');
    const { port } = await startProxy(
      [station('02:00:00:00:00:01', 'ap-a'), station('02:00:00:00:00:02', 'ap-b')],
      new Map([
        ['ap-a', a.port],
        ['ap-b', b.port],
      ]),
    );
    const up = await upstream();
    const { packet } = await ask(up, port, {
      code: Code.DisconnectRequest,
      identifier: 4,
      attributes: [attrString(Attr.UserName, 'alice')],
    });
    expect(packet.code).toBe(Code.DisconnectAck);
    expect([a.seen, b.seen]).toEqual([['02-00-00-00-00-01'], ['02-00-00-00-00-02']]);
  });

  it('a retransmission gets the same answer again without asking the AP twice', async () => {
    const ap = await standInAp(() => 'ack');
    const { port } = await startProxy([station('02:00:00:00:00:01')], new Map([['127.0.0.1', ap.port]]));
    const up = await upstream();
    const first = await ask(up, port, { code: Code.DisconnectRequest, identifier: 5, attributes: [CSI('02:00:00:00:00:01')] });
    const again = await ask(up, port, { code: Code.DisconnectRequest, identifier: 5, attributes: [] }, first.request);
    expect(again.bytes.equals(first.bytes)).toBe(true);
    expect(ap.seen).toHaveLength(1);
  });

  it('a forged AP answer is dropped and counted, never taken for the answer', async () => {
    const forger = await standInAp(() => 'ack', Buffer.from('wrong'));
    const { port, counts } = await startProxy([station('02:00:00:00:00:01', 'forged')], new Map([['forged', forger.port]]));
    const up = await upstream();
    const r = await ask(up, port, { code: Code.DisconnectRequest, identifier: 6, attributes: [CSI('02:00:00:00:00:01')] });
    expect(getInteger(r.packet, Attr.ErrorCause)).toBe(505);
    expect(counts.get('dropped:ap-answer-invalid')).toBeGreaterThanOrEqual(1);
  });

  it('CoA under coa: nak is a NAK 406 and reaches no AP; under coa: disconnect it is a Disconnect and a CoA-ACK', async () => {
    const ap = await standInAp(() => 'ack');
    const nak = await startProxy([station('02:00:00:00:00:01')], new Map([['127.0.0.1', ap.port]]));
    const up = await upstream();
    const coa = { code: Code.CoaRequest, identifier: 8, attributes: [CSI('02:00:00:00:00:01'), attrString(Attr.FilterId, 'guest')] };
    const r1 = await ask(up, nak.port, coa);
    expect([r1.packet.code, getInteger(r1.packet, Attr.ErrorCause)]).toEqual([Code.CoaNak, 406]);
    expect(ap.seen).toEqual([]);
    const dis = await startProxy([station('02:00:00:00:00:01')], new Map([['127.0.0.1', ap.port]]), { coa: 'disconnect' });
    const r2 = await ask(up, dis.port, { ...coa, identifier: 9 });
    expect(r2.packet.code).toBe(Code.CoaAck);
    expect(ap.seen).toEqual(['02-00-00-00-00-01']);
  });

  it('20,000 hostile datagrams: each dropped with a reason or answered, and the proxy still serves', async () => {
    const ap = await standInAp(() => 'ack');
    const { port, counts } = await startProxy([station('02:00:00:00:00:01')], new Map([['127.0.0.1', ap.port]]));
    const up = await upstream();
    const rng = new Prng(0xda5e);
    const good = finishDasRequest(
      {
        code: Code.DisconnectRequest,
        identifier: 1,
        authenticator: Buffer.alloc(16),
        attributes: [CSI('02:00:00:00:00:01'), attrInteger(Attr.EventTimestamp, Math.floor(Date.now() / 1000))],
      },
      UP_SECRET,
    );
    for (let i = 0; i < 20_000; i++) {
      const b = rng.chance(0.5) ? rng.bytes(rng.int(100)) : Buffer.from(good);
      if (b.length > 20 && rng.chance(0.9)) b[rng.int(b.length)]! ^= 1 << rng.int(8);
      up.send(b, port, '127.0.0.1');
      if (i % 500 === 0) await new Promise((r) => setImmediate(r));
    }
    const { packet } = await ask(up, port, { code: Code.DisconnectRequest, identifier: 200, attributes: [CSI('02:00:00:00:00:01')] });
    expect(packet.code).toBe(Code.DisconnectAck);
    expect([...counts.keys()].some((k) => k.startsWith('dropped:'))).toBe(true);
  }, 60_000);
});
