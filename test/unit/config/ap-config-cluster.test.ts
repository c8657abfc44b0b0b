import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { rendezvousOrder } from '../../../daemon/distribution/ap-radius-servers.js';

// kmsctl ap-config for several kmsd instances (cluster:) and --fallback-aaa, run as the operator
// would (the compiled CLI, a real config file). Without either, ap-config.test.ts holds the output.

const KMSCTL = new URL('../../../dist/daemon/cli/kmsctl.js', import.meta.url).pathname;
const KEY = 'ab'.repeat(32);
const single = `
radius:
  authListen: { address: 0.0.0.0, port: 1812 }
  clients:
    - { name: ap1, address: 10.0.0.11, secret: ap1-radius-secret }
  upstreams: [{ name: aaa, address: 10.0.9.1, secret: up }, { name: aaa2, address: 10.0.9.2, secret: up }]
api: { token: t }
distribution:
  ssid: corp
  mobilityDomain: A1B2
  kmsRadiusAddress: 10.0.0.2
  rrb: { interface: br-ds, mac: 02:00:00:00:09:00 }
  aps:
    - name: ap1
      nasIdentifier: ap1.example.com
      radiusClient: ap1
      rrbKey: ${KEY}
      bsses: [{ ifname: wlan0, bssid: 02:00:00:00:01:00 }, { ifname: wlan1, bssid: 02:00:00:00:01:01 }]
`;
const clustered = `${single}
cluster:
  member: kms-a
  members:
    - { name: kms-a, radiusAddress: 10.0.0.2 }
    - { name: kms-b, radiusAddress: 10.0.0.3 }
    - { name: kms-c, radiusAddress: 10.0.0.4 }
  etcd: { endpoints: ['http://10.0.0.2:2379'] }
  leaseTtlS: 4
`;
const otherPorts = (text: string) =>
  text.replace('address: 10.0.9.1, secret: up', 'address: 10.0.9.1, authPort: 1645, acctPort: 1646, secret: up');

