import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import { startFreeRadius, freeUdpPort, type FreeRadiusHandle } from '../helpers/freeradius.js';
import { metricValue, startKms, type KmsHandle } from '../helpers/kms.js';
import { canUseNetns } from '../helpers/netns.js';
import { radclient } from '../helpers/radclient.js';
import {
  createWiredTopology,
  startWiredAuthenticator,
  runWiredSupplicant,
  type WiredTopology,
  type WiredAuthenticator,
  type RunningSupplicant,
} from '../helpers/wired-8021x.js';
import { Attr, Code, attrInteger, attrString } from '../../adapters/radius/index.js';
import { finishDasRequest } from '../../adapters/radius/dynamic-authorization.js';
import { md5 } from '../../adapters/radius/md5.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';

// RFC 5176 through the KMS, end to end: FreeRADIUS's radclient is the AAA server sending
// Disconnect-/CoA-Requests; the KMS finds the station and relays to the DAS of the real hostapd
// (wired 802.1X, in a namespace) it is at; hostapd deauthenticates it, wpa_supplicant sees the
// port go, and the Disconnect-ACK, re-signed for radclient, reaches it.

const STA = '02:00:00:00:00:51';
const AP_MAC = '02:00:00:00:08:00';
const DAS_SECRET = 'upstream-das-secret';
const AP_DAS_SECRET = 'ap-das-secret';

