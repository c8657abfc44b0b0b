/**
 * Proves the real-parts harness against the real parts, with no KMS in between:
 * FreeRADIUS (test/helpers/freeradius.ts), eapol_test (eapol-test.ts), and hostapd/wpa_supplicant
 * over wired 802.1X in network namespaces (netns.ts, wired-8021x.ts).
 *
 * What is on the wire is checked independently of the tools' own claims: a small recording UDP
 * relay sits between eapol_test and FreeRADIUS, and the test decodes the captured packets
 * itself (attributes, Response Authenticator, Message-Authenticator, RFC 2548 MPPE keys).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { startFreeRadius, DEFAULT_USERS, type FreeRadiusHandle } from '../helpers/freeradius.js';
import { runEapolTest, calledStationId, type EapolTestOptions } from '../helpers/eapol-test.js';
import { canUseNetns, RUN_ID } from '../helpers/netns.js';
import {
  createWiredTopology,
  startWiredAuthenticator,
  runWiredSupplicant,
  type WiredTopology,
  type WiredAuthenticator,
} from '../helpers/wired-8021x.js';

// ---------------------------------------------------------------------------------------------
// Minimal RADIUS decoding for independent checks (RFC 2865, 2548, 3579)
// ---------------------------------------------------------------------------------------------

interface Attr {
  type: number;
  value: Buffer;
}

const ATTR = {
  UserName: 1,
  UserPassword: 2,
  Class: 25,
  VendorSpecific: 26,
  SessionTimeout: 27,
  FilterId: 11,
  CalledStationId: 30,
  CallingStationId: 31,
  NasIdentifier: 32,
  TunnelType: 64,
  TunnelMediumType: 65,
  EapMessage: 79,
  MessageAuthenticator: 80,
  TunnelPrivateGroupId: 81,
  ChargeableUserIdentity: 89,
  MobilityDomainId: 177,
  WlanPairwiseCipher: 186,
  WlanAkmSuite: 188,
} as const;

function parseAttributes(packet: Buffer): Attr[] {
  const attrs: Attr[] = [];
  const length = packet.readUInt16BE(2);
  for (let off = 20; off + 2 <= length; ) {
    const len = packet[off + 1];
    if (len < 2 || off + len > length) throw new Error(`malformed attribute at ${off}`);
    attrs.push({ type: packet[off], value: packet.subarray(off + 2, off + len) });
    off += len;
  }
  return attrs;
}

function vsas(attrs: Attr[], vendorId: number): Attr[] {
  const out: Attr[] = [];
  for (const a of attrs.filter((x) => x.type === ATTR.VendorSpecific && x.value.readUInt32BE(0) === vendorId)) {
    for (let off = 4; off + 2 <= a.value.length; off += a.value[off + 1]) {
      out.push({ type: a.value[off], value: a.value.subarray(off + 2, off + a.value[off + 1]) });
    }
  }
  return out;
}

const md5 = (...parts: Buffer[]): Buffer => createHash('md5').update(Buffer.concat(parts)).digest();

/** RFC 2865 §3: MD5(Code+ID+Length+RequestAuth+Attributes+Secret). */
function responseAuthenticatorValid(response: Buffer, requestAuth: Buffer, secret: string): boolean {
  const expected = md5(response.subarray(0, 4), requestAuth, response.subarray(20), Buffer.from(secret));
  return expected.equals(response.subarray(4, 20));
}

/** RFC 3579 §3.2: HMAC-MD5 over the packet with MA zeroed (and the request authenticator, for responses). */
function messageAuthenticatorValid(packet: Buffer, secret: string, requestAuth?: Buffer): boolean {
  const copy = Buffer.from(packet);
  if (requestAuth) requestAuth.copy(copy, 4);
  const attrs = parseAttributes(copy);
  const ma = attrs.filter((a) => a.type === ATTR.MessageAuthenticator);
  if (ma.length !== 1 || ma[0].value.length !== 16) return false;
  const received = Buffer.from(ma[0].value);
  ma[0].value.fill(0); // subarray of `copy`: zeroes it in place
  return createHmac('md5', secret).update(copy).digest().equals(received);
}

