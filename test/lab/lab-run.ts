// What every lab test file needs: a check that the machine has the lab's tools (a clear error, not
// a confusing failure deep in the guest), running a scenario while collecting its roam table, and
// failing with the runner's own explanation (step, error, guest log lines).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runScenario, type LabRun } from '../../hw/vlab/run.js';
import { loadScenario } from '../../hw/vlab/scenario.js';
import { repoRoot } from '../../hw/vlab/image.js';

export const MINUTE = 60_000;
const tables: string[] = [];

export function requireLabTools(o: { kms?: boolean } = {}): void {
  const missing = [
    'qemu-system-x86_64',
    'hostapd',
    'wpa_supplicant',
    'freeradius',
    'tcpdump',
    'iw',
    'busybox',
    'dropbear',
    ...(o.kms ? ['ss'] : []),
  ].filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  if (missing.length > 0) throw new Error(`the lab needs ${missing.join(', ')}: install the packages in .ci/debian-packages.txt`);
  // kmsd's R0KH-R1KH endpoint needs the AF_PACKET addon (npm ci builds it with node-gyp).
  if (o.kms && !existsSync(join(repoRoot(), 'build', 'Release', 'af_packet.node')))
    throw new Error('build/Release/af_packet.node is missing: run npm ci (or npm rebuild)');
}

export async function runLab(
  name: string,
  o: { kms?: boolean; change?: (s: ReturnType<typeof loadScenario>) => void } = {},
): Promise<LabRun> {
  requireLabTools(o);
  const scenario = loadScenario(name);
  o.change?.(scenario);
  const r = await runScenario(scenario, { log: () => undefined });
  tables.push(
    `${r.table}\n(${(r.timings.bootToEndMs / 1000).toFixed(1)} s boot to power-off, topology ${((r.timings.topologyMs ?? 0) / 1000).toFixed(1)} s)`,
  );
  return r;
}

export function expectPass(r: LabRun): void {
  if (!r.ok) throw new Error(`lab scenario ${r.scenario.name} failed (results in ${r.resultsDir}):\n${r.failures.join('\n\n')}`);
}

/** For afterAll: the roam tables of this file's runs. */
export function printTables(): void {
  if (tables.length > 0) console.log(`\n${tables.join('\n\n')}\n`);
}
