// Host side of a virtual-lab run: validate the scenario, make sure the image and the compiled guest
// runner exist, boot the guest with the job, then turn what comes back (guest-result.json, logs,
// capture.pcap) into a verdict, a roam table and, on failure, an error that names the step and shows
// the guest log lines explaining it.
import { mkdirSync, writeFileSync, readFileSync, existsSync, statSync, readdirSync } from 'node:fs';
import { join, basename, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { Scenario } from './scenario.js';
import { loadScenario } from './scenario.js';
import type { GuestResult, Job, StepRecord } from './job.js';
import { ensureImage, repoRoot } from './image.js';
import { WALL_PER_GUEST, bootGuest, guestClock } from './qemu.js';
import { readPcap } from './pcap.js';
import { analyseRoams, formatRoamTable, type RoamRow } from './roams.js';
import { checkExpectations } from './expect.js';
import { kmsTimings, type KmsTimings } from './kms-timings.js';
import { DEFAULT_TIMEOUT_MS } from './guest/steps.js';
import { hostapBinaryPaths } from './guest/hostap-bin.js';
import { formatDisconnects } from './revocation.js';

export interface LabRun {
  ok: boolean;
  scenario: Scenario;
  resultsDir: string;
  rows: RoamRow[];
  table: string;
  /** Empty when ok; otherwise each problem, step failures first, with their evidence. */
  failures: string[];
  timings: { imageMs: number; bootToEndMs: number; topologyMs?: number };
  guest?: GuestResult;
  /** Key distribution timings (scenarios with a kms: section). */
  kms?: KmsTimings;
}

export interface RunOptions {
  /** Multiplies every timeout (env LAB_TIME_SCALE); default 1, already sized for a 4x slower machine. */
  timeScale?: number;
  resultsRoot?: string;
  /** Folder with hostapd, hostapd_cli, wpa_supplicant and wpa_cli to run instead of Debian's (env LAB_HOSTAP_BIN). */
  hostapBin?: string;
  log?: (line: string) => void;
}

/**
 * Compiles the project if the guest runner in dist/ is missing or older than its sources. The guest
 * also runs kmsd and kmsctl from dist/ (KMS scenarios), so daemon/ and adapters/ count as sources too.
 */
export function ensureGuestBuild(log: (l: string) => void): void {
  const root = repoRoot();
  const entries = [join(root, 'dist', 'hw', 'vlab', 'guest', 'main.js'), join(root, 'dist', 'daemon', 'main', 'kmsd.js')];
  const newest = Math.max(...['hw/vlab', 'daemon', 'adapters'].map((d) => (existsSync(join(root, d)) ? newestMtime(join(root, d)) : 0)));
  const stale = () => entries.some((e) => !existsSync(e) || statSync(e).mtimeMs < newest);
  if (!stale()) return;
  log('vlab: compiling (dist/ is older than hw/vlab, daemon/ or adapters/)');
  const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root, encoding: 'utf8' });
  if (stale()) {
    throw new Error(`tsc did not produce ${entries.join(' and ')}:\n${(r.stdout + r.stderr).slice(-3000)}`);
  }
  if (r.status !== 0) log(`vlab: tsc reported errors; it emitted anyway, the lab runs what it produced:\n${r.stdout.slice(-1500)}`);
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** Upper bound for one VM run: boot and topology, every step's timeout, and teardown. */
function vmTimeoutMs(s: Scenario, scale: number): number {
  const steps = s.steps.reduce((sum, st) => {
    if ('join' in st) return sum + (st.join.timeoutMs ?? DEFAULT_TIMEOUT_MS.join);
    if ('roam' in st) return sum + (st.roam.timeoutMs ?? DEFAULT_TIMEOUT_MS.roam) * 2;
    if ('wait' in st) return sum + (st.wait.timeoutMs ?? DEFAULT_TIMEOUT_MS.wait);
    if ('ssh' in st) return sum + (st.ssh.timeoutMs ?? DEFAULT_TIMEOUT_MS.ssh);
    if ('sleep' in st) return sum + st.sleep.ms;
    if ('cli' in st) return sum + 10_000 + (st.cli.timeoutMs ?? 0);
    if ('kms-start' in st) return sum + (st['kms-start'].timeoutMs ?? 60_000);
    if ('assert-hostapd-log' in st) return sum + (st['assert-hostapd-log'].timeoutMs ?? DEFAULT_TIMEOUT_MS.wait);
    if ('assert-kms' in st)
      return sum + (st['assert-kms'].timeoutMs ?? DEFAULT_TIMEOUT_MS.kms) * 2 + (st['assert-kms'].kmsctl ? 90_000 : 0);
    if ('inject-rrb' in st) return sum + 30_000;
    if ('kms-revoke' in st) return sum + 90_000 + (st['kms-revoke'].timeoutMs ?? DEFAULT_TIMEOUT_MS.kms);
    if ('expect-disconnect' in st) return sum + 10_000 + (st['expect-disconnect'].timeoutMs ?? DEFAULT_TIMEOUT_MS.wait);
    if ('rejoin' in st) return sum + 20_000 + (st.rejoin.timeoutMs ?? DEFAULT_TIMEOUT_MS.join);
    if ('ap-ssh-down' in st || 'ap-ssh-up' in st) return sum + 20_000;
    return sum + 1000;
  }, 0);
  // kmsd adds kmsctl ap-config per AP and its own start to the topology.
  return Math.round((180_000 + (s.kms?.enabled ? 120_000 : 0) + steps) * scale);
}

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

