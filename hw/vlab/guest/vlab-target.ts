// The virtual lab as a step Target: commands run in the nodes' network namespaces, SSH goes from the
// KMS seat on the DS segment to the AP's dropbear with the AP's host key pinned.
import type { Target } from './steps.js';
import type { World } from './topology.js';
import { must, run, inNs } from './exec.js';

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
      run(inNs(w.plan.managerNs, [
        'ssh', '-i', w.clientKeyPath, '-o', `UserKnownHostsFile=${w.knownHostsPath}`, '-o', 'StrictHostKeyChecking=yes',
        '-o', 'BatchMode=yes', '-o', 'GSSAPIAuthentication=no', '-o', 'ConnectTimeout=30', '-o', 'LogLevel=ERROR',
        `root@${ap(name).ip}`, command,
      ]), timeoutMs),
    apPlaceholders: (name) => ({ ctrlDir: ap(name).ctrlDir, ifname: ap(name).ifname, bssid: ap(name).bssid }),
  };
}
