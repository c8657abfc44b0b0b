// Runs a lab scenario against real OpenWrt APs and a Linux station listed in an inventory. The APs
// are used as they are configured (the runner checks SSID and AKMs, it does not rewrite them); on the
// station the runner starts its own wpa_supplicant with the scenario's network, and stops it by PID.
// Events come from hostapd's syslog on each AP and from that wpa_supplicant's log, streamed over SSH.
import { mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Scenario } from '../vlab/scenario.js';
import { loadScenario } from '../vlab/scenario.js';
import { Logs } from '../vlab/guest/logs.js';
import { StepRunner, type Target } from '../vlab/guest/steps.js';
import { sleep } from '../vlab/guest/exec.js';
import { wpaSupplicantConf } from '../vlab/configs.js';
import { readPcap } from '../vlab/pcap.js';
import { analyseRoams, formatRoamTable, type RoamRow } from '../vlab/roams.js';
import { checkExpectations } from '../vlab/expect.js';
import { formatStepFailure } from '../vlab/run.js';
import { repoRoot } from '../vlab/image.js';
import { loadInventory, type Inventory, type InventoryAp, type InventoryStation } from './inventory.js';
import { SECURITY_PROFILES } from '../../daemon/distribution/security.js';
import { Ssh } from './ssh.js';