describe.skipIf(!canUseNetns())('dynamic authorization through the KMS to a wired hostapd', () => {
  let topo: WiredTopology;
  let aaa: FreeRadiusHandle;
  let kms: KmsHandle;
  let ap: WiredAuthenticator;
  let dasPort: number;
  let supplicant: RunningSupplicant | undefined;
  const server = () => `${topo.uplink!.peerSide.ip}:${dasPort}`;

  beforeAll(async () => {
    topo = await createWiredTopology({ staMac: STA, apMac: AP_MAC });
    const uplink = topo.uplink!;
    aaa = await startFreeRadius({ secret: 'aaa-secret' });
    dasPort = await freeUdpPort();
    kms = await startKms({
      listenAddress: uplink.peerSide.ip,
      clients: [{ name: 'wired-ap', address: uplink.apSide.ip, secret: 'ap-secret', das: { secret: AP_DAS_SECRET, port: 3799 } }],
      upstreams: [{ name: 'fr', address: '127.0.0.1', authPort: aaa.authPort, acctPort: aaa.acctPort, secret: 'aaa-secret' }],
      // radclient runs on this host and sends from the uplink address; 127.0.0.1 is not an upstream.
      dynamicAuthorization: {
        listen: { address: '0.0.0.0', port: dasPort },
        sourceAddress: uplink.peerSide.ip,
        upstreams: [{ name: 'fr', address: uplink.peerSide.ip, secret: DAS_SECRET }],
        timeoutMs: 500,
        tries: 3,
      },
    });
    ap = await startWiredAuthenticator({
      netns: topo.apNs,
      ifname: topo.apPort.ifname,
      ownIpAddr: uplink.apSide.ip,
      nasIdentifier: 'wired-ap.kms.test',
      radius: { address: uplink.peerSide.ip, authPort: kms.authPort, acctPort: kms.acctPort, secret: 'ap-secret' },
      extraConfig: [
        'radius_das_port=3799',
        `radius_das_client=${uplink.peerSide.ip} ${AP_DAS_SECRET}`,
        'radius_das_require_message_authenticator=1',
        'radius_das_require_event_timestamp=1',
      ],
    });
  });
  afterAll(async () => {
    await supplicant?.stop();
    await ap?.stop();
    await kms?.stop();
    await aaa?.stop();
    await topo?.destroy();
  });

  const dropped = async (reason: string) => metricValue(await kms.metrics(), 'kms_das_dropped_total', { reason });

  it('an unknown station: Disconnect-NAK with Error-Cause Session-Context-Not-Found (503)', async () => {
    const r = await radclient({
      server: server(),
      command: 'disconnect',
      secret: DAS_SECRET,
      attributes: ['Calling-Station-Id = "02-00-00-00-99-99"'],
    });
    expect(r.reply, r.output).toBe('Disconnect-NAK');
    expect(r.errorCause, r.output).toBe('Session-Context-Not-Found');
  });

  it('the station authenticates through the KMS (wpa_supplicant stays up)', async () => {
    const auth = await runWiredSupplicant({
      netns: topo.staNs,
      ifname: topo.staPort.ifname,
      identity: 'alice',
      password: 'password',
      caCertPath: aaa.caCertPath,
      keepRunning: true,
    });
    supplicant = auth.supplicant;
    expect(auth.success, `${auth.logs.slice(-2000)}\n--- kmsd:\n${kms.logs().slice(-2000)}`).toBe(true);
    await ap.waitForLog(new RegExp(`AP-STA-CONNECTED ${STA}`));
  });

  it('a CoA-Request hostapd cannot apply: CoA-NAK with Error-Cause Unsupported-Extension (406), never an ACK', async () => {
    const r = await radclient({
      server: server(),
      command: 'coa',
      secret: DAS_SECRET,
      attributes: [`Calling-Station-Id = "${STA.replace(/:/g, '-')}"`, 'Filter-Id = "guest"'],
    });
    expect(r.reply, `${r.output}\n--- kmsd:\n${kms.logs().slice(-2000)}`).toBe('CoA-NAK');
    expect(r.errorCause).toBe('Unsupported-Extension');
  });

  it('a Disconnect-Request reaches hostapd through the KMS, the station is deauthenticated, the ACK reaches radclient', async () => {
    expect(await ap.cli(['sta', STA])).toMatch(/AUTHORIZED/);
    const mark = ap.logMark();
    const supplicantMark = supplicant!.logs().length;

    const r = await radclient({
      server: server(),
      command: 'disconnect',
      secret: DAS_SECRET,
      attributes: [`Calling-Station-Id = "${STA.replace(/:/g, '-').toUpperCase()}"`],
    });
    expect(r.reply, `${r.output}\n--- kmsd:\n${kms.logs().slice(-3000)}\n--- hostapd:\n${ap.logs().slice(-3000)}`).toBe('Disconnect-ACK');
    // hostapd found the station and deauthenticated it.
    await ap.waitForLog(new RegExp(`RADIUS DAS: Found a matching session ${STA} - disconnecting`), undefined, mark);
    await ap.waitForLog(new RegExp(`AP-STA-DISCONNECTED ${STA}`), undefined, mark);
    // The supplicant's side: its port is no longer authorized by this session (hostapd sent EAP-Failure or restarted EAP).
    // The AP holds no authorized session for it any more (the entry waits for removal, flags cleared).
    expect(await ap.cli(['sta', STA])).not.toMatch(/AUTHORIZED|\[AUTH\]/);
    // Wired 802.1X has no deauthentication frame: hostapd sends the station nothing, so
    // wpa_supplicant learns of it at its next EAPOL frame. That frame meets an AP with no session
    // (NEW_STA) and a full EAP authentication, which wpa_supplicant reports.
    // hostapd removes the entry a few seconds later; a login before that would be removed with it.
    await expect.poll(async () => (await ap.cli(['sta', STA])).includes(STA), { timeout: 20_000 }).toBe(false);
    const staMark = ap.logMark();
    await supplicant!.cli(['reauthenticate']);
    await ap.waitForLog(/Event NEW_STA \(22\) received/, undefined, staMark);
    await expect
      .poll(
        () =>
          /CTRL-EVENT-EAP-STARTED[\s\S]*CTRL-EVENT-EAP-METHOD[\s\S]*CTRL-EVENT-EAP-SUCCESS/.test(supplicant!.logs().slice(supplicantMark)),
        { timeout: 20_000 },
      )
      .toBe(true);
    await ap.waitForLog(new RegExp(`AP-STA-CONNECTED ${STA}`), undefined, staMark);
    expect(
      metricValue(await kms.metrics(), 'kms_das_answered_total', { kind: 'disconnect', code: 'DisconnectAck', error_cause: 'none' }),
    ).toBe(1);
  });

  it('wrong secret, stale Event-Timestamp, no Event-Timestamp, unknown client: dropped unanswered, each counted', async () => {
    const base = {
      server: server(),
      command: 'disconnect' as const,
      attributes: [`Calling-Station-Id = "${STA}"`],
      timeoutS: 1,
      retries: 1,
    };
    const before = {
      secret: await dropped('request-authenticator-invalid'),
      stale: await dropped('event-timestamp-stale'),
      missing: await dropped('event-timestamp-missing'),
      unknown: await dropped('unknown-client'),
      ma: await dropped('message-authenticator-missing'),
    };
    expect((await radclient({ ...base, secret: 'not-the-secret' })).reply).toBeNull();
    expect((await radclient({ ...base, secret: DAS_SECRET, eventTimestampOffsetS: -1000 })).reply).toBeNull();
    expect((await radclient({ ...base, secret: DAS_SECRET, eventTimestampOffsetS: null })).reply).toBeNull();
    expect((await radclient({ ...base, secret: DAS_SECRET, messageAuthenticator: false })).reply).toBeNull();
    expect((await radclient({ ...base, server: `127.0.0.1:${dasPort}`, secret: DAS_SECRET })).reply).toBeNull();
    expect(await dropped('request-authenticator-invalid')).toBeGreaterThan(before.secret);
    expect(await dropped('event-timestamp-stale')).toBeGreaterThan(before.stale);
    expect(await dropped('event-timestamp-missing')).toBeGreaterThan(before.missing);
    expect(await dropped('message-authenticator-missing')).toBeGreaterThan(before.ma);
    expect(await dropped('unknown-client')).toBeGreaterThan(before.unknown);
  });

  it('a bad Message-Authenticator (right Request Authenticator): dropped and counted', async () => {
    // radclient cannot sign with two secrets, so this one packet is built here: the MA is keyed
    // with another secret, the Request Authenticator with the right one.
    const packet = {
      code: Code.DisconnectRequest,
      identifier: 9,
      authenticator: Buffer.alloc(16),
      attributes: [attrString(Attr.CallingStationId, STA), attrInteger(Attr.EventTimestamp, Math.floor(Date.now() / 1000))],
    };
    const forged = finishDasRequest(packet, 'other-secret');
    const unsigned = Buffer.from(forged);
    unsigned.fill(0, 4, 20);
    // Recompute only the Request Authenticator with the right secret (the MA stays the other secret's).
    md5(unsigned, Buffer.from(DAS_SECRET)).copy(forged, 4);
    const before = await dropped('message-authenticator-invalid');
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, topo.uplink!.peerSide.ip, () => r()));
    s.send(forged, dasPort, topo.uplink!.peerSide.ip);
    await expect.poll(() => dropped('message-authenticator-invalid'), { timeout: 5000 }).toBeGreaterThan(before);
    s.close();
  });

  it('coa: disconnect: the CoA becomes a Disconnect at hostapd and a CoA-ACK (the station logs in again for its new attributes)', async () => {
    // The station logged in again in the Disconnect test; its session is open (Accounting-Start).
    await expect
      .poll(async () => (await kms.kmsctlJson<{ session: string }>(['station', STA])).session, { timeout: 10_000 })
      .toBe('active');
    const config = parse(readFileSync(kms.configPath, 'utf8')) as { radius: { dynamicAuthorization: Record<string, unknown> } };
    config.radius.dynamicAuthorization.coa = 'disconnect';
    writeFileSync(kms.configPath, stringify(config), { mode: 0o600 });
    await kms.restart();
    const mark = ap.logMark();
    const r = await radclient({
      server: server(),
      command: 'coa',
      secret: DAS_SECRET,
      attributes: [`Calling-Station-Id = "${STA}"`, 'Filter-Id = "guest"'],
    });
    expect(r.reply, `${r.output}\n--- kmsd:\n${kms.logs().slice(-2000)}`).toBe('CoA-ACK');
    await ap.waitForLog(new RegExp(`RADIUS DAS: Found a matching session ${STA} - disconnecting`), undefined, mark);
    await ap.waitForLog(new RegExp(`AP-STA-DISCONNECTED ${STA}`), undefined, mark);
  });

  it('a reload (SIGHUP) swaps the upstreams live: the new secret is answered, the old one dropped', async () => {
    const config = parse(readFileSync(kms.configPath, 'utf8')) as { radius: { dynamicAuthorization: { upstreams: { secret: string }[] } } };
    config.radius.dynamicAuthorization.upstreams[0]!.secret = 'rotated-das-secret';
    writeFileSync(kms.configPath, stringify(config), { mode: 0o600 });
    const mark = kms.process.mark();
    process.kill(kms.process.pid, 'SIGHUP');
    await kms.process.waitForLine(/dynamic authorization upstreams and AP DAS table replaced/, { since: mark, timeoutMs: 15_000 });
    const unknown = { server: server(), command: 'disconnect' as const, attributes: ['Calling-Station-Id = "02-00-00-00-99-98"'] };
    expect((await radclient({ ...unknown, secret: 'rotated-das-secret' })).errorCause).toBe('Session-Context-Not-Found');
    expect((await radclient({ ...unknown, secret: DAS_SECRET, timeoutS: 1, retries: 1 })).reply).toBeNull();
  });
});
