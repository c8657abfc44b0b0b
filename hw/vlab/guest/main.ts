// Entry point of the in-guest runner (started by guest/boot.sh as `node dist/hw/vlab/guest/main.js
// /vlab-out/job.json`). It builds the world, runs the steps, stops everything it started and copies
// logs, the pcap and guest-result.json to the results share for the host to analyse.
import { readFileSync, writeFileSync, copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { GuestResult, Job } from '../job.js';
import { makePlan, macsOf } from '../plan.js';
import { buildWorld, type World } from './topology.js';
import { StepRunner } from './steps.js';
import { vlabTarget } from './vlab-target.js';
import { Daemons, sleep } from './exec.js';
import { Logs } from './logs.js';
import { RUN_DIR } from '../plan.js';
import { hostapdVersion, useHostapBinaries } from './hostap-bin.js';

const OUT = '/vlab-out';

async function main(): Promise<number> {
  const job = JSON.parse(readFileSync(process.argv[2] ?? join(OUT, 'job.json'), 'utf8')) as Job;
  const s = job.scenario;
  const plan = makePlan(s);
  const result: GuestResult = { ok: false, startedAt: Date.now(), endedAt: 0, steps: [], roams: [], macs: macsOf(plan), logs: {} };
  const save = () => writeFileSync(join(OUT, 'guest-result.json'), JSON.stringify(result, null, 2));
  let world: World | undefined;
  // Created here so that a topology failure still stops what was started and keeps the logs.
  const daemons = new Daemons();
  const logs = new Logs();
  try {
    console.log(
      `vlab: scenario ${s.name}: ${plan.aps.length} AP(s), ${plan.stations.length} station(s), RADIUS delay ${s.radius.delayMs} ms`,
    );
    result.hostapdVersion = job.hostapBin ? await useHostapBinaries(job.hostapBin) : await hostapdVersion();
    console.log(`vlab: ${result.hostapdVersion}${job.hostapBin ? ` (from ${job.hostapBin})` : ''}`);
    const t0 = Date.now();
    try {
      world = await buildWorld(s, plan, { imageDir: job.imageDir, timeScale: job.timeScale, top: job.top, daemons, logs });
      result.topologyMs = Date.now() - t0;
      result.steps.push({
        index: -1,
        description: `topology (radios, namespaces, RADIUS, ${s.kms?.enabled ? 'kmsd, ' : ''}hostapd, wpa_supplicant, capture)`,
        ok: true,
        startedAt: t0,
        endedAt: Date.now(),
      });
      console.log(`vlab: topology up in ${result.topologyMs} ms`);
    } catch (e) {
      const evidence: Record<string, string[]> = {};
      for (const n of ['kms', 'radius']) if (logs.names().includes(n)) evidence[n] = logs.evidence(n, 0);
      result.steps.push({
        index: -1,
        description: 'topology (radios, namespaces, RADIUS, hostapd, wpa_supplicant, capture)',
        ok: false,
        startedAt: t0,
        endedAt: Date.now(),
        error: (e as Error).message,
        evidence,
      });
      console.log(`vlab: topology FAILED: ${(e as Error).message}`);
      throw e;
    }
    const runner = new StepRunner(s, vlabTarget(world), job.timeScale);
    result.ok = await runner.runAll();
    result.steps.push(...runner.records);
    result.roams = runner.roams;
    result.disconnects = runner.disconnects;
  } catch {
    result.ok = false;
  } finally {
    // libpcap hands frames over in blocks: give it a moment before stopping, or the last frames are lost.
    await sleep(1200);
    await daemons.stopAll();
    collect(world ?? { plan, logs, capturePath: join(RUN_DIR, 'capture.pcap'), dsCapturePath: join(RUN_DIR, 'ds-rrb.pcap') }, result);
    result.endedAt = Date.now();
    save();
  }
  return result.ok ? 0 : 1;
}

function collect(world: Pick<World, 'plan' | 'logs' | 'capturePath' | 'dsCapturePath'>, result: GuestResult): void {
  const logDir = join(OUT, 'logs');
  mkdirSync(logDir, { recursive: true });
  for (const name of world.logs.names()) {
    const src = world.logs.path(name);
    if (!existsSync(src)) continue;
    const file = `${name}.log`;
    copyFileSync(src, join(logDir, file));
    result.logs[name] = join('logs', file);
  }
  for (const ap of world.plan.aps) {
    const conf = join(ap.dir, 'hostapd.conf');
    if (existsSync(conf)) copyFileSync(conf, join(logDir, `${ap.name}-hostapd.conf`));
  }
  if (existsSync(world.plan.kms.configPath)) copyFileSync(world.plan.kms.configPath, join(logDir, 'kms.yaml'));
  if (world.dsCapturePath && existsSync(world.dsCapturePath)) {
    copyFileSync(world.dsCapturePath, join(OUT, 'ds-rrb.pcap'));
    result.dsCapture = 'ds-rrb.pcap';
  }
  if (existsSync(world.capturePath)) {
    copyFileSync(world.capturePath, join(OUT, 'capture.pcap'));
    result.capture = 'capture.pcap';
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(3);
  },
);
