// The KMS in the virtual lab (what it proves: docs/lab.md): kmsd runs in the guest's vlab-kms
// namespace on the DS segment, the APs' FT/RADIUS lines come from `kmsctl ap-config`, and real hostapd
// APs and a real wpa_supplicant station show that the keys the KMS places are the keys roams use.
// Each scenario file (hw/vlab/scenarios/kms-*.yaml) says step by step what it asserts; here we check
// the verdict and the roam table.
import { describe, it, expect, afterAll } from 'vitest';
import { expectAnalyzerAgrees } from './roam-crosscheck.js';
import { MINUTE, expectPass, printTables, runLab } from './lab-run.js';

afterAll(printTables);

describe('the KMS in the virtual lab', () => {
  it(
    '0: a PEAP join through the KMS (RADIUS proxy to FreeRADIUS) leaves a station record',
    async () => {
      const r = await runLab('kms-proxy', { kms: true });
      expectPass(r);
      expect(r.guest?.steps.every((s) => s.ok)).toBe(true);
    },
    10 * MINUTE,
  );

  it(
    "npm run demo's scenario: a join through the KMS, its key on the neighbour first, an FT roam with 0 EAP frames",
    async () => {
      const r = await runLab('demo-kms-roam', { kms: true });
      expectPass(r);
      expect(r.rows.map((x) => [x.to, x.method, x.eapFrames])).toEqual([['ap2', 'ft', 0]]);
      expect(r.kms?.pushStoredMs['sta1#1']?.ap2).toBeGreaterThan(0);
    },
    10 * MINUTE,
  );

  it(
    '1-3, 7: FT keys pushed to neighbours before the roam, PULL for a non-neighbour, VLAN kept, bad frames dropped',
    async () => {
      const r = await runLab('kms-ft', { kms: true });
      expectPass(r);
      await expectAnalyzerAgrees(r);
      expect(r.rows).toHaveLength(2);
      expect(r.rows[0]).toMatchObject({ from: 'ap1', to: 'ap2', method: 'ft', eapFrames: 0, eapolKeyFrames: 0 });
      expect(r.rows[1]).toMatchObject({ from: 'ap2', to: 'ap4', method: 'ft', eapFrames: 0, eapolKeyFrames: 0 });
      for (const row of r.rows) expect(row.captureMs).toBeGreaterThan(0);
    },
    10 * MINUTE,
  );

  it(
    '4, 6: OKC keys by PMKSA_ADD over SSH; an AP whose SSH was down catches up',
    async () => {
      const r = await runLab('kms-okc', { kms: true });
      expectPass(r);
      await expectAnalyzerAgrees(r);
      expect(r.rows.map((x) => [x.to, x.method, x.eapFrames])).toEqual([
        ['ap2', 'pmksa', 0],
        ['ap3', 'pmksa', 0],
      ]);
    },
    10 * MINUTE,
  );

  it(
    '5: placed keys survive a KMS crash; after a restart the next join is distributed again',
    async () => {
      const r = await runLab('kms-restart', { kms: true });
      expectPass(r);
      await expectAnalyzerAgrees(r);
      expect(r.rows.map((x) => [x.station, x.to, x.method, x.eapFrames])).toEqual([
        ['sta1', 'ap2', 'ft', 0],
        ['sta1', 'ap3', 'ft', 0],
        ['sta2', 'ap2', 'ft', 0],
      ]);
    },
    10 * MINUTE,
  );

  it(
    'revocation: a revoked FT station is thrown out of a primed neighbour within the bound and back only by full EAP; OKC entries are gone',
    async () => {
      const r = await runLab('kms-revoke', { kms: true });
      expectPass(r);
      expect(r.rows[0]).toMatchObject({ station: 'sta1', from: 'ap1', to: 'ap2', method: 'ft', eapFrames: 0 });
      // wpa_supplicant's own reconnects: any that got in with a key left behind was thrown out again
      // (the rejoin step checks that), the last one is full EAP.
      const sta1Back = r.rows.filter((x) => x.station === 'sta1' && x.via === 'reconnect');
      expect(sta1Back.at(-1)).toMatchObject({ method: 'full-eap' });
      expect(sta1Back.at(-1)!.eapFrames).toBeGreaterThan(0);
      const sta2Back = r.rows.filter((x) => x.station === 'sta2' && x.via === 'reconnect');
      expect(sta2Back.at(-1)).toMatchObject({ from: 'ap2', method: 'full-eap' });
      const kicks = r.guest?.disconnects ?? [];
      expect(kicks[0]).toMatchObject({ station: 'sta1', ap: 'ap2', how: 'roam', since: 'admission', frame: 'deauth' });
      expect(kicks.find((k) => k.station === 'sta2')).toMatchObject({ ap: 'ap2', since: 'revoke' });
      for (const k of kicks) expect(k.captureMs).toBeLessThanOrEqual(k.withinMs);
      console.log(
        `kms-revoke: ap2 disconnected the revoked sta1 ${kicks[0]!.captureMs.toFixed(1)} ms after its FT reassociation (bound ${kicks[0]!.withinMs} ms)`,
      );
    },
    15 * MINUTE,
  );

  it(
    'WPA3-Enterprise (PMF required): FT-EAP roam from a pushed PMK-R1, WPA-EAP-SHA256 OKC roam from PMKSA_ADD',
    async () => {
      const r = await runLab('kms-wpa3', { kms: true });
      expectPass(r);
      await expectAnalyzerAgrees(r);
      expect(r.rows.map((x) => [x.station, x.to, x.method, x.eapFrames])).toEqual([
        ['sta1', 'ap2', 'ft', 0],
        ['sta2', 'ap2', 'pmksa', 0],
      ]);
    },
    10 * MINUTE,
  );

  it(
    'WPA3-Enterprise 192-bit: FT-EAP-SHA384 roam from a pushed SHA-384 PMK-R1',
    async () => {
      const r = await runLab('kms-wpa3-192', { kms: true });
      expectPass(r);
      await expectAnalyzerAgrees(r);
      expect(r.rows.map((x) => [x.to, x.method, x.eapFrames])).toEqual([['ap2', 'ft', 0]]);
    },
    10 * MINUTE,
  );
});
