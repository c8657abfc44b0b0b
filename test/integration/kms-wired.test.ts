import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFreeRadius, type FreeRadiusHandle } from '../helpers/freeradius.js';
import { startKms, type KmsHandle } from '../helpers/kms.js';
import { canUseNetns } from '../helpers/netns.js';
import {
  createWiredTopology,
  startWiredAuthenticator,
  runWiredSupplicant,
  type WiredTopology,
  type WiredAuthenticator,
} from '../helpers/wired-8021x.js';
import type { StationView } from '../../daemon/api/views.js';

// Real hostapd (-Dwired, in a namespace) uses the KMS as its RADIUS server; real wpa_supplicant
// authenticates with PEAP; FreeRADIUS is upstream. hostapd 2.10 checks the Message-Authenticator
// and decrypts the MS-MPPE keys the KMS re-encrypted, so a shared MSK at both ends proves the
// relay is right, and the KMS must have kept a record of the station.

const STA = '02:00:00:00:00:41';
const AP_MAC = '02:00:00:00:07:00';

describe.skipIf(!canUseNetns())('wired hostapd through the KMS', () => {
  let topo: WiredTopology;
  let aaa: FreeRadiusHandle;
  let kms: KmsHandle;
  let ap: WiredAuthenticator;

  beforeAll(async () => {
    topo = await createWiredTopology({ staMac: STA, apMac: AP_MAC });
    const uplink = topo.uplink!;
    aaa = await startFreeRadius({ secret: 'aaa-secret' });
    kms = await startKms({
      listenAddress: uplink.peerSide.ip,
      clients: [{ name: 'wired-ap', address: uplink.apSide.ip, secret: 'ap-secret' }],
      upstreams: [{ name: 'fr', address: '127.0.0.1', authPort: aaa.authPort, acctPort: aaa.acctPort, secret: 'aaa-secret' }],
    });
    ap = await startWiredAuthenticator({
      netns: topo.apNs,
      ifname: topo.apPort.ifname,
      ownIpAddr: uplink.apSide.ip,
      nasIdentifier: 'wired-ap.kms.test',
      radius: { address: uplink.peerSide.ip, authPort: kms.authPort, acctPort: kms.acctPort, secret: 'ap-secret' },
    });
  });
  afterAll(async () => {
    await ap?.stop();
    await kms?.stop();
    await aaa?.stop();
    await topo?.destroy();
  });

  it('authenticates, both ends share the MSK, and the KMS keeps the record', async () => {
    const r = await runWiredSupplicant({
      netns: topo.staNs,
      ifname: topo.staPort.ifname,
      identity: 'alice',
      password: 'password',
      caCertPath: aaa.caCertPath,
    });
    expect(r.success, `${r.logs.slice(-2000)}\n--- kmsd:\n${kms.logs().slice(-2000)}`).toBe(true);
    await ap.waitForLog(new RegExp(`AP-STA-CONNECTED ${STA}`));
    expect(ap.mskFor(STA)?.toString('hex')).toBe(r.msk?.toString('hex'));

    const rec = await kms.kmsctlJson<StationView>(['station', STA]);
    expect(rec).toMatchObject({
      staMac: STA,
      ap: { nasIdentifier: 'wired-ap.kms.test', clientAddress: topo.uplink!.apSide.ip, bssid: AP_MAC },
      vlan: { untagged: 100 },
      role: { filterId: 'staff-acl' },
    });
    // hostapd's Accounting-Start goes through the KMS too and marks the session active.
    await expect.poll(async () => (await kms.kmsctlJson<StationView>(['station', STA])).session, { timeout: 5000 }).toBe('active');
    expect(await aaa.accountingLog()).toMatch(/Calling-Station-Id = "02-00-00-00-00-41"/);
    // hostapd checks the Accounting-Response's authenticators (2.11 also its Message-Authenticator,
    // which the KMS always sends) and drops a bad one with a line the next test looks for.
    await expect
      .poll(
        () => /Sending RADIUS message to accounting server[\s\S]*Received RADIUS packet matched with a pending request/.test(ap.logs()),
        { timeout: 15_000 },
      )
      .toBe(true);
  });

  it('a wrong password: hostapd accepts the relayed Access-Reject (Message-Authenticator first, as 2.11 requires)', async () => {
    const mark = ap.logMark();
    const r = await runWiredSupplicant({
      netns: topo.staNs,
      ifname: topo.staPort.ifname,
      identity: 'alice',
      password: 'wrong',
      caCertPath: aaa.caCertPath,
    });
    // 'failure', not 'timeout': hostapd sends the EAP-Failure only for a Reject that passed its checks.
    expect(r.outcome, r.logs.slice(-2000)).toBe('failure');
    // Printed only after the Reject passed radius_msg_verify().
    await ap.waitForLog(/decapsulated EAP packet \(code=4 [^)]*\) from RADIUS server: EAP Failure/, undefined, mark);
    // The whole log: the first test's Accounting-Response too.
    expect(ap.logs()).not.toMatch(RADIUS_CHECK_FAILED);
  });
});

/** hostapd's words for a response whose authenticators or Message-Authenticator failed its checks. */
const RADIUS_CHECK_FAILED =
  /No Message-Authenticator attribute found|Invalid Message-Authenticator|Response Authenticator invalid|did not have correct Authenticator|Incoming RADIUS packet did not have correct/;
