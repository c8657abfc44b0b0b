#!/usr/bin/env node
import { Command } from 'commander';
import type { StationView } from '../api/views.js';
import { apiGet, resolveTarget, type TargetOptions } from './api-client.js';
import { placementsTable, stationDetail, stationsTable } from './format.js';
import type { Placement } from '../distribution/placement.js';
import { registerApConfigCommand } from './ap-config-command.js';
import { registerRoamsCommand } from './roams-command.js';
import { registerNeighborsCommand } from './neighbors-command.js';
import { KMS_VERSION } from '../common/version.js';

// kmsctl: the operator's view of a running kmsd, over its local HTTP API.

const program = new Command('kmsctl')
  .description('inspect a running KMS (hostapd-kms)')
  .version(KMS_VERSION, '--version', 'print the hostapd-kms version and exit')
  .option('--config <file>', 'read the API address and token from this kmsd config')
  .option('--api <url>', 'API base URL, e.g. http://127.0.0.1:8900')
  .option('--token <token>', 'API bearer token (prefer --config or KMS_TOKEN)')
  .showHelpAfterError();

const target = () => resolveTarget(program.opts<TargetOptions>());
const print = (text: string) => process.stdout.write(`${text}\n`);
const json = (value: unknown) => print(JSON.stringify(value, null, 2));

program.command('stations').description('list station records')
  .option('--json', 'machine-readable output')
  .action(async (o: { json?: boolean }) => {
    const { stations } = await apiGet<{ stations: StationView[] }>(target(), '/v1/stations');
    o.json ? json(stations) : print(stationsTable(stations));
  });

program.command('station').description('one station record (never its keys)')
  .argument('<sta-mac>', 'station MAC address')
  .option('--bssid <bssid>', 'also show the PMKID this station would present at that BSSID')
  .option('--json', 'machine-readable output')
  .action(async (mac: string, o: { bssid?: string; json?: boolean }) => {
    const q = o.bssid ? `?bssid=${encodeURIComponent(o.bssid)}` : '';
    const s = await apiGet<StationView>(target(), `/v1/stations/${encodeURIComponent(mac)}${q}`);
    o.json ? json(s) : print(stationDetail(s));
  });

program.command('placements').description('where a station\'s keys were placed (FT PMK-R1s, OKC PMKSA entries)')
  .argument('<sta-mac>', 'station MAC address')
  .option('--json', 'machine-readable output')
  .action(async (mac: string, o: { json?: boolean }) => {
    const r = await apiGet<{ staMac: string; placements: Placement[] }>(target(), `/v1/stations/${encodeURIComponent(mac)}/placements`);
    o.json ? json(r.placements) : print(placementsTable(r.placements));
  });

program.command('health').description('daemon and upstream AAA status')
  .option('--json', 'machine-readable output')
  .action(async (o: { json?: boolean }) => {
    const h = await apiGet<{ status: string; version: string; uptimeS: number; stations: number; radius: { inFlight: number; upstreams: { name: string; alive: boolean }[] } }>(target(), '/v1/health');
    if (o.json) {
      json(h);
      return;
    }
    print(`status ${h.status}, version ${h.version}, up ${h.uptimeS} s, ${h.stations} stations, ${h.radius.inFlight} RADIUS requests in flight`);
    for (const u of h.radius.upstreams) print(`upstream ${u.name}: ${u.alive ? 'alive' : 'DEAD'}`);
  });

registerApConfigCommand(program, () => program.opts<TargetOptions>().config ?? process.env.KMS_CONFIG);
registerRoamsCommand(program);
registerNeighborsCommand(program, target);

program.parseAsync().catch((e: Error) => {
  process.stderr.write(`kmsctl: ${e.message}\n`);
  process.exit(e.name === 'ApiError' || 'status' in e ? 2 : 1);
});
