// The KMS in the virtual lab (tracker issue 4, "How it is proven"): kmsd runs in the guest's vlab-kms
// namespace on the DS segment, the APs' FT/RADIUS lines come from `kmsctl ap-config`, and real hostapd
// APs and a real wpa_supplicant station show that the keys the KMS places are the keys roams use.
// Each scenario file (hw/vlab/scenarios/kms-*.yaml) says step by step what it asserts; here we check
// the verdict and the roam table.
import { describe, it, expect, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expectAnalyzerAgrees } from './roam-crosscheck.js';
import { runScenario, type LabRun } from '../../hw/vlab/run.js';
import { loadScenario } from '../../hw/vlab/scenario.js';
import { repoRoot } from '../../hw/vlab/image.js';

const MINUTE = 60_000;
const tables: string[] = [];

function requireTools(): void {
  const missing = ['qemu-system-x86_64', 'hostapd', 'wpa_supplicant', 'freeradius', 'tcpdump', 'iw', 'busybox', 'dropbear', 'ss']
    .filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  if (missing.length > 0) throw new Error(`the lab needs ${missing.join(', ')}: install the packages in .ci/debian-packages.txt`);
  // kmsd's R0KH-R1KH endpoint needs the AF_PACKET addon (npm ci builds it with node-gyp).
  if (!existsSync(join(repoRoot(), 'build', 'Release', 'af_packet.node'))) throw new Error('build/Release/af_packet.node is missing: run npm ci (or npm rebuild)');
}

async function run(name: string): Promise<LabRun> {
  requireTools();
  const result = await runScenario(loadScenario(name), { log: () => undefined });
  tables.push(`${result.table}\n(${(result.timings.bootToEndMs / 1000).toFixed(1)} s boot to power-off, topology ${((result.timings.topologyMs ?? 0) / 1000).toFixed(1)} s)`);
  return result;
}

/** Fails with the runner's own explanation (step, error, guest log lines) rather than a bare boolean. */
function expectPass(r: LabRun): void {
  if (!r.ok) throw new Error(`lab scenario ${r.scenario.name} failed (results in ${r.resultsDir}):\n${r.failures.join('\n\n')}`);
}

afterAll(() => {
  if (tables.length > 0) console.log(`\n${tables.join('\n\n')}\n`);
});

describe('the KMS in the virtual lab', () => {
  it('0: a PEAP join through the KMS (RADIUS proxy to FreeRADIUS) leaves a station record', async () => {
    const r = await run('kms-proxy');
    expectPass(r);
    expect(r.guest?.steps.every((s) => s.ok)).toBe(true);
  }, 10 * MINUTE);

  it('1-3, 7: FT keys pushed to neighbours before the roam, PULL for a non-neighbour, VLAN kept, bad frames dropped', async () => {
    const r = await run('kms-ft');
    expectPass(r);
    await expectAnalyzerAgrees(r);
    expect(r.rows).toHaveLength(2);
    expect(r.rows[0]).toMatchObject({ from: 'ap1', to: 'ap2', method: 'ft', eapFrames: 0, eapolKeyFrames: 0 });
    expect(r.rows[1]).toMatchObject({ from: 'ap2', to: 'ap4', method: 'ft', eapFrames: 0, eapolKeyFrames: 0 });
    for (const row of r.rows) expect(row.captureMs).toBeGreaterThan(0);
  }, 10 * MINUTE);

  it('4, 6: OKC keys by PMKSA_ADD over SSH; an AP whose SSH was down catches up', async () => {
    const r = await run('kms-okc');
    expectPass(r);
    await expectAnalyzerAgrees(r);
    expect(r.rows.map((x) => [x.to, x.method, x.eapFrames])).toEqual([['ap2', 'pmksa', 0], ['ap3', 'pmksa', 0]]);
  }, 10 * MINUTE);

  it('5: placed keys survive a KMS crash; after a restart the next join is distributed again', async () => {
    const r = await run('kms-restart');
    expectPass(r);
    await expectAnalyzerAgrees(r);
    expect(r.rows.map((x) => [x.station, x.to, x.method, x.eapFrames])).toEqual([
      ['sta1', 'ap2', 'ft', 0], ['sta1', 'ap3', 'ft', 0], ['sta2', 'ap2', 'ft', 0],
    ]);
  }, 10 * MINUTE);
});
