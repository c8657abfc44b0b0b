// The virtual lab's baselines, run for real: QEMU boots the Debian guest kernel with mac80211_hwsim,
// hostapd, wpa_supplicant and FreeRADIUS run inside, and the roams are judged from the capture.
// Nothing here involves the KMS: these are the numbers a KMS must beat.
import { describe, it, expect, afterAll } from 'vitest';
import { expectAnalyzerAgrees } from './roam-crosscheck.js';
import { MINUTE, expectPass, printTables, runLab } from './lab-run.js';

afterAll(printTables);

describe('virtual lab baselines (no KMS)', () => {
  it(
    '1: PEAP join at AP1, AP managed over SSH with a pinned host key',
    async () => {
      const r = await runLab('peap-join');
      expectPass(r);
      expect(r.guest?.steps.find((s) => s.description.includes('join'))?.ok).toBe(true);
    },
    10 * MINUTE,
  );

  it(
    '2: roam AP1→AP2 without key sharing runs full EAP',
    async () => {
      const r = await runLab('roam-full-eap');
      expectPass(r);
      await expectAnalyzerAgrees(r);
      expect(r.rows).toHaveLength(1);
      expect(r.rows[0]).toMatchObject({ from: 'ap1', to: 'ap2', method: 'full-eap' });
      expect(r.rows[0]!.eapFrames).toBeGreaterThanOrEqual(8);
      expect(r.rows[0]!.captureMs).toBeGreaterThan(0);
      expect(r.rows[0]!.eventsMs).toBeGreaterThan(0);
    },
    10 * MINUTE,
  );

  it(
    '3: hostapd FT (r0kh/r1kh, pmk_r1_push=1) roams with 0 EAP frames',
    async () => {
      const r = await runLab('roam-ft');
      expectPass(r);
      await expectAnalyzerAgrees(r);
      expect(r.rows).toHaveLength(1);
      expect(r.rows[0]).toMatchObject({ from: 'ap1', to: 'ap2', method: 'ft', eapFrames: 0 });
      expect(r.rows[0]!.captureMs).toBeGreaterThan(0);
      expect(r.rows[0]!.eventsMs).toBeGreaterThan(0);
    },
    10 * MINUTE,
  );

  it(
    'a failing step names itself and shows the guest log lines that explain it',
    async () => {
      const r = await runLab('peap-join', {
        change: (s) => {
          s.name = 'peap-join-wrong-password';
          s.stations[0]!.password = 'not-the-password';
          s.steps = [s.steps[0]!];
        },
      });
      expect(r.ok).toBe(false);
      const message = r.failures.join('\n');
      expect(message).toContain('step 1 (join sta1 → ap1) failed');
      expect(message).toContain('guest log radius');
      expect(message).toMatch(/Login incorrect/);
    },
    10 * MINUTE,
  );
});