export function formatStepFailure(step: StepRecord): string {
  const lines = [`${step.description} failed: ${step.error ?? 'unknown error'}`];
  for (const [log, evidence] of Object.entries(step.evidence ?? {})) {
    if (evidence.length === 0) continue;
    lines.push(`  guest log ${log}:`);
    for (const l of evidence) lines.push(`    ${l}`);
  }
  return lines.join('\n');
}

export async function runScenario(nameOrPath: string | Scenario, o: RunOptions = {}): Promise<LabRun> {
  const log = o.log ?? ((l: string) => console.log(l));
  const scenario = typeof nameOrPath === 'string' ? loadScenario(nameOrPath) : nameOrPath;
  const timeScale = o.timeScale ?? Number(process.env.LAB_TIME_SCALE ?? 1);
  const resultsDir = join(o.resultsRoot ?? join(repoRoot(), 'results', 'vlab'), `${scenario.name}-${stamp()}`);
  mkdirSync(resultsDir, { recursive: true });

  const imageStarted = Date.now();
  const image = await ensureImage((l) => log(l));
  ensureGuestBuild(log);
  const imageMs = Date.now() - imageStarted;

  const hostapBinDir = o.hostapBin ?? process.env.LAB_HOSTAP_BIN;
  const hostapBin = hostapBinDir ? resolve(hostapBinDir) : undefined;
  if (hostapBin) hostapBinaryPaths(hostapBin); // fails here, on the host, rather than after the boot
  const job: Job = { scenario, imageDir: image.dir, timeScale, top: process.env.LAB_TOP === '1', ...(hostapBin ? { hostapBin } : {}) };
  writeFileSync(join(resultsDir, 'job.json'), JSON.stringify(job, null, 2));
  const clock = guestClock();
  const wallBoundMs = vmTimeoutMs(scenario, timeScale) * WALL_PER_GUEST[clock];
  log(
    `  vlab: guest clock: ${clock === 'instructions' ? 'instruction-counted (1 vCPU at 500 MIPS of guest time)' : "the host's (2 vCPUs)"}`,
  );
  const boot = await bootGuest({
    image,
    script: join(repoRoot(), 'hw', 'vlab', 'guest', 'boot.sh'),
    outDir: resultsDir,
    timeoutMs: wallBoundMs,
    clock,
    // kmsd and the kmsctl runs add a few hundred MB of node heaps to the guest.
    memoryMb: scenario.kms?.enabled ? 1536 : 1024,
    onLine: (l) => {
      if (l.startsWith('vlab')) log(`  ${l}`);
    },
  });

  const failures: string[] = [];
  const resultPath = join(resultsDir, 'guest-result.json');
  const guest = existsSync(resultPath) ? (JSON.parse(readFileSync(resultPath, 'utf8')) as GuestResult) : undefined;
  if (boot.timedOut) failures.push(`the guest did not finish within ${wallBoundMs} ms (console: ${boot.console})`);
  if (!guest) {
    const tail = readFileSync(boot.console, 'utf8').split('\n').slice(-25).join('\n');
    failures.push(`the guest wrote no guest-result.json; last console lines:\n${tail}`);
  } else {
    for (const step of guest.steps.filter((x) => !x.ok)) failures.push(`scenario ${scenario.name}: ${formatStepFailure(step)}`);
    if (!guest.ok && !guest.steps.some((x) => !x.ok)) failures.push('the guest runner failed before any step (see console.log)');
  }

  let rows: RoamRow[] = [];
  if (guest) {
    const capture = guest.capture ? join(resultsDir, guest.capture) : undefined;
    let frames;
    if (capture && existsSync(capture)) frames = readPcap(readFileSync(capture));
    else failures.push('no capture.pcap came back from the guest');
    rows = analyseRoams(guest.roams, frames);
    if (guest.ok) failures.push(...checkExpectations(scenario.expect.roams, rows));
    // A roam step that failed is in the table too: the frames say why (the FT ANonce race, a status).
    else failures.push(...rows.filter((r) => r.ftFailure !== null).map((r) => `roam ${r.station} ${r.from} → ${r.to}: ${r.ftFailure}`));
  }
  const version = guest?.hostapdVersion ? `, ${guest.hostapdVersion}` : '';
  let table = formatRoamTable(`${scenario.name} (RADIUS delay ${scenario.radius.delayMs} ms each way${version})`, rows);
  if (guest?.disconnects?.length) table += `\n${formatDisconnects(guest.disconnects)}`;
  let kms: KmsTimings | undefined;
  if (guest && scenario.kms?.enabled) {
    try {
      kms = kmsTimings(
        resultsDir,
        guest,
        scenario.aps.map((a) => a.name),
        scenario.kms.distribution,
      );
      writeFileSync(join(resultsDir, 'kms-timings.txt'), `${kms.lines.join('\n')}\n`);
      if (kms.lines.length > 0) table += `\nkey distribution:\n${kms.lines.map((l) => `  ${l}`).join('\n')}`;
    } catch (e) {
      log(`vlab: cannot compute KMS timings: ${(e as Error).message}`);
    }
  }
  writeFileSync(join(resultsDir, 'roams.txt'), table + '\n');
  writeFileSync(join(resultsDir, 'roams.json'), JSON.stringify(rows, null, 2));
  const ok = failures.length === 0;
  writeFileSync(join(resultsDir, 'verdict.txt'), ok ? 'PASS\n' : `FAIL\n${failures.join('\n\n')}\n`);
  log(`vlab: ${scenario.name}: ${ok ? 'PASS' : 'FAIL'} in ${(boot.wallMs / 1000).toFixed(1)} s (results in ${basename(resultsDir)})`);
  return {
    ok,
    scenario,
    resultsDir,
    rows,
    table,
    failures,
    timings: { imageMs, bootToEndMs: boot.wallMs, topologyMs: guest?.topologyMs },
    guest,
    kms,
  };
}
