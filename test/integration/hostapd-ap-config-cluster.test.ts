import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KMSCTL } from '../helpers/kms.js';
import {
  canUseNetns,
  createNetns,
  createVeth,
  makeTempDir,
  runCommand,
  type ManagedProcess,
  type Netns,
  type TempDir,
} from '../helpers/netns.js';
import { hostapTool } from '../helpers/wired-8021x.js';

// What kmsctl ap-config prints for a cluster with --fallback-aaa, run by the real hostapd (Debian
// 12: 2.10; LAB_HOSTAP_BIN for another build): one BSS block exactly as printed, behind the few
// lines -Dwired needs on a veth in a namespace. No radio, but the same config parser, RADIUS client
// and R0KH-R1KH socket as on an AP. hostapd must start, and its RADIUS client must hold the servers
// in the printed order. Nothing answers RADIUS here: hostapd takes about 45 s to fail over from one
// server (src/radius/radius_client.c), so the failover itself is read from its source, not waited for.
// Two members: hostapd's MIB reply, where the servers are read, ends at 4 KiB, and with four auth
// and four acct servers behind the RSN counters the last acct server no longer fits.

const KEY = 'ab'.repeat(32);
const config = (bridge: string) => `
radius:
  authListen: { address: 0.0.0.0, port: 1812 }
  clients: [{ name: ap1, address: 10.77.0.11, secret: ap1-radius-secret }]
  upstreams: [{ name: aaa, address: 10.77.0.9, authPort: 1645, acctPort: 1646, secret: up }]
api: { token: t }
distribution:
  ssid: corp
  security: wpa3-transition
  mobilityDomain: A1B2
  kmsRadiusAddress: 10.77.0.2
  rrb: { interface: br-ds, mac: 02:00:00:00:09:00 }
  aps:
    - { name: ap1, nasIdentifier: ap1.example.com, radiusClient: ap1, rrbKey: ${KEY}, bridge: ${bridge}, bsses: [{ ifname: wlan0, bssid: 02:00:00:00:01:00 }] }
cluster:
  member: kms-a
  members:
    - { name: kms-a, radiusAddress: 10.77.0.2 }
    - { name: kms-b, radiusAddress: 10.77.0.3 }
  etcd: { endpoints: ['http://10.77.0.2:2379'] }
`;

/** Address and port of every server in a RADIUS client MIB, in hostapd's order. */
function mibServers(mib: string, kind: 'Auth' | 'Acc'): string[] {
  const out: string[] = [];
  for (const line of mib.split('\n')) {
    const addr = line.match(new RegExp(`^radius${kind}ServerAddress=(.+)$`));
    if (addr) out.push(addr[1]!);
    const port = line.match(new RegExp(`^radius${kind}ClientServerPortNumber=(\\d+)$`));
    if (port) out[out.length - 1] += `:${port[1]}`;
  }
  return out;
}

describe.skipIf(!canUseNetns())('hostapd runs what kmsctl ap-config prints for a cluster with --fallback-aaa', () => {
  let ns: Netns;
  let temp: TempDir;
  let hostapd: ManagedProcess;
  let ifname: string;
  let printed: string[];

  beforeAll(async () => {
    ns = await createNetns('apcfg');
    // The AP's port doubles as its bridge= (the R0KH-R1KH socket); its address routes to the servers.
    const veth = await createVeth({ netns: ns, address: '10.77.0.11/24' }, { netns: ns });
    ifname = veth.a.ifname;
    temp = await makeTempDir('apcfg');
    await writeFile(join(temp.path, 'k.yaml'), config(ifname));
    const r = await runCommand(process.execPath, [KMSCTL, '--config', join(temp.path, 'k.yaml'), 'ap-config', 'ap1', '--fallback-aaa']);
    expect(r.code, r.stderr).toBe(0);
    printed = r.stdout.split('\n');
    const ctrl = join(temp.path, 'ctrl');
    await writeFile(
      join(temp.path, 'hostapd.conf'),
      [`interface=${ifname}`, 'driver=wired', `ctrl_interface=${ctrl}`, 'own_ip_addr=10.77.0.11', ...printed].join('\n'),
    );
    hostapd = ns.spawn(hostapTool('hostapd'), ['-d', join(temp.path, 'hostapd.conf')]);
    await hostapd.waitForLine(/AP-ENABLED/, { timeoutMs: 15_000 });
  }, 60_000);

  afterAll(async () => {
    await hostapd?.stop();
    await temp?.remove();
    await ns?.destroy();
  });

  const printedServers = (key: 'auth' | 'acct') => {
    const values = (k: string) => printed.filter((l) => l.startsWith(`${k}=`)).map((l) => l.slice(k.length + 1));
    const ports = values(`${key}_server_port`);
    return values(`${key}_server_addr`).map((a, i) => `${a}:${ports[i]}`);
  };

  it('starts with every line accepted', () => {
    expect(hostapd.output()).not.toMatch(/Line \d+:|errors found in configuration file/);
    expect(printed).toContain('rkh_neg_timeout=2'); // cluster.leaseTtlS's default
    expect(printed).toContain('radius_retry_primary_interval=600');
  });

  it('holds the members in the printed order, then the AAA server on its own ports', async () => {
    const r = await ns.run(hostapTool('hostapd_cli'), ['-p', join(temp.path, 'ctrl'), '-i', ifname, 'mib']);
    expect(r.code, r.stderr).toBe(0);
    const auth = mibServers(r.stdout, 'Auth');
    expect(auth).toEqual(printedServers('auth'));
    expect(mibServers(r.stdout, 'Acc')).toEqual(printedServers('acct'));
    expect(auth).toHaveLength(3);
    expect(auth.at(-1)).toBe('10.77.0.9:1645');
    expect(new Set(auth.slice(0, 2))).toEqual(new Set(['10.77.0.2:1812', '10.77.0.3:1812']));
    // hostapd starts on the first: the member this AP's rendezvous order puts first.
    expect(hostapd.output()).toContain(`RADIUS Authentication server ${auth[0]}`);
  });
});
