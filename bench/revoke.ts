import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { kmsCore } from '../test/helpers/kms-core.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyDistributor } from '../daemon/distribution/distributor.js';
import { Topology, StaticNeighbors, type ApInfo } from '../daemon/distribution/topology.js';
import { topologyPlaces } from '../daemon/stations/places.js';
import { Revocation } from '../daemon/stations/revocation.js';
import type { ApDriver } from '../daemon/ports/ap-driver.js';
import { AKM } from '../daemon/keys/index.js';
import { DasClient } from '../adapters/radius/das-client.js';
import { DasDisconnecter } from '../adapters/radius/das-disconnecter.js';
import { Code } from '../adapters/radius/codes.js';
import { finishDasResponse, verifyDasRequest } from '../adapters/radius/dynamic-authorization.js';
import { percentile } from './radius-load.js';

// Revoke → every holding AP told: an OKC station authenticated at ap0 whose PMK sits on 8
// neighbour APs (PMKSA_ADD through stand-in control channels), revoked; timed from
// StationLife.revoke until the ninth DAS's Disconnect-ACK is in. The real core (store, StationLife,
// distributor, Revocation) and the real sender (DasClient: codec, retries, one socket); the nine
// AP DAS are stand-ins on loopback built from the codec (they verify the request, Message-
// Authenticator and Event-Timestamp included, and ACK), not hostapd: what is timed is the KMS's
// part, plus one loopback round trip.

const STATIONS = Number(process.env.KMS_BENCH_REVOKES ?? 300);
const NEIGHBOURS = 8;
const SECRET = Buffer.from('bench-das-secret');

const macOf = (i: number) =>
  (0x020000000000 + i)
    .toString(16)
    .padStart(12, '0')
    .replace(/(..)(?!$)/g, '$1:');

class AcceptingControl implements ApDriver {
  connected = true;
  async pmksaAdd() {}
  subscribe() {
    return () => undefined;
  }
  async startEvents() {}
  async close() {}
}

async function standInDas(): Promise<{ socket: Socket; port: number; answered: () => number }> {
  const s = createSocket('udp4');
  let n = 0;
  s.on('message', (msg, rinfo) => {
    const v = verifyDasRequest(msg, SECRET, { nowS: Date.now() / 1000, windowS: 300, requireEventTimestamp: true });
    if (!v.ok) return;
    n++;
    const req = v.packet;
    s.send(
      finishDasResponse(
        { code: Code.DisconnectAck, identifier: req.identifier, authenticator: req.authenticator, attributes: [] },
        req.authenticator,
        SECRET,
      ),
      rinfo.port,
      rinfo.address,
    );
  });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return { socket: s, port: s.address().port, answered: () => n };
}

export async function benchRevoke(): Promise<string[]> {
  const aps: ApInfo[] = Array.from({ length: NEIGHBOURS + 1 }, (_, i) => ({
    name: `ap${i}`,
    nasIdentifier: `ap${i}.example.com`,
    radiusAddress: `10.0.0.${i + 1}`,
    bsses: [{ ap: `ap${i}`, ifname: 'wlan0', bssid: macOf(0x10000 + i), r1khId: macOf(0x10000 + i) }],
  }));
  const topology = new Topology(aps);
  const dir = mkdtempSync(join(tmpdir(), 'kms-bench-revoke-'));
  const tmp = { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  const core = kmsCore(tmp.dir, randomBytes(32), {
    policy: { defaultLifetimeS: 3600, machineAuthWindowS: 0 },
    places: topologyPlaces(topology),
  });
  const das = await Promise.all(aps.map(() => standInDas()));
  const portOf = new Map(aps.map((a, i) => [a.name, das[i]!.port]));
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const client = new DasClient({ timeoutMs: 1000, tries: 3, logger: quiet as never });
  const disconnecter = new DasDisconnecter(client, (at) => {
    const ap = at.ap ?? topology.locate({ nasIdentifier: null, bssid: at.bssid, clientAddress: at.clientAddress ?? '' })?.name;
    const port = ap ? portOf.get(ap) : undefined;
    return port === undefined ? null : { name: ap!, address: '127.0.0.1', port, secret: SECRET };
  });
  const control = new AcceptingControl();
  const distributor = new KeyDistributor({
    topology,
    neighbors: new StaticNeighbors(new Map([['ap0', aps.slice(1).map((a) => a.name)]])),
    pusher: null,
    rrbPeerFor: () => null,
    controlFor: () => control,
    stations: core.stations,
    ledger: core.store.placements,
    policy: {
      keyLifetimeS: 3600,
      repushMarginS: 300,
      ssid: 'bench',
      mobilityDomain: 'a1b2',
      retry: { maxQueuedPerAp: 10, baseDelayMs: 1000, maxDelayMs: 10_000 },
    },
    logger: quiet,
  });
  let acks = 0;
  let others = 0;
  core.life.subscribe(distributor);
  core.life.subscribe(
    new Revocation({
      disconnecter,
      placementsFor: (m) => distributor.placementsFor(m),
      topology,
      log: quiet,
      observer: { kicked: (r) => (r === 'ack' ? acks++ : others++) },
    }),
  );
  const ms: number[] = [];
  try {
    for (let i = 0; i < STATIONS; i++) {
      const sta = macOf(0x20000 + i);
      const { json, news } = await core.recorder.record({
        staMac: sta,
        clientAddress: '10.0.0.1',
        nasIdentifier: 'ap0.example.com',
        bssid: aps[0]!.bsses[0]!.bssid,
        ssid: 'bench',
        mdid: 'a1b2',
        akm: AKM.IEEE8021X,
        pairwiseCipher: 0x000fac04,
        userName: 'bench',
        cui: null,
        classes: [],
        vlan: null,
        filterId: null,
        arubaUserRole: null,
        sessionTimeout: null,
        acctSessionId: null,
        msk: randomBytes(64),
      });
      await core.life.adopt(JSON.parse(json), news);
      if (distributor.placementsFor(sta).filter((p) => p.kind === 'okc').length !== NEIGHBOURS)
        throw new Error("the station's PMK is not on 8 neighbours");
      const before = acks;
      const t0 = performance.now();
      await core.life.revoke(sta, 'bench', 'api');
      ms.push(performance.now() - t0);
      if (acks - before !== NEIGHBOURS + 1) throw new Error(`revocation told ${acks - before} APs, not ${NEIGHBOURS + 1}`);
    }
  } finally {
    distributor.stop();
    await client.stop();
    for (const d of das) d.socket.close();
    core.close();
    tmp.cleanup();
  }
  const f = (n: number) => n.toFixed(2);
  return [
    `revoke → ${NEIGHBOURS} neighbours + the AP it authenticated at told (Disconnect-ACK in), ${STATIONS} stations: p50 ${f(percentile(ms, 50))} ms, p99 ${f(percentile(ms, 99))} ms, max ${f(Math.max(...ms))} ms`,
    `  ${acks} ACKs, ${others} other outcomes; AP DAS: 9 stand-ins on loopback built from the codec (not hostapd)`,
  ];
}
