import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startFreeRadius, freeUdpPort, type FreeRadiusHandle } from '../helpers/freeradius.js';
import { KMSCTL, metricValue, startKms, type KmsHandle } from '../helpers/kms.js';
import { canUseNetns, makeTempDir, runCommand } from '../helpers/netns.js';
import { radclient } from '../helpers/radclient.js';
import {
  createWiredTopology,
  startWiredAuthenticator,
  runWiredSupplicant,
  type WiredTopology,
  type WiredAuthenticator,
  type RunningSupplicant,
} from '../helpers/wired-8021x.js';

// Revocation end to end, against a real hostapd (wired 802.1X, in a namespace) with its DAS on:
// kmsctl revoke → the KMS's own Disconnect-Request → hostapd deauthenticates the station and ACKs;
// the record says revoked; an Accounting-Start for the revoked session from the AP → a Disconnect
// to that AP at once; and an upstream's Disconnect relayed through the KMS and ACKed revokes too.

const STA = '02:00:00:00:00:61';
const AP_MAC = '02:00:00:00:08:61';
const DAS_SECRET = 'upstream-das-secret';
const AP_DAS_SECRET = 'ap-das-secret';

describe.skipIf(!canUseNetns())('revocation at a wired hostapd with DAS', () => {
  let topo: WiredTopology;
  let aaa: FreeRadiusHandle;
  let kms: KmsHandle;
  let ap: WiredAuthenticator;
  let dasPort: number;
  let supplicant: RunningSupplicant | undefined;
  const diag = () => `\n--- kmsd:\n${kms.logs().slice(-3000)}\n--- hostapd:\n${ap.logs().slice(-2000)}`;
  const kmsctl = (args: string[]) =>
    runCommand(process.execPath, [KMSCTL, '--api', `http://127.0.0.1:${kms.apiPort}`, '--token', kms.token, ...args]);
  const station = async () => (await kms.api<{ revoked?: { reason: string }; session: string }>(`/v1/stations/${STA}`)).body;

  beforeAll(async () => {
    topo = await createWiredTopology({ staMac: STA, apMac: AP_MAC });
    const uplink = topo.uplink!;
    aaa = await startFreeRadius({ secret: 'aaa-secret' });
    dasPort = await freeUdpPort();
    kms = await startKms({
      listenAddress: uplink.peerSide.ip,
      clients: [{ name: 'wired-ap', address: uplink.apSide.ip, secret: 'ap-secret', das: { secret: AP_DAS_SECRET, port: 3799 } }],
      upstreams: [{ name: 'fr', address: '127.0.0.1', authPort: aaa.authPort, acctPort: aaa.acctPort, secret: 'aaa-secret' }],
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

  const login = async () => {
    const mark = ap.logMark();
    if (!supplicant) {
      const auth = await runWiredSupplicant({
        netns: topo.staNs,
        ifname: topo.staPort.ifname,
        identity: 'alice',
        password: 'password',
        caCertPath: aaa.caCertPath,
        keepRunning: true,
      });
      supplicant = auth.supplicant;
      expect(auth.success, `${auth.logs.slice(-2000)}${diag()}`).toBe(true);
    } else {
      // hostapd drops the deauthenticated entry a few seconds later; then a full EAP login.
      await expect.poll(async () => (await ap.cli(['sta', STA])).includes(STA), { timeout: 20_000 }).toBe(false);
      await supplicant.cli(['reauthenticate']);
    }
    await ap.waitForLog(new RegExp(`AP-STA-CONNECTED ${STA}`), undefined, mark);
    await expect.poll(async () => (await station())?.session, { timeout: 10_000 }).not.toBe('ended');
  };

  it("kmsctl revoke: the KMS sends the AP's DAS a Disconnect, hostapd deauthenticates the station and ACKs; the record says revoked", async () => {
    await login();
    expect(await ap.cli(['sta', STA])).toMatch(/AUTHORIZED/);
    const mark = ap.logMark();
    const r = await kmsctl(['revoke', STA, '--reason', 'stolen laptop', '--json']);
    expect(r.code, `${r.stdout}${r.stderr}${diag()}`).toBe(0);
    const out = JSON.parse(r.stdout) as { station: { revoked: { reason: string } }; told: { result: string; why: string }[] };
    expect(out.station.revoked.reason).toBe('stolen laptop');
    expect(out.told, diag()).toEqual([expect.objectContaining({ why: 'authenticated-here', result: 'ack' })]);
    await ap.waitForLog(new RegExp(`RADIUS DAS: Found a matching session ${STA} - disconnecting`), undefined, mark);
    await ap.waitForLog(new RegExp(`AP-STA-DISCONNECTED ${STA}`), undefined, mark);
    expect(await ap.cli(['sta', STA])).not.toMatch(/AUTHORIZED|\[AUTH\]/);
    expect(kms.logs()).toMatch(/station revoked/);
    expect(await station()).toMatchObject({ session: 'ended', revoked: { reason: 'stolen laptop' } });
    const shown = await kmsctl(['station', STA]);
    expect(shown.stdout).toMatch(/revoked\s+\S+: stolen laptop/);
    // Again: already revoked.
    expect((await kmsctl(['revoke', STA, '--json'])).code).not.toBe(0);
    const m = await kms.metrics();
    expect(metricValue(m, 'kms_revocations_total', { trigger: 'kmsctl' })).toBe(1);
    expect(metricValue(m, 'kms_revocation_kicks_total', { result: 'ack' })).toBe(1);
  });

  it('an Accounting-Start from the AP for the revoked session: the KMS sends that AP a Disconnect at once', async () => {
    const dir = await makeTempDir('acct');
    try {
      const file = join(dir.path, 'request');
      await writeFile(
        file,
        [
          'Acct-Status-Type = Start',
          `Calling-Station-Id = "${STA.replace(/:/g, '-').toUpperCase()}"`,
          'NAS-Identifier = "wired-ap.kms.test"',
          'Acct-Session-Id = "revoked-session"',
        ].join('\n') + '\n',
      );
      const mark = ap.logMark();
      const before = kms.logs().length;
      // From the AP's own address (its namespace), as hostapd would send it.
      const res = await runCommand(
        'radclient',
        ['-x', '-f', file, '-t', '3', '-r', '2', `${topo.uplink!.peerSide.ip}:${kms.acctPort}`, 'acct', 'ap-secret'],
        { netns: topo.apNs },
      );
      // (radclient's own check of the relayed Accounting-Response is not this test's subject.)
      expect(`${res.stdout}${res.stderr}`, diag()).toMatch(/Sent Accounting-Request/);
      await expect.poll(() => kms.logs().slice(before), { timeout: 10_000 }).toMatch(/revoked station seen at AP; disconnecting/);
      await expect.poll(() => kms.logs().slice(before), { timeout: 10_000 }).toMatch(/seen-after-revocation/);
      // hostapd's DAS received it (no station there any more: it removes any PMKSA entry and answers).
      await ap.waitForLog(/RADIUS DAS: /, undefined, mark);
      expect(await station()).toMatchObject({ revoked: { reason: 'stolen laptop' } });
    } finally {
      await dir.remove();
    }
  });

  it("a fresh full EAP login makes a new, unrevoked record; an upstream's Disconnect relayed and ACKed revokes it", async () => {
    await login();
    expect((await station()).revoked).toBeUndefined();
    const r = await radclient({
      server: `${topo.uplink!.peerSide.ip}:${dasPort}`,
      command: 'disconnect',
      secret: DAS_SECRET,
      attributes: [`Calling-Station-Id = "${STA.replace(/:/g, '-')}"`],
    });
    expect(r.reply, `${r.output}${diag()}`).toBe('Disconnect-ACK');
    await expect
      .poll(async () => (await station()).revoked?.reason, { timeout: 10_000 })
      .toMatch(/Disconnect-Request from an upstream, acknowledged by wired-ap/);
    expect(metricValue(await kms.metrics(), 'kms_revocations_total', { trigger: 'disconnect-ack' })).toBe(1);
  });
});