/** RFC 2548 §2.4.2/2.4.3: decrypt an MS-MPPE-Send/Recv-Key value (salt ‖ ciphertext). */
function decryptMppeKey(value: Buffer, secret: string, requestAuth: Buffer): Buffer {
  const salt = value.subarray(0, 2);
  const cipher = value.subarray(2);
  const plain = Buffer.alloc(cipher.length);
  let prev: Buffer = Buffer.concat([requestAuth, salt]);
  for (let i = 0; i < cipher.length; i += 16) {
    const b = md5(Buffer.from(secret), prev);
    for (let j = 0; j < 16; j++) plain[i + j] = cipher[i + j] ^ b[j];
    prev = cipher.subarray(i, i + 16);
  }
  return plain.subarray(1, 1 + plain[0]);
}

/** A PAP Access-Request, optionally with Message-Authenticator (last, as hostapd 2.10 puts it). */
function papAccessRequest(id: number, user: string, password: string, secret: string, withMa: boolean): Buffer {
  const auth = randomBytes(16);
  const padded = Buffer.alloc(Math.ceil(Math.max(password.length, 1) / 16) * 16);
  Buffer.from(password).copy(padded);
  const hidden = Buffer.alloc(padded.length);
  let prev: Buffer = auth;
  for (let i = 0; i < padded.length; i += 16) {
    const b = md5(Buffer.from(secret), prev);
    for (let j = 0; j < 16; j++) hidden[i + j] = padded[i + j] ^ b[j];
    prev = hidden.subarray(i, i + 16);
  }
  const attr = (type: number, value: Buffer): Buffer => Buffer.concat([Buffer.from([type, value.length + 2]), value]);
  const attrs = [attr(ATTR.UserName, Buffer.from(user)), attr(ATTR.UserPassword, hidden)];
  if (withMa) attrs.push(attr(ATTR.MessageAuthenticator, Buffer.alloc(16)));
  const body = Buffer.concat(attrs);
  const packet = Buffer.concat([Buffer.from([1, id, 0, 0]), auth, body]);
  packet.writeUInt16BE(packet.length, 2);
  if (withMa) {
    const mac = createHmac('md5', secret).update(packet).digest();
    mac.copy(packet, packet.length - 16);
  }
  return packet;
}