function kmsctl(args: string[], text: string) {
  const dir = mkdtempSync(join(tmpdir(), 'kms-apcfg-'));
  try {
    writeFileSync(join(dir, 'k.yaml'), text);
    return spawnSync(process.execPath, [KMSCTL, '--config', join(dir, 'k.yaml'), ...args], { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function lines(args: string[], text: string): string[] {
  const r = kmsctl(['ap-config', 'ap1', ...args], text);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\n');
}

/** The first BSS block: every block carries the same RADIUS lines. */
const firstBlock = (all: string[]) => all.slice(0, all.indexOf(''));
const values = (block: string[], key: string) => block.filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1));

describe('rendezvous order of the cluster members for an AP', () => {
  const members = ['kms-a', 'kms-b', 'kms-c'].map((name) => ({ name }));
  const firstOf = (ap: string, ms = members) => rendezvousOrder(ap, ms)[0]!.name;

  it('is deterministic: the same for every run and every order the members are listed in, each member once', () => {
    const order = rendezvousOrder('ap1', members).map((m) => m.name);
    // Pinned: a change of the hash would move every AP to another first member.
    expect(order).toEqual(['kms-c', 'kms-b', 'kms-a']);
    expect(rendezvousOrder('ap1', [...members].reverse()).map((m) => m.name)).toEqual(order);
    expect(rendezvousOrder('ap2', members).map((m) => m.name)).toEqual(['kms-a', 'kms-c', 'kms-b']);
  });

  it('spreads APs over the members, and a new member takes APs only for itself', () => {
    const aps = Array.from({ length: 60 }, (_, i) => `ap${i + 1}`);
    const count = (ms: typeof members) => {
      const c = new Map<string, number>();
      for (const ap of aps) c.set(firstOf(ap, ms), (c.get(firstOf(ap, ms)) ?? 0) + 1);
      return c;
    };
    const three = count(members);
    for (const m of members) expect(three.get(m.name), m.name).toBeGreaterThanOrEqual(12);
    const four = [...members, { name: 'kms-d' }];
    expect(count(four).get('kms-d')).toBeGreaterThanOrEqual(8);
    for (const ap of aps) if (firstOf(ap, four) !== 'kms-d') expect(firstOf(ap, four), ap).toBe(firstOf(ap));
  });
});

describe('kmsctl ap-config with cluster: and --fallback-aaa (hostapd lines)', () => {
  it('one KMS, no option: the single server as always, and none of the failover lines', () => {
    const block = firstBlock(lines([], single));
    const at = block.indexOf('ieee8021x=1');
    expect(block.slice(at - 1, at + 7)).toEqual([
      "# RADIUS: the KMS is this AP's authentication and accounting server",
      'ieee8021x=1',
      'auth_server_addr=10.0.0.2',
      'auth_server_port=1812',
      'auth_server_shared_secret=ap1-radius-secret',
      'acct_server_addr=10.0.0.2',
      'acct_server_port=1813',
      'acct_server_shared_secret=ap1-radius-secret',
    ]);
    expect(block.some((l) => /^(rkh_neg_timeout|radius_retry_primary_interval)=/.test(l))).toBe(false);
  });

  it("cluster: every member, in the AP's rendezvous order, each with the KMS's ports and the AP's secret; a short rkh_neg_timeout", () => {
    const all = lines([], clustered);
    const block = firstBlock(all);
    expect(values(block, 'auth_server_addr')).toEqual(['10.0.0.4', '10.0.0.3', '10.0.0.2']);
    expect(values(block, 'acct_server_addr')).toEqual(['10.0.0.4', '10.0.0.3', '10.0.0.2']);
    expect(values(block, 'auth_server_port')).toEqual(['1812', '1812', '1812']);
    expect(values(block, 'acct_server_port')).toEqual(['1813', '1813', '1813']);
    expect(new Set([...values(block, 'auth_server_shared_secret'), ...values(block, 'acct_server_shared_secret')])).toEqual(
      new Set(['ap1-radius-secret']),
    );
    expect(block).toContain(
      '# RADIUS: 3 servers, tried in this order: kms-c (10.0.0.4), kms-b (10.0.0.3), kms-a (10.0.0.2); hostapd uses the first and fails over to the next when one stops answering',
    );
    expect(values(block, 'rkh_neg_timeout')).toEqual(['4']); // cluster.leaseTtlS
    expect(values(block, 'radius_retry_primary_interval')).toEqual([]);
    // The R0KH line stays the one shared KMS MAC, and every BSS block gets the same servers.
    expect(values(block, 'r0kh')).toEqual([`02:00:00:00:09:00 * ${KEY}`]);
    expect(values(all, 'auth_server_addr')).toHaveLength(6);
  });

  it('--fallback-aaa: the first upstream last, on its own ports, with the AP secret, and the AP returns to the KMS', () => {
    const block = firstBlock(lines(['--fallback-aaa'], otherPorts(clustered)));
    expect(values(block, 'auth_server_addr')).toEqual(['10.0.0.4', '10.0.0.3', '10.0.0.2', '10.0.9.1']);
    expect(values(block, 'auth_server_port')).toEqual(['1812', '1812', '1812', '1645']);
    expect(values(block, 'acct_server_addr').at(-1)).toBe('10.0.9.1');
    expect(values(block, 'acct_server_port').at(-1)).toBe('1646');
    expect(values(block, 'auth_server_shared_secret').at(-1)).toBe('ap1-radius-secret');
    expect(block.join('\n')).toMatch(
      /aaa is the AAA server itself \(--fallback-aaa\): it must have this AP as a RADIUS client, with this AP's secret/,
    );
    expect(values(block, 'radius_retry_primary_interval')).toEqual(['600']);
  });

  it('--fallback-aaa without a cluster: the KMS, then the AAA server; RadSec upstreams are refused', () => {
    const block = firstBlock(lines(['--fallback-aaa'], single));
    expect(values(block, 'auth_server_addr')).toEqual(['10.0.0.2', '10.0.9.1']);
    expect(block).toContain(
      '# RADIUS: 2 servers, tried in this order: the KMS (10.0.0.2), aaa (10.0.9.1); hostapd uses the first and fails over to the next when one stops answering',
    );
    expect(block.some((l) => l.startsWith('rkh_neg_timeout='))).toBe(false);
    const radsec = single.replace(
      '{ name: aaa, address: 10.0.9.1, secret: up }',
      '{ name: aaa, address: 10.0.9.1, transport: tls, tls: { ca: c, certificate: c, key: k, serverName: aaa.example } }',
    );
    const r = kmsctl(['ap-config', 'ap1', '--fallback-aaa'], radsec);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/--fallback-aaa: the first of radius\.upstreams \(aaa\) is RadSec/);
    expect(kmsctl(['ap-config', 'ap1'], radsec).status).toBe(0);
  });

  it('the help text names the cluster behaviour and --fallback-aaa', () => {
    const r = spawnSync(process.execPath, [KMSCTL, 'ap-config', '--help'], { encoding: 'utf8' });
    expect(r.stdout).toMatch(/--fallback-aaa/);
    expect(r.stdout).toMatch(/cluster: section/);
  });
});

describe('kmsctl ap-config with cluster: and --fallback-aaa (OpenWrt UCI)', () => {
  const uci = (args: string[], text: string) => firstBlock(lines(['--format', 'uci', ...args], text));

  it('members as auth_server/acct_server lists with one port and secret; the AAA server on the same ports joins the lists', () => {
    const block = uci(['--fallback-aaa'], clustered); // the upstream on 1812/1813, as the KMS
    expect(block.filter((l) => l.startsWith('\tlist auth_server '))).toEqual([
      "\tlist auth_server '10.0.0.4'",
      "\tlist auth_server '10.0.0.3'",
      "\tlist auth_server '10.0.0.2'",
      "\tlist auth_server '10.0.9.1'",
    ]);
    expect(block.filter((l) => l.startsWith('\tlist acct_server '))).toHaveLength(4);
    expect(block.filter((l) => /^\toption (auth|acct)_(port|secret) /.test(l))).toEqual([
      "\toption auth_port '1812'",
      "\toption auth_secret 'ap1-radius-secret'",
      "\toption acct_port '1813'",
      "\toption acct_secret 'ap1-radius-secret'",
    ]);
    expect(block.some((l) => l.startsWith('\toption auth_server '))).toBe(false);
    expect(block.filter((l) => l.startsWith('\tlist hostapd_bss_options '))).toEqual([
      "\tlist hostapd_bss_options 'radius_retry_primary_interval=600'",
      "\tlist hostapd_bss_options 'rkh_neg_timeout=4'",
    ]);
  });

  it('an AAA server on other ports: raw hostapd lines, after the listed servers; a secret with whitespace cannot go there', () => {
    const block = uci(['--fallback-aaa'], otherPorts(clustered));
    expect(block.filter((l) => l.startsWith('\tlist auth_server '))).toHaveLength(3);
    expect(block.filter((l) => l.startsWith('\tlist hostapd_bss_options '))).toEqual([
      "\tlist hostapd_bss_options 'auth_server_addr=10.0.9.1'",
      "\tlist hostapd_bss_options 'auth_server_port=1645'",
      "\tlist hostapd_bss_options 'auth_server_shared_secret=ap1-radius-secret'",
      "\tlist hostapd_bss_options 'acct_server_addr=10.0.9.1'",
      "\tlist hostapd_bss_options 'acct_server_port=1646'",
      "\tlist hostapd_bss_options 'acct_server_shared_secret=ap1-radius-secret'",
      "\tlist hostapd_bss_options 'radius_retry_primary_interval=600'",
      "\tlist hostapd_bss_options 'rkh_neg_timeout=4'",
    ]);
    expect(block.join('\n')).toMatch(
      /aaa listens on 1645\/1646, not the KMS's 1812\/1813: OpenWrt has one auth_port for all listed servers/,
    );
    const spaced = otherPorts(clustered).replace('secret: ap1-radius-secret', "secret: 'ap1 radius secret'");
    expect(kmsctl(['ap-config', 'ap1', '--format', 'uci', '--fallback-aaa'], spaced).stderr).toMatch(/contains whitespace/);
    expect(kmsctl(['ap-config', 'ap1', '--format', 'uci'], spaced).status).toBe(0);
  });

  it('one KMS without the option: the single option auth_server, as always', () => {
    const block = uci([], single);
    expect(block.filter((l) => /^\t(option|list) (auth|acct)_server /.test(l))).toEqual([
      "\toption auth_server '10.0.0.2'",
      "\toption acct_server '10.0.0.2'",
    ]);
    expect(block.some((l) => l.includes('hostapd_bss_options'))).toBe(false);
  });
});
