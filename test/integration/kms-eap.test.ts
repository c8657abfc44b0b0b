import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFreeRadius, type FreeRadiusHandle } from '../helpers/freeradius.js';
import { runEapolTest, calledStationId } from '../helpers/eapol-test.js';
import { startKms, type KmsHandle } from '../helpers/kms.js';
import { exchange, accountingRequest } from '../helpers/radius-client.js';
import { AKM, derivePmkR0, derivePmkid, derivePmkR1 } from '../../daemon/keys/index.js';
import { macToBytes } from '../../daemon/common/mac.js';
import type { StationView } from '../../daemon/api/views.js';

// A station authenticates with real EAP (eapol_test playing AP + station) through the KMS to a
// real FreeRADIUS. The KMS must relay a working Accept (MPPE keys OK at the peer) and keep a
// record whose key names match what the peer's MSK gives.

const UPSTREAM_SECRET = 'kms-to-aaa-secret';
const AP_SECRET = 'ap1-to-kms-secret';
const SSID = 'kms-test';
const BSSID1 = '02:00:00:00:03:00';
const BSSID2 = '02:00:00:00:04:00';
const NAS_ID = 'ap1.example.com';

let aaa: FreeRadiusHandle;
let kms: KmsHandle;
const secretsSeen: Buffer[] = [];

beforeAll(async () => {
  aaa = await startFreeRadius({ secret: UPSTREAM_SECRET });
  kms = await startKms({
    clients: [{ name: 'ap1', address: '127.0.0.1', secret: AP_SECRET }],
    upstreams: [{ name: 'freeradius', address: '127.0.0.1', authPort: aaa.authPort, acctPort: aaa.acctPort, secret: UPSTREAM_SECRET }],
  });
});

afterAll(async () => {
  await kms?.stop();
  await aaa?.stop();
});

const viaKms = () => ({ address: '127.0.0.1', port: kms.authPort, secret: AP_SECRET });

async function authenticate(o: {
  method: 'PEAP' | 'TTLS';
  identity: string;
  password: string;
  sta: string;
  akm: number;
  outerIdentity?: string | null;
}) {
  const r = await runEapolTest({
    anonymousIdentity: o.outerIdentity,
    server: viaKms(),
    method: o.method,
    identity: o.identity,
    password: o.password,
    caCertPath: aaa.caCertPath,
    nasIdentifier: NAS_ID,
    calledStationId: calledStationId(BSSID1, SSID),
    stationMac: o.sta,
    mobilityDomainId: 'a1b2',
    akmSuite: o.akm,
    pairwiseCipher: 0x000fac04,
  });
  if (!r.success) throw new Error(`eapol_test failed through the KMS:\n${r.stdout.slice(-3000)}\n--- kmsd:\n${kms.logs().slice(-3000)}`);
  secretsSeen.push(r.msk!);
  return r;
}

