import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
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
  try {
    writeFileSync(join(dir, 'k.yaml'), text);
    return spawnSync(process.execPath, [KMSCTL, '--config', join(dir, 'k.yaml'), ...args], { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('kmsctl ap-config', () => {
  // Many APs under one prefix client: each names its own source address, and gets the prefix's secret.
  const prefixed = config
    .replace(
      '{ name: ap2, address: 10.0.0.12, secret: ap2-radius-secret }',
      '{ name: floor2, address: 10.0.2.0/24, secret: floor2-radius-secret }',
    )
    .replace('radiusClient: ap2', 'radiusClient: floor2\n      radiusAddress: 10.0.2.7');

  it("an AP under a prefix client: the prefix's secret, and its own address is required", () => {
    const r = kmsctl(['ap-config', 'ap2', '--format', 'hostapd'], prefixed);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.split('\n')).toContain('auth_server_shared_secret=floor2-radius-secret');
    expect(() => parseConfig(prefixed.replace('\n      radiusAddress: 10.0.2.7', ''))).toThrow(
      /distribution\.aps\[1\]\.radiusAddress: radius client floor2 is a prefix \(10\.0\.2\.0\/24\): give this AP its radiusAddress, the address it sends RADIUS from/,
    );
    expect(() => parseConfig(prefixed.replace('radiusAddress: 10.0.2.7', 'radiusAddress: 10.0.3.7'))).toThrow(
      /10\.0\.3\.7 is not in radius client floor2 \(10\.0\.2\.0\/24\)/,
    );
    const twoOnOne = prefixed.replace('radiusClient: ap1', 'radiusClient: floor2\n      radiusAddress: 10.0.2.7');
    expect(() => parseConfig(twoOnOne)).toThrow(/distribution\.aps\[1\]\.radiusAddress: 10\.0\.2\.7 is also the radiusAddress of ap1/);
    expect(
      parseConfig(twoOnOne.replace('radiusAddress: 10.0.2.7', 'radiusAddress: 10.0.2.8')).distribution!.aps.map((a) => a.radiusAddress),
    ).toEqual(['10.0.2.8', '10.0.2.7']);
    const missing = kmsctl(['ap-config', 'ap2'], prefixed.replace('\n      radiusAddress: 10.0.2.7', ''));
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/radius client floor2 is a prefix/);
  });

  it("hostapd lines: RADIUS to the KMS with the AP's own secret, one r0kh for the KMS, push off", () => {
    const r = kmsctl(['ap-config', 'ap1', '--format', 'hostapd']);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    for (const l of [
      'auth_server_addr=10.0.0.2',
      'auth_server_shared_secret=ap1-radius-secret',
      'nas_identifier=ap1.example.com',
      'mobility_domain=a1b2',
      'pmk_r1_push=0',
      `r0kh=02:00:00:00:09:00 * ${KEY}`,
      'ft_over_ds=0',
      'rrm_beacon_report=1',
      'okc=1',
      'wpa_key_mgmt=WPA-EAP FT-EAP',
    ]) {
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

  it('--json gives the same text in an object, and errors as {error}', () => {
    const plain = kmsctl(['ap-config', 'ap1', '--format', 'uci']);
    const r = kmsctl(['ap-config', 'ap1', '--format', 'uci', '--json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ ap: 'ap1', format: 'uci', text: plain.stdout });
    const bad = kmsctl(['ap-config', 'ap9', '--json']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe('');
    expect(JSON.parse(bad.stdout).error).toMatch(/no AP named "ap9"/);
  });

  it('clear errors for unknown APs, bad formats and bad keys', () => {
    expect(kmsctl(['ap-config', 'ap9']).stderr).toMatch(/no AP named "ap9".*have: ap1, ap2/);
    expect(kmsctl(['ap-config', 'ap1', '--format', 'json']).stderr).toMatch(/--format must be hostapd, uci or rxkh/);
    expect(kmsctl(['ap-config', 'ap1'], config.replaceAll(KEY, 'abcd')).stderr).toMatch(/rrbKey must be 64 hex digits/);
  });

  it('a legacy 32-digit rrbKey goes to the AP as written: hostapd expands it as the KMS does', () => {
    const legacy = 'ab'.repeat(16);
    const r = kmsctl(['ap-config', 'ap1'], config.replaceAll(KEY, legacy));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.split('\n')).toContain(`r0kh=02:00:00:00:09:00 * ${legacy}`);
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
      expect(
        captured.split('\n').filter((l) => l !== ''),
        v,
      ).toEqual(entries);
    }
  });

  it("the AP's hostapdVersion is the default; 2.10 has no rxkh_file", () => {
    const v211 = config.replace('radiusClient: ap2', 'radiusClient: ap2\n      hostapdVersion: "2.11"');
    expect(kmsctl(['ap-config', 'ap2'], v211).stdout).toContain('(hostapd 2.11 or later)');
    expect(kmsctl(['ap-config', 'ap2', '--format', 'rxkh'], v211).status).toBe(0);
    expect(kmsctl(['ap-config', 'ap1']).stdout).toContain('of AP ap1 (hostapd 2.10)');
    expect(kmsctl(['ap-config', 'ap1', '--rxkh-file', '/etc/x']).stderr).toMatch(/rxkh_file needs hostapd 2\.11/);
    expect(kmsctl(['ap-config', 'ap1', '--format', 'rxkh']).stderr).toMatch(/rxkh_file needs hostapd 2\.11/);
    expect(kmsctl(['ap-config', 'ap1', '--hostapd', '2.12']).stderr).toMatch(/--hostapd must be 2\.10 or 2\.11, not "2\.12"/);
    expect(kmsctl(['ap-config', 'ap1', '--hostapd', '2.11', '--rxkh-file', 'rel/path']).stderr).toMatch(/absolute path/);
    expect(() => parseConfig(config.replace('radiusClient: ap2', 'radiusClient: ap2\n      hostapdVersion: "2.9"'))).toThrow(
      /hostapdVersion/,
    );
  });

  it('validation: neighbours, duplicate BSSIDs and RADIUS client links', () => {
    expect(() => parseConfig(config.replace('neighbors: [ap2]', 'neighbors: [ap7]'))).toThrow(
      /distribution\.aps\[0\]\.neighbors\[0\]: no AP named ap7/,
    );
    expect(() => parseConfig(config.replace('02:00:00:00:02:00', '02:00:00:00:01:01'))).toThrow(/BSSID 02:00:00:00:01:01 is also on ap1/);
    expect(() => parseConfig(config.replace('radiusClient: ap2', 'radiusClient: nope'))).toThrow(
      /radiusClient: no radius.clients entry named nope/,
    );
    // An AP's own address, if given, is its client's.
    expect(() => parseConfig(config.replace('radiusClient: ap2', 'radiusClient: ap2\n      radiusAddress: 10.0.0.13'))).toThrow(
      /distribution\.aps\[1\]\.radiusAddress: 10\.0\.0\.13 is not in radius client ap2 \(10\.0\.0\.12\)/,
    );
  });

  describe('security modes (distribution.security, per-AP override)', () => {
    const withSecurity = (ssidMode: string | null, ap2Mode: string | null = null) => {
      let t = ssidMode ? config.replace('  ssid: corp\n', `  ssid: corp\n  security: ${ssidMode}\n`) : config;
      if (ap2Mode) t = t.replace('      radiusClient: ap2\n', `      radiusClient: ap2\n      security: ${ap2Mode}\n`);
      return t;
    };
    const hostapdLines = (text: string, ap = 'ap1') => {
      const r = kmsctl(['ap-config', ap, '--format', 'hostapd'], text);
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.split('\n').filter((l) => !l.startsWith('#'));
    };
    const pick = (lines: string[], keys: string[]) => lines.filter((l) => keys.includes(l.slice(0, l.indexOf('='))));
    const SEC = ['wpa', 'wpa_key_mgmt', 'rsn_pairwise', 'group_cipher', 'ieee80211w', 'group_mgmt_cipher'];

    it('default wpa2: WPA-EAP and FT-EAP, CCMP, PMF off (what it printed before the setting existed)', () => {
      expect(pick(hostapdLines(config), SEC)).toEqual([
        'wpa=2',
        'wpa_key_mgmt=WPA-EAP FT-EAP',
        'rsn_pairwise=CCMP',
        'ieee80211w=0',
        'wpa=2',
        'wpa_key_mgmt=WPA-EAP FT-EAP',
        'rsn_pairwise=CCMP',
        'ieee80211w=0',
      ]);
    });

    it('wpa3: WPA3-Enterprise only, WPA-EAP-SHA256 and FT-EAP, PMF required', () => {
      expect(pick(hostapdLines(withSecurity('wpa3'), 'ap2'), SEC)).toEqual([
        'wpa=2',
        'wpa_key_mgmt=WPA-EAP-SHA256 FT-EAP',
        'rsn_pairwise=CCMP',
        'ieee80211w=2',
        'group_mgmt_cipher=AES-128-CMAC',
      ]);
    });

    it('wpa3-transition: WPA-EAP, WPA-EAP-SHA256 and FT-EAP with PMF optional', () => {
      expect(pick(hostapdLines(withSecurity('wpa3-transition'), 'ap2'), SEC)).toEqual([
        'wpa=2',
        'wpa_key_mgmt=WPA-EAP WPA-EAP-SHA256 FT-EAP',
        'rsn_pairwise=CCMP',
        'ieee80211w=1',
        'group_mgmt_cipher=AES-128-CMAC',
      ]);
    });

    it('wpa3-192: Suite B 192 and FT-EAP-SHA384, GCMP-256 pairwise and group, BIP-GMAC-256, PMF required', () => {
      expect(pick(hostapdLines(withSecurity('wpa3-192'), 'ap2'), SEC)).toEqual([
        'wpa=2',
        'wpa_key_mgmt=WPA-EAP-SUITE-B-192 FT-EAP-SHA384',
        'rsn_pairwise=GCMP-256',
        'group_cipher=GCMP-256',
        'ieee80211w=2',
        'group_mgmt_cipher=BIP-GMAC-256',
      ]);
    });

    it('an AP overrides the SSID mode (a site moving to WPA3 one AP at a time)', () => {
      const text = withSecurity('wpa3-transition', 'wpa3');
      expect(pick(hostapdLines(text, 'ap1'), ['wpa_key_mgmt'])[0]).toBe('wpa_key_mgmt=WPA-EAP WPA-EAP-SHA256 FT-EAP');
      expect(pick(hostapdLines(text, 'ap2'), ['wpa_key_mgmt'])).toEqual(['wpa_key_mgmt=WPA-EAP-SHA256 FT-EAP']);
    });

    it("UCI: OpenWrt's encryption value for each mode, ieee80211w said explicitly", () => {
      const uci = (text: string) => kmsctl(['ap-config', 'ap2', '--format', 'uci'], text).stdout;
      expect(uci(config)).toContain("\toption encryption 'wpa2'\n\toption ieee80211w '0'\n");
      expect(uci(withSecurity('wpa3'))).toContain("\toption encryption 'wpa3'\n\toption ieee80211w '2'\n");
      expect(uci(withSecurity('wpa3-transition'))).toContain("\toption encryption 'wpa3-mixed'\n\toption ieee80211w '1'\n");
      expect(uci(withSecurity('wpa3-192'))).toContain(
        "\toption encryption 'wpa3-192'\n\toption ieee80211w '2'\n\toption ieee80211w_mgmt_cipher 'BIP-GMAC-256'\n",
      );
    });

    it('validation: unknown modes name the field and the choices; 192-bit and 128-bit APs do not share a mobility domain', () => {
      expect(() => parseConfig(withSecurity('wpa3-enterprise'))).toThrow(
        /distribution\.security: expected one of wpa2, wpa3-transition, wpa3, wpa3-192/,
      );
      expect(() => parseConfig(withSecurity(null, 'wpa4'))).toThrow(/distribution\.aps\[1\]\.security: expected one of/);
      expect(() => parseConfig(withSecurity('wpa3', 'wpa3-192'))).toThrow(
        /distribution\.aps\[1\]\.security: wpa3-192 cannot share a mobility domain with wpa3/,
      );
      expect(() => parseConfig(withSecurity('wpa3-192', 'wpa2'))).toThrow(
        /distribution\.aps\[1\]\.security: wpa2 cannot share a mobility domain with wpa3-192/,
      );
      expect(parseConfig(withSecurity('wpa3-192', 'wpa3-192')).distribution!.security).toBe('wpa3-192');
      expect(parseConfig(config).distribution!.security).toBe('wpa2');
    });
  });
});