/** Send one packet from `fromAddress` and wait for an answer (null on timeout). */
async function exchange(
  packet: Buffer,
  to: { address: string; port: number },
  fromAddress: string,
  timeoutMs = 1500,
): Promise<Buffer | null> {
  const sock = createSocket('udp4');
  await new Promise<void>((resolve) => sock.bind(0, fromAddress, resolve));
  try {
    return await new Promise<Buffer | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), timeoutMs);
      sock.on('message', (msg) => {
        clearTimeout(timer);
        resolve(msg);
      });
      sock.send(packet, to.port, to.address);
    });
  } finally {
    sock.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Recording relay: forwards datagrams unchanged and keeps every request/response pair
// ---------------------------------------------------------------------------------------------

interface Exchange {
  request: Buffer;
  response?: Buffer;
}

interface RecordingRelay {
  port: number;
  exchanges: Exchange[];
  close(): Promise<void>;
}

/**
 * RADIUS authenticators do not cover IP addresses or ports, so a byte-for-byte relay is
 * invisible to both ends; the upstream just sees the relay's address as the client's.
 */
async function startRecordingRelay(upstream: { address: string; port: number }): Promise<RecordingRelay> {
  const front = createSocket('udp4');
  const perClient = new Map<string, { sock: Socket; pending: Map<number, Exchange> }>();
  const exchanges: Exchange[] = [];
  front.on('message', (msg, rinfo) => {
    const key = `${rinfo.address}:${rinfo.port}`;
    let client = perClient.get(key);
    if (!client) {
      const sock = createSocket('udp4');
      const pending = new Map<number, Exchange>();
      sock.on('message', (resp) => {
        const ex = pending.get(resp[1]);
        if (ex) ex.response = resp;
        front.send(resp, rinfo.port, rinfo.address);
      });
      client = { sock, pending };
      perClient.set(key, client);
    }
    const ex: Exchange = { request: msg };
    exchanges.push(ex);
    client.pending.set(msg[1], ex);
    client.sock.send(msg, upstream.port, upstream.address);
  });
  await new Promise<void>((resolve) => front.bind(0, '127.0.0.1', resolve));
  return {
    port: front.address().port,
    exchanges,
    close: async () => {
      for (const c of perClient.values()) c.sock.close();
      await new Promise<void>((resolve) => front.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------------------------------------

const alice = DEFAULT_USERS.find((u) => u.name === 'alice')!;
const machine = DEFAULT_USERS.find((u) => u.name.startsWith('host/'))!;

describe('FreeRADIUS + eapol_test on loopback', () => {
  let fr: FreeRadiusHandle;
  const strictSecret = 'strict-secret-2';

  beforeAll(async () => {
    fr = await startFreeRadius({
      clients: [
        { address: '127.0.0.1', secret: 'testing123' },
        // 127.0.0.2 is also loopback on Linux: a second client that must send Message-Authenticator.
        { address: '127.0.0.2', secret: strictSecret, requireMessageAuthenticator: true },
      ],
    });
    console.info(`[timing] FreeRADIUS startup (-X): ${fr.startupMs.toFixed(0)} ms`);
  });
  afterAll(async () => {
    await fr?.stop();
  });

  const base = (): EapolTestOptions => ({
    server: { address: fr.address, port: fr.authPort, secret: fr.secret },
    caCertPath: fr.caCertPath,
  });

  it('PEAP/MSCHAPv2: SUCCESS, MPPE keys OK, a 64-octet MSK equal to what the peer derived', async () => {
    const r = await runEapolTest({ ...base(), method: 'PEAP', identity: alice.name, password: alice.password });
    console.info(`[timing] eapol_test PEAP: ${r.durationMs.toFixed(0)} ms`);
    expect(r.success, r.stdout.slice(-3000)).toBe(true);
    expect(r.mppeOk).toBe(true);
    expect(r.msk?.length).toBe(64);
    expect(r.peerMsk?.toString('hex')).toBe(r.msk?.toString('hex'));
    expect(r.pmk?.toString('hex')).toBe(r.msk?.subarray(0, 32).toString('hex'));
    expect(r.accept?.codeName).toBe('Access-Accept');
  });

  it('TTLS/PAP: SUCCESS, MPPE keys OK, a 64-octet MSK', async () => {
    const r = await runEapolTest({ ...base(), method: 'TTLS', identity: alice.name, password: alice.password });
    console.info(`[timing] eapol_test TTLS: ${r.durationMs.toFixed(0)} ms`);
    expect(r.success, r.stdout.slice(-3000)).toBe(true);
    expect(r.mppeOk).toBe(true);
    expect(r.msk?.length).toBe(64);
    expect(r.peerMsk?.equals(r.msk!)).toBe(true);
  });

  it('a machine account (host/…) authenticates with PEAP/MSCHAPv2', async () => {
    const r = await runEapolTest({ ...base(), identity: machine.name, password: machine.password, anonymousIdentity: null });
    expect(r.success, r.stdout.slice(-3000)).toBe(true);
    expect(r.msk?.length).toBe(64);
  });

  it('a wrong password fails, with no keys', async () => {
    const r = await runEapolTest({ ...base(), identity: alice.name, password: 'not-the-password', timeoutSec: 5 });
    expect(r.success).toBe(false);
    expect(r.msk).toBeNull();
    expect(r.radiusMessages.some((m) => m.codeName === 'Access-Reject')).toBe(true);
  });

  it('a server certificate from another CA is refused by the peer', async () => {
    const other = await startFreeRadius();
    try {
      const r = await runEapolTest({ ...base(), caCertPath: other.caCertPath, timeoutSec: 5 });
      expect(r.success).toBe(false);
    } finally {
      await other.stop();
    }
  });

  describe('on the wire (recording relay)', () => {
    let relay: RecordingRelay;
    beforeAll(async () => {
      relay = await startRecordingRelay({ address: fr.address, port: fr.authPort });
    });
    afterAll(async () => {
      await relay?.close();
    });

    it('-N/-M attributes arrive as hostapd would send them, and the Accept carries the user policy and MPPE keys', async () => {
      relay.exchanges.length = 0;
      const r = await runEapolTest({
        server: { address: '127.0.0.1', port: relay.port, secret: fr.secret },
        caCertPath: fr.caCertPath,
        identity: alice.name,
        password: alice.password,
        nasIdentifier: 'ap1.kms.test',
        calledStationId: calledStationId('02:00:00:00:01:00', 'kms-test'),
        stationMac: '02:00:00:00:00:42',
        mobilityDomainId: 'a1b2',
        akmSuite: 0x000fac03,
        pairwiseCipher: 0x000fac04,
      });
      expect(r.success, r.stdout.slice(-3000)).toBe(true);

      // The Access-Request as sent.
      const first = parseAttributes(relay.exchanges[0].request);
      const get = (attrs: Attr[], type: number): Buffer | undefined => attrs.find((a) => a.type === type)?.value;
      expect(get(first, ATTR.NasIdentifier)?.toString()).toBe('ap1.kms.test');
      expect(get(first, ATTR.CalledStationId)?.toString()).toBe('02-00-00-00-01-00:kms-test');
      expect(get(first, ATTR.CallingStationId)?.toString()).toBe('02-00-00-00-00-42');
      expect(get(first, ATTR.MobilityDomainId)?.toString('hex')).toBe('0000a1b2');
      expect(get(first, ATTR.WlanAkmSuite)?.toString('hex')).toBe('000fac03');
      expect(get(first, ATTR.WlanPairwiseCipher)?.toString('hex')).toBe('000fac04');
      expect(messageAuthenticatorValid(relay.exchanges[0].request, fr.secret)).toBe(true);

      // Intermediate Access-Challenges must not leak the user's policy.
      const challenges = relay.exchanges.filter((e) => e.response?.[0] === 11);
      expect(challenges.length).toBeGreaterThan(3);
      for (const c of challenges) expect(parseAttributes(c.response!).some((a) => a.type === ATTR.FilterId)).toBe(false);

      // The final Access-Accept.
      const final = relay.exchanges.find((e) => e.response?.[0] === 2)!;
      expect(final).toBeDefined();
      const reqAuth = final.request.subarray(4, 20);
      const resp = final.response!;
      expect(responseAuthenticatorValid(resp, reqAuth, fr.secret)).toBe(true);
      expect(messageAuthenticatorValid(resp, fr.secret, reqAuth)).toBe(true);
      const attrs = parseAttributes(resp);
      // Tunnel-Type / Tunnel-Medium-Type: tag octet 0, then 24-bit VLAN(13) / IEEE-802(6).
      expect(get(attrs, ATTR.TunnelType)?.toString('hex')).toBe('0000000d');
      expect(get(attrs, ATTR.TunnelMediumType)?.toString('hex')).toBe('00000006');
      expect(get(attrs, ATTR.TunnelPrivateGroupId)?.toString().replace(/^\0/, '')).toBe('100');
      expect(get(attrs, ATTR.FilterId)?.toString()).toBe('staff-acl');
      expect(get(attrs, ATTR.SessionTimeout)?.readUInt32BE(0)).toBe(3600);
      expect(get(attrs, ATTR.Class)?.toString()).toBe('kms-test-class-alice');
      expect(get(attrs, ATTR.ChargeableUserIdentity)?.toString()).toBe('cui-alice-0001');
      const aruba = vsas(attrs, 14823).find((v) => v.type === 1);
      expect(aruba?.value.toString()).toBe('employee');
      const ms = vsas(attrs, 311);
      const sendKey = decryptMppeKey(ms.find((v) => v.type === 16)!.value, fr.secret, reqAuth);
      const recvKey = decryptMppeKey(ms.find((v) => v.type === 17)!.value, fr.secret, reqAuth);
      expect(Buffer.concat([recvKey, sendKey]).toString('hex')).toBe(r.msk!.toString('hex'));

      // eapol_test's own dump of the Accept agrees on the attribute types present.
      const dumped = new Set(r.accept!.attributes.map((a) => a.type));
      for (const t of [ATTR.TunnelType, ATTR.TunnelMediumType, ATTR.TunnelPrivateGroupId, ATTR.FilterId, ATTR.VendorSpecific]) {
        expect(dumped.has(t)).toBe(true);
      }
    });
  });

  it('require_message_authenticator: a client configured for it is ignored without MA, answered with it', async () => {
    const to = { address: fr.address, port: fr.authPort };
    const without = await exchange(papAccessRequest(7, 'bob', 'hunter2hunter2', strictSecret, false), to, '127.0.0.2');
    expect(without).toBeNull();
    const withMa = await exchange(papAccessRequest(8, 'bob', 'hunter2hunter2', strictSecret, true), to, '127.0.0.2');
    expect(withMa?.[0]).toBe(2);
    // The relaxed default client is answered either way, and a bad PAP password is rejected.
    const relaxed = await exchange(papAccessRequest(9, 'bob', 'hunter2hunter2', fr.secret, false), to, '127.0.0.1');
    expect(relaxed?.[0]).toBe(2);
    const bad = await exchange(papAccessRequest(10, 'bob', 'wrong', fr.secret, false), to, '127.0.0.1');
    expect(bad?.[0]).toBe(3);
  });

  it('PAP users with 0x… octet replies get exactly those MPPE keys (threaded, non-debug mode)', async () => {
    const half = (b: number): Buffer => Buffer.alloc(32, b);
    const pap = await startFreeRadius({
      debug: false,
      users: [
        {
          name: 'bench',
          password: 'bench-password',
          reply: [
            { name: 'MS-MPPE-Recv-Key', value: `0x${half(0x11).toString('hex')}` },
            { name: 'MS-MPPE-Send-Key', value: `0x${half(0x22).toString('hex')}` },
          ],
        },
      ],
    });
    try {
      const req = papAccessRequest(1, 'bench', 'bench-password', pap.secret, true);
      const resp = await exchange(req, { address: pap.address, port: pap.authPort }, '127.0.0.1');
      expect(resp?.[0]).toBe(2);
      const reqAuth = req.subarray(4, 20);
      expect(responseAuthenticatorValid(resp!, reqAuth, pap.secret)).toBe(true);
      const ms = vsas(parseAttributes(resp!), 311);
      expect(decryptMppeKey(ms.find((v) => v.type === 17)!.value, pap.secret, reqAuth).equals(half(0x11))).toBe(true);
      expect(decryptMppeKey(ms.find((v) => v.type === 16)!.value, pap.secret, reqAuth).equals(half(0x22))).toBe(true);
    } finally {
      await pap.stop();
    }
  });

  it('proxy mode: a second FreeRADIUS relays EAP to this one and the MSK still arrives', async () => {
    const proxy = await startFreeRadius({
      proxyTo: { address: fr.address, authPort: fr.authPort, acctPort: fr.acctPort, secret: fr.secret },
      secret: 'proxy-front-secret',
      clients: [{ address: '127.0.0.1', secret: 'proxy-front-secret' }],
    });
    try {
      const mark = fr.logMark();
      const r = await runEapolTest({
        server: { address: proxy.address, port: proxy.authPort, secret: 'proxy-front-secret' },
        caCertPath: fr.caCertPath,
      });
      expect(r.success, r.stdout.slice(-3000)).toBe(true);
      expect(r.msk?.length).toBe(64);
      expect(r.peerMsk?.equals(r.msk!)).toBe(true);
      await fr.waitForLog(/Sent Access-Accept/, 2000, mark);
      expect(proxy.logs()).toMatch(/Proxying request to home server/);
    } finally {
      await proxy.stop();
    }
  });

  it('stop() ends only its own process and removes its directory', async () => {
    const extra = await startFreeRadius({ debug: false });
    const { pid, dir } = extra;
    expect(() => process.kill(pid, 0)).not.toThrow();
    await extra.stop();
    expect(() => process.kill(pid, 0)).toThrow();
    expect(existsSync(dir)).toBe(false);
    // The shared server is untouched.
    expect(() => process.kill(fr.pid, 0)).not.toThrow();
  });
});

describe.skipIf(!canUseNetns())('wired 802.1X: hostapd -Dwired + wpa_supplicant -Dwired in namespaces', () => {
  let topo: WiredTopology;
  let fr: FreeRadiusHandle;
  let ap: WiredAuthenticator;

  beforeAll(async () => {
    topo = await createWiredTopology({ staMac: '02:00:00:00:00:31' });
    const uplink = topo.uplink!;
    // FreeRADIUS in the root namespace, bound only to the uplink address, trusting only the AP.
    fr = await startFreeRadius({
      address: uplink.peerSide.ip,
      clients: [{ address: uplink.apSide.ip, secret: 'wired-secret' }],
      secret: 'wired-secret',
    });
    ap = await startWiredAuthenticator({
      netns: topo.apNs,
      ifname: topo.apPort.ifname,
      ownIpAddr: uplink.apSide.ip,
      nasIdentifier: 'wired-ap-1.kms.test',
      radius: { address: fr.address, authPort: fr.authPort, acctPort: fr.acctPort, secret: fr.secret },
    });
    console.info(`[timing] hostapd -Dwired startup: ${ap.startupMs.toFixed(0)} ms`);
  });
  afterAll(async () => {
    await ap?.stop();
    await fr?.stop();
    await topo?.destroy();
  });

  it('PEAP: the port is authorized and both ends hold the same 64-octet MSK', async () => {
    const r = await runWiredSupplicant({
      netns: topo.staNs,
      ifname: topo.staPort.ifname,
      identity: alice.name,
      password: alice.password,
      caCertPath: fr.caCertPath,
    });
    console.info(`[timing] wired PEAP: ${r.durationMs.toFixed(0)} ms from wpa_supplicant start, ${r.eapMs?.toFixed(0)} ms of EAP`);
    expect(r.success, r.logs.slice(-3000)).toBe(true);
    expect(r.status['EAP state']).toBe('SUCCESS');
    expect(r.msk?.length).toBe(64);
    await ap.waitForLog(/AP-STA-CONNECTED 02:00:00:00:00:31/);
    const apMsk = ap.mskFor(topo.staPort.mac);
    expect(apMsk?.toString('hex')).toBe(r.msk?.toString('hex'));
    const sta = await ap.cli(['sta', topo.staPort.mac]);
    expect(sta).toMatch(/flags=\[AUTHORIZED\]/);
  });

  it('hostapd sends accounting through the uplink to FreeRADIUS', async () => {
    // Accounting-On at start and Start after the authentication above.
    const deadline = Date.now() + 5000;
    let acct = '';
    while (Date.now() < deadline && !/Acct-Status-Type = Start/.test(acct)) {
      await new Promise((r) => setTimeout(r, 100));
      acct = await fr.accountingLog();
    }
    expect(acct).toMatch(/Acct-Status-Type = Start/);
    expect(acct).toMatch(/NAS-Identifier = "wired-ap-1\.kms\.test"/);
    expect(acct).toMatch(/Calling-Station-Id = "02-00-00-00-00-31"/);
  });

  it('a wrong password ends in EAP failure and an unauthorized port', async () => {
    const r = await runWiredSupplicant({
      netns: topo.staNs,
      ifname: topo.staPort.ifname,
      identity: alice.name,
      password: 'wrong-password',
      caCertPath: fr.caCertPath,
      timeoutMs: 20_000,
    });
    expect(r.success).toBe(false);
    expect(r.outcome).toBe('failure');
  });

  it('namespaces are named per run so they can be told apart and swept', () => {
    const names = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    expect(names).toContain(`${RUN_ID}-ap-`);
    expect(topo.apNs.name.startsWith(RUN_ID)).toBe(true);
  });
});