export interface HilRun {
  ok: boolean;
  scenario: Scenario;
  resultsDir: string;
  rows: RoamRow[];
  table: string;
  failures: string[];
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function pick<T extends { name: string }>(list: T[], name: string, what: string): T {
  const found = list.find((x) => x.name === name);
  if (!found) throw new Error(`the inventory has no ${what} named '${name}' (has: ${list.map((x) => x.name).join(', ')})`);
  return found;
}

export async function runHilScenario(nameOrPath: string, inventoryPath: string, log: (l: string) => void = console.log): Promise<HilRun> {
  const s = loadScenario(nameOrPath);
  if (s.kms?.enabled) throw new Error(`scenario ${s.name}: the kms: section needs the KMS, which the lab cannot start yet`);
  const inv: Inventory = loadInventory(inventoryPath);
  const aps = new Map<string, InventoryAp>(s.aps.map((a) => [a.name, pick(inv.aps, a.name, 'AP')]));
  const stas = new Map<string, InventoryStation>(s.stations.map((x) => [x.name, pick(inv.stations, x.name, 'station')]));
  const resultsDir = join(repoRoot(), 'results', 'hil', `${s.name}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(join(resultsDir, 'logs'), { recursive: true });
  const ssh = Ssh.pin(
    [...aps.values(), ...stas.values()].map((n) => n.ssh),
    join(resultsDir, 'known_hosts'),
  );
  const logs = new Logs();
  const followers: ChildProcess[] = [];
  const failures: string[] = [];
  let guestRoams: StepRunner['roams'] = [];
  let capturePath: string | undefined;

  try {
    // Every AP must answer over SSH with its pinned key and serve the scenario's SSID and AKMs.
    for (const [name, ap] of aps) {
      const r = await ssh.run(ap.ssh, `hostapd_cli -p ${q(ap.ctrlDir)} -i ${q(ap.ifname)} get_config`);
      if (r.code !== 0) throw new Error(`${name} (${ap.ssh.host}): hostapd_cli get_config failed: ${(r.stderr || r.stdout).trim()}`);
      if (!r.stdout.includes(`ssid=${s.network.ssid}`))
        throw new Error(`${name} does not serve SSID ${s.network.ssid} on ${ap.ifname}:\n${r.stdout}`);
      // With a security mode the AKMs are that mode's; compared as whole names (WPA-EAP is not WPA-EAP-SHA256).
      const offered = (/^key_mgmt=(.*)$/m.exec(r.stdout)?.[1] ?? '').trim().split(/\s+/);
      const wanted = s.network.security === 'wpa2' ? s.network.keyMgmt.split(' ') : SECURITY_PROFILES[s.network.security].keyMgmt;
      for (const akm of wanted) {
        if (!offered.includes(akm))
          throw new Error(
            `${name} does not offer ${akm} (scenario network.${s.network.security === 'wpa2' ? 'keyMgmt' : 'security'}): ${r.stdout}`,
          );
      }
      const file = join(resultsDir, 'logs', `${name}.log`);
      followers.push(ssh.follow(ap.ssh, ap.eventCommand, file, true));
      logs.add(name, file);
      logs.add(`${name}-ssh`, file);
    }
    const captureAp = [...aps.entries()].find(([, a]) => a.monitorIfname);
    if (captureAp) {
      capturePath = join(resultsDir, 'capture.pcap');
      followers.push(ssh.follow(captureAp[1].ssh, `tcpdump -i ${q(captureAp[1].monitorIfname!)} -U -w -`, capturePath, false));
    }
    // The runner's own wpa_supplicant on each station, network disabled until the join step.
    for (const [i, [name, st]] of [...stas.entries()].entries()) {
      const ca = st.caCert ?? '/etc/ssl/certs/ca-certificates.crt';
      const conf = wpaSupplicantConf(s, i, `${st.workDir}/ctrl`, ca);
      const script =
        `set -e; mkdir -p ${q(st.workDir)}; cat > ${q(st.workDir)}/wpa.conf <<'KMSHIL'\n${conf}KMSHIL\n` +
        `: > ${q(st.workDir)}/wpa.log; wpa_supplicant -B -P ${q(st.workDir)}/wpa.pid -D nl80211 -i ${q(st.ifname)} -c ${q(st.workDir)}/wpa.conf -d -t -f ${q(st.workDir)}/wpa.log`;
      const r = await ssh.run(st.ssh, script);
      if (r.code !== 0) throw new Error(`${name}: starting wpa_supplicant failed: ${(r.stderr || r.stdout).trim()}`);
      const file = join(resultsDir, 'logs', `${name}.log`);
      followers.push(ssh.follow(st.ssh, `tail -n +1 -F ${q(st.workDir)}/wpa.log`, file, false));
      logs.add(name, file);
    }
    await sleep(1500);

    const target: Target = {
      logs,
      bssidOf: (n) => aps.get(n)!.bssid,
      macOf: (n) => stas.get(n)!.mac,
      wpaCli: async (n, args) => {
        const st = stas.get(n)!;
        const r = await ssh.run(st.ssh, `wpa_cli -p ${q(st.workDir)}/ctrl -i ${q(st.ifname)} ${args.map(q).join(' ')}`);
        if (r.code !== 0) throw new Error(`wpa_cli ${args.join(' ')} on ${n}: ${(r.stderr || r.stdout).trim()}`);
        return r.stdout;
      },
      hostapdCli: async (n, args) => {
        const ap = aps.get(n)!;
        const r = await ssh.run(ap.ssh, `hostapd_cli -p ${q(ap.ctrlDir)} -i ${q(ap.ifname)} ${args.map(q).join(' ')}`);
        if (r.code !== 0) throw new Error(`hostapd_cli ${args.join(' ')} on ${n}: ${(r.stderr || r.stdout).trim()}`);
        return r.stdout;
      },
      sshAp: (n, command, timeoutMs) => ssh.run(aps.get(n)!.ssh, command, timeoutMs),
      apPlaceholders: (n) => ({ ctrlDir: aps.get(n)!.ctrlDir, ifname: aps.get(n)!.ifname, bssid: aps.get(n)!.bssid }),
    };
    const runner = new StepRunner(s, target, Number(process.env.LAB_TIME_SCALE ?? 1));
    const ok = await runner.runAll();
    guestRoams = runner.roams;
    if (!ok) for (const st of runner.records.filter((r) => !r.ok)) failures.push(`scenario ${s.name} (HIL): ${formatStepFailure(st)}`);
  } catch (e) {
    failures.push(`scenario ${s.name} (HIL): ${(e as Error).message}`);
  } finally {
    for (const [name, st] of stas) {
      await ssh
        .run(st.ssh, `test -f ${q(st.workDir)}/wpa.pid && kill "$(cat ${q(st.workDir)}/wpa.pid)"`)
        .catch(() => log(`could not stop wpa_supplicant on ${name}`));
    }
    await sleep(1000);
    for (const f of followers) f.kill('SIGTERM');
  }

  // Clocks of the station and the AP doing the capture are not the runner's: times within one log
  // or one capture are comparable, times across them only roughly (the request→connected column).
  const frames =
    capturePath && existsSync(capturePath) && readFileSync(capturePath).length > 24 ? readPcap(readFileSync(capturePath)) : undefined;
  const rows = analyseRoams(guestRoams, frames);
  if (failures.length === 0 && frames) failures.push(...checkExpectations(s.expect.roams, rows));
  // An expectation that cannot be checked is not a pass.
  if (failures.length === 0 && !frames && s.expect.roams.length > 0)
    failures.push(`scenario ${s.name} (HIL): its roam expectations need a capture: give one AP a monitorIfname in the inventory`);
  const table = formatRoamTable(`${s.name} on real hardware`, rows);
  writeFileSync(join(resultsDir, 'roams.txt'), table + '\n');
  return { ok: failures.length === 0, scenario: s, resultsDir, rows, table, failures };
}
