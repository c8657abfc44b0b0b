// `npm run lab -- <scenario> [more scenarios…]`: runs scenarios in the virtual lab and prints one roam
// table per scenario. A scenario is a path or the name of a file in hw/vlab/scenarios/.
import { Command } from 'commander';
import { runScenario } from './run.js';
import { runHilScenario } from '../hil/run.js';

const program = new Command()
  .name('lab')
  .description('Run Wi-Fi roaming scenarios in the virtual lab (QEMU + mac80211_hwsim + hostapd + wpa_supplicant + FreeRADIUS)')
  .argument('<scenarios...>', 'scenario names (hw/vlab/scenarios/<name>.yaml) or paths')
  .option('--time-scale <n>', 'multiply every timeout by n', (v) => Number(v))
  .option('--quiet', 'print only tables and verdicts')
  .option(
    '--hostap-bin <dir>',
    "run hostapd, hostapd_cli, wpa_supplicant and wpa_cli from this folder instead of Debian's (also env LAB_HOSTAP_BIN)",
  )
  .option('--hil <inventory>', 'run against the real APs and station of this inventory (hw/hil) instead of the virtual lab')
  .action(async (scenarios: string[], opts: { timeScale?: number; quiet?: boolean; hil?: string; hostapBin?: string }) => {
    let failed = 0;
    for (const name of scenarios) {
      try {
        const log = opts.quiet ? () => undefined : (l: string) => console.log(l);
        const run = opts.hil
          ? await runHilScenario(name, opts.hil, log)
          : await runScenario(name, { timeScale: opts.timeScale, hostapBin: opts.hostapBin, log });
        console.log(`\n${run.table}\n`);
        if (!run.ok) {
          failed++;
          console.log(`FAIL ${run.scenario.name}:\n${run.failures.join('\n\n')}\n`);
        } else {
          console.log(`PASS ${run.scenario.name} (results: ${run.resultsDir})\n`);
        }
      } catch (e) {
        failed++;
        console.log(`FAIL ${name}: ${(e as Error).message}`);
      }
    }
    process.exitCode = failed > 0 ? 1 : 0;
  });

await program.parseAsync(process.argv);
