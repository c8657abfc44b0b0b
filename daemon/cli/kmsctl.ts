#!/usr/bin/env node
import { Command } from 'commander';
import type { StationView } from '../api/views.js';
import { apiGet, apiPost, DEFAULT_CONFIG, resolveTarget, type TargetOptions } from './api-client.js';
import { DEFAULT_CREDENTIALS_DIR } from '../config/load.js';
import { placementsTable, stationDetail, stationsTable } from './format.js';
import type { Placement } from '../distribution/placement.js';
import { registerApConfigCommand } from './ap-config-command.js';
import { registerRoamsCommand } from './roams-command.js';
import { registerNeighborsCommand } from './neighbors-command.js';
import { registerClusterCommand } from './cluster-command.js';
import { KMS_VERSION } from '../common/version.js';

// kmsctl: the operator's view of a running kmsd, over its local HTTP API.

const program = new Command('kmsctl')
  .description('inspect a running KMS (hostapd-kms)')
  .version(KMS_VERSION, '--version', 'print the hostapd-kms version and exit')
  .option('--config <file>', `kmsd config to read the API address and token from (default: $KMS_CONFIG, else ${DEFAULT_CONFIG})`)
  .option('--api <url>', 'API base URL, e.g. http://127.0.0.1:8900 (default: $KMS_API, else from the config)')
  .option('--token <token>', 'API bearer token (default: $KMS_TOKEN, else api.token from the config)')
  .addHelpText(
    'after',
    `
Secrets in the config are read as kmsd reads them: a string, {file: PATH} (mode 0600), or
{credential: NAME}: from $CREDENTIALS_DIRECTORY under systemd, else from its file in
${DEFAULT_CREDENTIALS_DIR}/ (secrets_<file>; $KMS_CREDENTIALS_DIR moves it).
Every subcommand takes --json: its result as JSON on stdout, and an error as {"error": "..."}
with a non-zero exit (2: the API answered with an error or could not be reached; 1: anything else).`,
  )
  .showHelpAfterError();

const target = () => resolveTarget(program.opts<TargetOptions>());
const print = (text: string) => process.stdout.write(`${text}\n`);
const json = (value: unknown) => print(JSON.stringify(value, null, 2));

program
  .command('stations')
  .description('list station records')
  .option('--json', 'machine-readable output')
  .action(async (o: { json?: boolean }) => {
    const { stations } = await apiGet<{ stations: StationView[] }>(target(), '/v1/stations');
    o.json ? json(stations) : print(stationsTable(stations));
  });

program
  .command('station')
  .description('one station record (never its keys)')
  .argument('<sta-mac>', 'station MAC address')
  .option('--bssid <bssid>', 'also show the PMKID this station would present at that BSSID')
  .option('--json', 'machine-readable output')
  .action(async (mac: string, o: { bssid?: string; json?: boolean }) => {
    const q = o.bssid ? `?bssid=${encodeURIComponent(o.bssid)}` : '';
    const s = await apiGet<StationView>(target(), `/v1/stations/${encodeURIComponent(mac)}${q}`);
    o.json ? json(s) : print(stationDetail(s));
  });

program
  .command('revoke')
  .description("withdraw a station's authentication: its APs disconnect it, no AP gets its keys again (docs/revocation.md)")
  .argument('<sta-mac>', 'station MAC address')
  .option('--reason <text>', 'why (kept in the record for audit)')
  .option('--json', 'machine-readable output')
  .action(async (mac: string, o: { reason?: string; json?: boolean }) => {
    const r = await apiPost<{
      station: StationView | null;
      told: { ap: string | null; bssid: string | null; why: string; result: string; detail?: string }[];
    }>(target(), `/v1/stations/${encodeURIComponent(mac)}/revoke`, { via: 'kmsctl', ...(o.reason ? { reason: o.reason } : {}) });
    if (o.json) {
      json(r);
      return;
    }
    print(`station ${r.station?.staMac ?? mac} revoked${r.station?.revoked ? `: ${r.station.revoked.reason}` : ''}`);
    for (const k of r.told) print(`  ${k.ap ?? '-'} ${k.bssid ?? '-'} (${k.why}): ${k.result}${k.detail ? ` (${k.detail})` : ''}`);
  });

program
  .command('placements')
  .description("where a station's keys were placed (FT PMK-R1s, OKC PMKSA entries)")
  .argument('<sta-mac>', 'station MAC address')
  .option('--json', 'machine-readable output')
  .action(async (mac: string, o: { json?: boolean }) => {
    const r = await apiGet<{ staMac: string; placements: Placement[] }>(target(), `/v1/stations/${encodeURIComponent(mac)}/placements`);
    o.json ? json(r.placements) : print(placementsTable(r.placements));
  });

program
  .command('health')
  .description('daemon and upstream AAA status')
  .option('--json', 'machine-readable output')
  .action(async (o: { json?: boolean }) => {
    const h = await apiGet<{
      status: string;
      version: string;
      uptimeS: number;
      stations: number;
      radius: { inFlight: number; upstreams: { name: string; alive: boolean }[] };
    }>(target(), '/v1/health');
    if (o.json) {
      json(h);
      return;
    }
    print(
      `status ${h.status}, version ${h.version}, up ${h.uptimeS} s, ${h.stations} stations, ${h.radius.inFlight} RADIUS requests in flight`,
    );
    for (const u of h.radius.upstreams) print(`upstream ${u.name}: ${u.alive ? 'alive' : 'DEAD'}`);
  });

registerApConfigCommand(program, () => program.opts<TargetOptions>().config ?? process.env.KMS_CONFIG ?? DEFAULT_CONFIG);
registerRoamsCommand(program);
registerNeighborsCommand(program, target);
registerClusterCommand(program, target);

// --json anywhere on the line: errors too are JSON, so a script never has to parse prose.
const wantJson = process.argv.slice(2).includes('--json');
const exitCode = (e: Error) => (e.name === 'ApiError' || 'status' in e ? 2 : 1);
if (wantJson) {
  // Commander's own errors (unknown option, missing argument) as well.
  program.exitOverride().configureOutput({ writeErr: () => undefined, outputError: () => undefined });
  for (const c of program.commands) c.exitOverride().configureOutput({ writeErr: () => undefined, outputError: () => undefined });
}

program.parseAsync().catch((e: Error & { code?: string; exitCode?: number; status?: number }) => {
  if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') process.exit(0);
  const fromCommander = typeof e.code === 'string' && e.code.startsWith('commander.');
  const message = fromCommander ? e.message.replace(/^error: /, '') : e.message;
  if (wantJson) {
    process.stdout.write(
      `${JSON.stringify({ error: message, ...(typeof e.status === 'number' && e.status > 0 ? { status: e.status } : {}) })}\n`,
    );
  } else {
    process.stderr.write(`kmsctl: ${message}\n`);
  }
  process.exit(fromCommander ? e.exitCode || 1 : exitCode(e));
});