describe('EAP through the KMS to FreeRADIUS', () => {
  it('PEAP/MSCHAPv2 with FT-EAP: SUCCESS, MPPE keys OK, record with PMKR0Name and PMKID', async () => {
    const sta = '02:00:00:00:01:00';
    const r = await authenticate({ method: 'PEAP', identity: 'alice', password: 'password', sta, akm: AKM.FT_IEEE8021X });
    expect(r.mppeOk).toBe(true);
    expect(r.msk).toHaveLength(64);
    expect(r.peerMsk!.equals(r.msk!)).toBe(true);

    const expectedR0 = derivePmkR0({
      xxKey: r.msk!.subarray(32),
      ssid: Buffer.from(SSID),
      mdid: Buffer.from('a1b2', 'hex'),
      r0khId: Buffer.from(NAS_ID),
      s0khId: macToBytes(sta),
    });
    secretsSeen.push(expectedR0.pmkR0, derivePmkR1(expectedR0.pmkR0, macToBytes(BSSID2), macToBytes(sta)));
    // hostapd caches MSK[32..63] as the PMKSA of an FT-EAP station; its PMKID uses HMAC-SHA1.
    const expectedPmkid = derivePmkid(r.msk!.subarray(32), macToBytes(BSSID2), macToBytes(sta), AKM.FT_IEEE8021X);

    const rec = await kms.kmsctlJson<StationView>(['station', sta, '--bssid', BSSID2]);
    expect(rec.pmkR0Name).toBe(expectedR0.pmkR0Name.toString('hex'));
    expect(rec.pmkid).toBe(expectedPmkid.toString('hex'));
    expect(rec).toMatchObject({
      staMac: sta,
      ssid: SSID,
      mdid: 'a1b2',
      akm: AKM.FT_IEEE8021X,
      akmName: 'FT-EAP',
      pairwiseCipher: 0x000fac04,
      ap: { bssid: BSSID1, nasIdentifier: NAS_ID, clientAddress: '127.0.0.1' },
      vlan: { untagged: 100, tagged: [] },
      role: { filterId: 'staff-acl', arubaUserRole: 'employee' },
      cui: 'cui-alice-0001',
      sessionTimeout: 3600,
      session: 'authenticated',
      classes: [Buffer.from('kms-test-class-alice').toString('hex')],
      machineAuth: { authenticated: false },
    });
    // The identity is the inner one when the server returns it, else the outer identity eapol_test sent.
    expect(['alice', 'anonymous']).toContain(rec.identity);
    expect(JSON.stringify(rec)).not.toMatch(/"(pmk|pmkR0|msk|mpmk|keys)"/);
    expect(rec.expiresAt - rec.authenticatedAt).toBe(3600 * 1000);
  });

  it('TTLS/PAP with WPA2-EAP: PMKID from MSK[0..31], no PMK-R0', async () => {
    const sta = '02:00:00:00:02:00';
    const r = await authenticate({ method: 'TTLS', identity: 'bob', password: 'hunter2hunter2', sta, akm: AKM.IEEE8021X });
    expect(r.mppeOk).toBe(true);
    const rec = await kms.kmsctlJson<StationView>(['station', sta, '--bssid', BSSID2]);
    expect(rec.pmkR0Name).toBeNull();
    expect(rec.hasPmk).toBe(true);
    expect(rec.pmkid).toBe(derivePmkid(r.msk!.subarray(0, 32), macToBytes(BSSID2), macToBytes(sta), AKM.IEEE8021X).toString('hex'));
    expect(rec.vlan).toBeNull();
  });

  it('a machine authentication marks the later user authentication of the same MAC', async () => {
    const sta = '02:00:00:00:05:00';
    // Windows sends the machine's real name as the outer identity, which is how the KMS (like Aruba) spots it.
    await authenticate({
      method: 'PEAP',
      identity: 'host/laptop1.example.com',
      password: 'machine-secret-1',
      sta,
      akm: AKM.IEEE8021X,
      outerIdentity: null,
    });
    await authenticate({ method: 'PEAP', identity: 'alice', password: 'password', sta, akm: AKM.IEEE8021X });
    const rec = await kms.kmsctlJson<StationView>(['station', sta]);
    expect(rec.machineAuth).toMatchObject({ authenticated: true, identity: 'host/laptop1.example.com' });
    await authenticate({ method: 'PEAP', identity: 'alice', password: 'password', sta: '02:00:00:00:06:00', akm: AKM.IEEE8021X });
    expect((await kms.kmsctlJson<StationView>(['station', '02:00:00:00:06:00'])).machineAuth.authenticated).toBe(false);
  });

  it('accounting from another AP moves the station; a late Stop from the old AP ends nothing', async () => {
    const sta = '02:00:00:00:01:00';
    const acct = { address: '127.0.0.1', port: kms.acctPort };
    const start = accountingRequest({
      secret: AP_SECRET,
      status: 1,
      station: sta,
      nasIdentifier: 'ap2.example.com',
      calledStationId: `${BSSID2.replace(/:/g, '-').toUpperCase()}:${SSID}`,
      sessionId: 'S2',
    });
    expect(await exchange(acct, start)).toHaveLength(1);
    let rec = await kms.kmsctlJson<StationView>(['station', sta]);
    expect(rec.session).toBe('active');
    expect(rec.currentAp).toMatchObject({ bssid: BSSID2, nasIdentifier: 'ap2.example.com' });

    const stale = accountingRequest({
      secret: AP_SECRET,
      status: 2,
      station: sta,
      nasIdentifier: NAS_ID,
      calledStationId: `${BSSID1.replace(/:/g, '-').toUpperCase()}:${SSID}`,
      sessionId: 'S1',
      identifier: 8,
    });
    expect(await exchange(acct, stale)).toHaveLength(1);
    // the accounting detail at FreeRADIUS proves the KMS forwarded both
    await expect.poll(async () => (await aaa.accountingLog()).match(/Acct-Session-Id = "S[12]"/g)?.length ?? 0).toBe(2);
    rec = await kms.kmsctlJson<StationView>(['station', sta]);
    expect(rec.session).toBe('active');

    const stop = accountingRequest({
      secret: AP_SECRET,
      status: 2,
      station: sta,
      nasIdentifier: 'ap2.example.com',
      calledStationId: `${BSSID2.replace(/:/g, '-').toUpperCase()}:${SSID}`,
      sessionId: 'S2',
      identifier: 9,
    });
    expect(await exchange(acct, stop)).toHaveLength(1);
    rec = await kms.kmsctlJson<StationView>(['station', sta]);
    expect(rec.session).toBe('ended');
  });

  it('kmsctl prints tables and health for people', async () => {
    const list = await kms.kmsctl(['stations']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^STATION\s+AP\s+BSSID/);
    expect(list.stdout).toContain('02:00:00:00:02:00');
    const health = await kms.kmsctl(['health']);
    expect(health.stdout).toMatch(/status ok/);
    expect(health.stdout).toMatch(/upstream freeradius: alive/);
    const missing = await kms.kmsctl(['station', '02:00:00:00:99:99']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no record for station 02:00:00:00:99:99/);
    const bad = await kms.kmsctl(['station', 'not-a-mac']);
    expect(bad.stderr).toMatch(/not a MAC address/);
  });

  it('the API refuses requests without the token', async () => {
    const res = await fetch(`http://127.0.0.1:${kms.apiPort}/v1/stations`);
    expect(res.status).toBe(401);
    const wrong = await fetch(`http://127.0.0.1:${kms.apiPort}/metrics`, { headers: { Authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
  });

  it('a restarted daemon has every record it had answered for', async () => {
    const before = await kms.kmsctlJson<StationView[]>(['stations']);
    expect(before.length).toBeGreaterThanOrEqual(4);
    await kms.restart();
    const after = await kms.kmsctlJson<StationView[]>(['stations']);
    expect(after.map((s) => [s.staMac, s.pmkR0Name, s.session]).sort()).toEqual(
      before.map((s) => [s.staMac, s.pmkR0Name, s.session]).sort(),
    );
    // keys survive too: the PMKID is computed from the stored (encrypted) PMK
    const rec = await kms.kmsctlJson<StationView>(['station', '02:00:00:00:02:00', '--bssid', BSSID2]);
    expect(rec.pmkid).toMatch(/^[0-9a-f]{32}$/);
  });

  it('no key or secret ever appears in the logs', async () => {
    const logs = kms.logs();
    expect(logs).toMatch(/station learned/);
    const needles = [
      ...secretsSeen.flatMap((k) => [
        k.toString('hex'),
        k.subarray(0, 16).toString('hex'),
        k.subarray(16, 32).toString('hex'),
        k.toString('base64'),
      ]),
      AP_SECRET,
      UPSTREAM_SECRET,
      kms.token,
    ];
    for (const n of needles) expect(logs.includes(n), `log contains ${n.slice(0, 8)}…`).toBe(false);
  });
});
