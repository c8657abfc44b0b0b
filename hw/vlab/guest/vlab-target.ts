// The virtual lab as a step Target: commands run in the nodes' network namespaces, SSH goes from the
// KMS's namespace on the DS segment to the AP's dropbear with the AP's host key pinned, and the KMS
// (when the scenario has one) is kmsd in that same namespace.
import type { KmsTarget, Target } from './steps.js';
import type { World } from './topology.js';
import { must, run, inNs, until } from './exec.js';
import { fillNames } from '../plan.js';
import { readFileSync, existsSync } from 'node:fs';
import { readPcap } from '../pcap.js';

export function vlabTarget(w: World): Target {
  const ap = (name: string) => {
    const a = w.plan.aps.find((x) => x.name === name);
    if (!a) throw new Error(`no AP named ${name}`);
    return a;
  };
  const sta = (name: string) => {
    const s = w.plan.stations.find((x) => x.name === name);
    if (!s) throw new Error(`no station named ${name}`);
    return s;
  };
  const sshListening = async (name: string) => {
    const r = await run(inNs(ap(name).ns, ['ss', '-Htln', `sport = :22`]));
    return r.stdout.includes(':22');
  };
  return {
    logs: w.logs,
    bssidOf: (name) => ap(name).bssid,
    macOf: (name) => sta(name).mac,
    wpaCli: (name, args) => {
      const s = sta(name);
      return must(inNs(s.ns, ['wpa_cli', '-p', s.ctrlDir, '-i', s.ifname, ...args]));
    },
    hostapdCli: (name, args) => {
      const a = ap(name);
      return must(inNs(a.ns, ['hostapd_cli', '-p', a.ctrlDir, '-i', a.ifname, ...args]));
    },
    sshAp: (name, command, timeoutMs) =>
      run(
        inNs(w.plan.managerNs, [
          'ssh',
          '-i',
          w.clientKeyPath,
          '-o',
          `UserKnownHostsFile=${w.knownHostsPath}`,
          '-o',
          'StrictHostKeyChecking=yes',
          '-o',
          'BatchMode=yes',
          '-o',
          'GSSAPIAuthentication=no',
          '-o',
          'ConnectTimeout=30',
          '-o',
          'LogLevel=ERROR',
          `root@${ap(name).ip}`,
          command,
        ]),
        timeoutMs,
      ),
    apPlaceholders: (name) => ({ ctrlDir: ap(name).ctrlDir, ifname: ap(name).ifname, bssid: ap(name).bssid }),
    fillNames: (text) => fillNames(text, w.plan),
    apSsh: {
      async down(name) {
        await w.daemons.stop(`${name}-ssh`, 'SIGTERM');
        await until(`${name}'s SSH server to stop`, 10_000, async () => ((await sshListening(name)) ? undefined : true), 200);
      },
      async up(name) {
        w.startSsh(name);
        await until(`${name}'s SSH server to listen`, 10_000, async () => ((await sshListening(name)) ? true : undefined), 200);
      },
    },
    kms: w.kms ? kmsTarget(w) : undefined,
    // tcpdump writes every frame at once (-U --immediate-mode); a record cut at the end is skipped.
    frames: () => {
      if (!existsSync(w.capturePath)) return [];
      const bytes = readFileSync(w.capturePath);
      return bytes.length < 24 ? [] : readPcap(bytes);
    },
  };
}

function kmsTarget(w: World): KmsTarget {
  const kms = w.kms!;
  return {
    logName: 'kms',
    kill: (signal) => kms.kill(signal),
    start: (timeoutMs) => kms.start(timeoutMs),
    async station(mac) {
      const r = await kms.api(`/v1/stations/${encodeURIComponent(mac)}`);
      if (r.status === 404) return null;
      if (r.status !== 200) throw new Error(`station ${mac}: HTTP ${r.status} ${r.text}`);
      return JSON.parse(r.text) as Record<string, unknown>;
    },
    async kmsctl(args) {
      const r = await kms.kmsctl(args, 90_000);
      return { code: r.code, output: `${r.stdout}${r.stderr}` };
    },
    async placements(mac) {
      const r = await kms.api(`/v1/stations/${encodeURIComponent(mac)}/placements`);
      if (r.status === 404) return null;
      if (r.status !== 200) throw new Error(`placements of ${mac}: HTTP ${r.status} ${r.text}`);
      return (JSON.parse(r.text) as { placements: Record<string, unknown>[] }).placements;
    },
    async metrics() {
      const r = await kms.api('/metrics');
      if (r.status !== 200) throw new Error(`/metrics: HTTP ${r.status} ${r.text.slice(0, 200)}`);
      return r.text;
    },
    async revoke(mac, via) {
      if (via === 'kmsctl') {
        const r = await kms.kmsctl(['revoke', mac], 90_000);
        const out = `${r.stdout}${r.stderr}`;
        if (r.code !== 0) throw new Error(`kmsctl revoke ${mac} exited ${r.code}: ${out.trim().slice(0, 400)}`);
        return out;
      }
      const r = await kms.api(`/v1/stations/${encodeURIComponent(mac)}/revoke`, 90_000, {
        body: JSON.stringify({ reason: 'vlab kms-revoke step' }),
      });
      if (r.status < 200 || r.status > 299) throw new Error(`POST /v1/stations/${mac}/revoke: HTTP ${r.status} ${r.text.slice(0, 300)}`);
      return `HTTP ${r.status} ${r.text}`;
    },
    async injectRrb(fromAp, frame) {
      const a = w.plan.aps.find((x) => x.name === fromAp);
      if (!a) throw new Error(`no AP named ${fromAp}`);
      const r = await kms.node(a.ns, 'rrb-inject', [
        '--ifname',
        'br-lan',
        '--src',
        a.bssid,
        '--dst',
        w.plan.kms.mac,
        '--config',
        kms.configPath,
        '--ap',
        a.name,
        '--frame',
        frame,
        '--capture',
        w.dsCapturePath ?? '',
      ]);
      if (r.code !== 0) throw new Error(`rrb-inject ${frame} from ${fromAp} exited ${r.code}: ${(r.stderr || r.stdout).trim()}`);
      return r.stdout;
    },
  };
}
