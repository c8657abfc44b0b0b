import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseConfig } from '../../../daemon/config/load.js';

// kmsctl ap-config, run as the operator would (the compiled CLI, a real config file).

const KMSCTL = new URL('../../../dist/daemon/cli/kmsctl.js', import.meta.url).pathname;
const KEY = 'ab'.repeat(32);
const config = `
radius:
  authListen: { address: 0.0.0.0, port: 1812 }
  clients:
    - { name: ap1, address: 10.0.0.11, secret: ap1-radius-secret }
    - { name: ap2, address: 10.0.0.12, secret: ap2-radius-secret }
  upstreams: [{ name: aaa, address: 127.0.0.1, secret: up }]
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
      bsses: [{ ifname: wlan0, bssid: 02-00-00-00-01-00 }, { ifname: wlan1, bssid: 02:00:00:00:01:01, r1khId: 02:00:00:00:01:0f }]
      neighbors: [ap2]
    - name: ap2
      nasIdentifier: ap2.example.com
      radiusClient: ap2
      rrbKey: ${KEY}
      bsses: [{ ifname: wlan0, bssid: 02:00:00:00:02:00 }]
`;

function kmsctl(args: string[], text = config) {
  const dir = mkdtempSync(join(tmpdir(), 'kms-apcfg-'));
  writeFileSync(join(dir, 'k.yaml'), text);
  return spawnSync(process.execPath, [KMSCTL, '--config', join(dir, 'k.yaml'), ...args], { encoding: 'utf8' });
}

describe('kmsctl ap-config', () => {
  it('hostapd lines: RADIUS to the KMS with the AP\'s own secret, one r0kh for the KMS, push off', () => {
    const r = kmsctl(['ap-config', 'ap1', '--format', 'hostapd']);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    for (const l of ['auth_server_addr=10.0.0.2', 'auth_server_shared_secret=ap1-radius-secret', 'nas_identifier=ap1.example.com',
      'mobility_domain=a1b2', 'pmk_r1_push=0', `r0kh=02:00:00:00:09:00 * ${KEY}`, 'ft_over_ds=0', 'rrm_beacon_report=1', 'okc=1', 'wpa_key_mgmt=WPA-EAP FT-EAP']) {
      expect(lines).toContain(l);
    }
    expect(lines.filter((l) => l.startsWith('r0kh='))).toHaveLength(2); // one per BSS block
    expect(lines).toContain('r1_key_holder=02000000010f');
    expect(r.stdout).not.toContain('ap2-radius-secret');
  });

  it('UCI snippet for OpenWrt', () => {
    const r = kmsctl(['ap-config', 'ap2', '--format', 'uci']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("\toption ieee80211r '1'");
    expect(r.stdout).toContain(`\tlist r0kh '02:00:00:00:09:00,*,${KEY}'`);
    expect(r.stdout).toContain("\toption auth_cache '1'");
    expect(r.stdout).toContain("\toption nasid 'ap2.example.com'");
  });

  it('clear errors for unknown APs, bad formats and bad keys', () => {
    expect(kmsctl(['ap-config', 'ap9']).stderr).toMatch(/no AP named "ap9".*have: ap1, ap2/);
    expect(kmsctl(['ap-config', 'ap1', '--format', 'json']).stderr).toMatch(/--format must be hostapd, uci or rxkh/);
    expect(kmsctl(['ap-config', 'ap1'], config.replaceAll(KEY, 'abcd')).stderr).toMatch(/rrbKey must be 64 hex digits/);
  });

  it('hostapd 2.11: the header names the release line; --rxkh-file moves the r0kh line into an rxkh_file', () => {
    const plain = kmsctl(['ap-config', 'ap1', '--hostapd', '2.11']);
    expect(plain.status, plain.stderr).toBe(0);
    expect(plain.stdout).toContain('of AP ap1 (hostapd 2.11 or later)');
    expect(plain.stdout.split('\n')).toContain(`r0kh=02:00:00:00:09:00 * ${KEY}`);
    const r = kmsctl(['ap-config', 'ap1', '--hostapd', '2.11', '--rxkh-file', '/etc/hostapd/kms-rxkh.conf']);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.filter((l) => l === 'rxkh_file=/etc/hostapd/kms-rxkh.conf')).toHaveLength(2); // one per BSS block
    expect(lines.some((l) => l.startsWith('r0kh='))).toBe(false);
    expect(r.stdout).not.toContain(KEY);
    const file = kmsctl(['ap-config', 'ap1', '--hostapd', '2.11', '--format', 'rxkh']);
    expect(file.status, file.stderr).toBe(0);
    expect(file.stdout.split('\n').filter((l) => !l.startsWith('#') && l !== '')).toEqual([`r0kh=02:00:00:00:09:00 * ${KEY}`]);
  });

  it('hostapd 2.11 and main load the rxkh file as printed: GET_RXKHS (captured) lists exactly its r0kh line', () => {
    const file = kmsctl(['ap-config', 'ap1', '--hostapd', '2.11', '--format', 'rxkh']).stdout;
    const entries = file.split('\n').filter((l) => l.startsWith('r0kh=') || l.startsWith('r1kh='));
    for (const v of ['2.11', 'main']) {
      const captured = readFileSync(new URL(`../../fixtures/hostapd-${v}/get-rxkhs.txt`, import.meta.url), 'utf8');
      expect(captured.split('\n').filter((l) => l !== ''), v).toEqual(entries);
    }
  });

  it('the AP\'s hostapdVersion is the default; 2.10 has no rxkh_file', () => {
    const v211 = config.replace('radiusClient: ap2', 'radiusClient: ap2\n      hostapdVersion: "2.11"');
    expect(kmsctl(['ap-config', 'ap2'], v211).stdout).toContain('(hostapd 2.11 or later)');
    expect(kmsctl(['ap-config', 'ap2', '--format', 'rxkh'], v211).status).toBe(0);
    expect(kmsctl(['ap-config', 'ap1']).stdout).toContain('of AP ap1 (hostapd 2.10)');
    expect(kmsctl(['ap-config', 'ap1', '--rxkh-file', '/etc/x']).stderr).toMatch(/rxkh_file needs hostapd 2\.11/);
    expect(kmsctl(['ap-config', 'ap1', '--format', 'rxkh']).stderr).toMatch(/rxkh_file needs hostapd 2\.11/);
    expect(kmsctl(['ap-config', 'ap1', '--hostapd', '2.12']).stderr).toMatch(/--hostapd must be 2\.10 or 2\.11, not "2\.12"/);
    expect(kmsctl(['ap-config', 'ap1', '--hostapd', '2.11', '--rxkh-file', 'rel/path']).stderr).toMatch(/absolute path/);
    expect(() => parseConfig(config.replace('radiusClient: ap2', 'radiusClient: ap2\n      hostapdVersion: "2.9"'))).toThrow(/hostapdVersion/);
  });

  it('validation: neighbours, duplicate BSSIDs and RADIUS client links', () => {
    expect(() => parseConfig(config.replace('neighbors: [ap2]', 'neighbors: [ap7]'))).toThrow(/distribution\.aps\[0\]\.neighbors\[0\]: no AP named ap7/);
    expect(() => parseConfig(config.replace('02:00:00:00:02:00', '02:00:00:00:01:01'))).toThrow(/BSSID 02:00:00:00:01:01 is also on ap1/);
    expect(() => parseConfig(config.replace('radiusClient: ap2', 'radiusClient: nope'))).toThrow(/radiusClient: no radius.clients entry named nope/);
  });
});
