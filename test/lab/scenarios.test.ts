// Scenario files are checked before any VM boots: shipped ones must load, mistakes must be named.
import { describe, it, expect } from 'vitest';
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { loadScenario, parseScenario, scenariosDir } from '../../hw/vlab/scenario.js';
import { fillNames, makePlan, RADIUS_IP } from '../../hw/vlab/plan.js';
import { hostapdConf, hostapdVlanFile, kmsdConfigYaml, mergeHostapdConf, radiusUsers, wpaSupplicantConf } from '../../hw/vlab/configs.js';
import { sshFingerprint } from '../../hw/vlab/guest/kms.js';
import { parseConfig } from '../../daemon/config/load.js';
import { fixtureKmsInputs } from './kms-inputs.js';
import { renderHostapd } from '../../daemon/distribution/ap-config.js';

describe('lab scenario files', () => {
  it('every shipped scenario is valid', () => {
    const files = readdirSync(scenariosDir()).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) expect(loadScenario(f).steps.length).toBeGreaterThan(0);
  });

  it('names the field and the problem of an invalid scenario', () => {
    const bad = 'name: x\naps: [{name: ap1}]\nstations: [{name: sta1}]\nsteps:\n  - roam: {station: sta1, to: ap9}\n';
    expect(() => parseScenario(bad, 'bad.yaml')).toThrow(/bad\.yaml[\s\S]*steps\.0: unknown AP ap9/);
  });

  it('repeat stands for its steps (and expected roams) that many times; a bad count is named', () => {
    const text = (times: unknown) =>
      `name: x\naps: [{name: ap1}, {name: ap2}]\nstations: [{name: sta1}]\nsteps:\n  - join: {station: sta1, ap: ap1}\n  - repeat: {times: ${times}, steps: [{roam: {station: sta1, to: ap2}}, {roam: {station: sta1, to: ap1}}]}\nexpect:\n  roams: [{repeat: {times: ${times}, roams: [{station: sta1, from: ap1, to: ap2}]}}]\n`;
    const s = parseScenario(text(3));
    expect(s.steps.map((st) => ('join' in st ? 'join' : 'roam' in st ? st.roam.to : '?'))).toEqual([
      'join',
      'ap2',
      'ap1',
      'ap2',
      'ap1',
      'ap2',
      'ap1',
    ]);
    expect(s.expect.roams).toHaveLength(3);
    expect(() => parseScenario(text(0), 'r.yaml')).toThrow(/r\.yaml is not a valid scenario:\n {2}repeat\.times must be 1\.\.1000, got 0/);
  });

  it('FT without an ft: section is refused', () => {
    const bad = 'name: x\nnetwork: {keyMgmt: FT-EAP WPA-EAP}\naps: [{name: ap1}]\nstations: [{name: sta1}]\nsteps: [{sleep: {ms: 1}}]\n';
    expect(() => parseScenario(bad)).toThrow(/network\.ft: FT-EAP needs an ft: section/);
  });

  it('KMS steps need a kms: section, and kms.neighbors must name APs', () => {
    const noKms = 'name: x\naps: [{name: ap1}]\nstations: [{name: sta1}]\nsteps: [{kms-kill: {}}]\n';
    expect(() => parseScenario(noKms)).toThrow(/steps\.0: kms-kill needs an enabled kms: section/);
    const badNeighbour =
      'name: x\naps: [{name: ap1}]\nstations: [{name: sta1}]\nkms: {neighbors: {ap1: [ap9]}}\nsteps: [{sleep: {ms: 1}}]\n';
    expect(() => parseScenario(badNeighbour)).toThrow(/kms\.neighbors\.ap1: unknown AP ap9/);
    const badPattern =
      'name: x\naps: [{name: ap1}]\nstations: [{name: sta1}]\nkms: {}\nsteps: [{assert-hostapd-log: {ap: ap1, pattern: "(("}}]\n';
    expect(() => parseScenario(badPattern)).toThrow(/steps\.0: bad pattern/);
  });

  it('names in patterns become MAC addresses: {ap}, {station} and {kms}', () => {
    const s = parseScenario('name: x\naps: [{name: ap1}, {name: ap2}]\nstations: [{name: sta1}]\nkms: {}\nsteps: [{sleep: {ms: 1}}]\n');
    const plan = makePlan(s);
    expect(fillNames('from {ap2} to {kms} for {sta1}, not {ctrlDir}', plan)).toBe(
      'from 02:00:00:00:01:00 to 02:00:00:77:00:03 for 02:00:00:00:02:00, not {ctrlDir}',
    );
  });
});

describe('the KMS in the lab: generated configs', () => {
  const s = loadScenario('kms-ft');
  const plan = makePlan(s);
  const inputs = fixtureKmsInputs(plan);

  it('kmsd accepts the config the lab writes for it (its own schema)', () => {
    const cfg = parseConfig(kmsdConfigYaml(s, plan, inputs, RADIUS_IP), 'lab kms.yaml');
    expect(cfg.radius.clients.map((c) => [c.name, c.address])).toEqual([
      ['ap1', '10.77.0.11'],
      ['ap2', '10.77.0.12'],
      ['ap3', '10.77.0.13'],
      ['ap4', '10.77.0.14'],
    ]);
    expect(cfg.radius.upstreams[0]).toMatchObject({ address: RADIUS_IP, secret: s.radius.secret });
    const d = cfg.distribution!;
    expect(d).toMatchObject({ ssid: 'vlab-enterprise', mobilityDomain: 'a1b2', kmsRadiusAddress: '10.77.0.3', rrb: { interface: 'eth0' } });
    expect(d.aps.find((a) => a.name === 'ap1')).toMatchObject({
      nasIdentifier: 'ap1.vlab',
      neighbors: ['ap2', 'ap3'],
      bsses: [{ ifname: 'wlan0', bssid: '02:00:00:00:00:00' }],
      control: { kind: 'ssh', host: '10.77.0.11', ctrlDir: '/run/vlab/ap1/hostapd' },
    });
    expect(d.aps.find((a) => a.name === 'ap4')!.neighbors).toEqual([]);
  });

  it("each AP's hostapd.conf is the lab's with `kmsctl ap-config` merged over it", () => {
    const ap = plan.aps[1]!;
    const base = hostapdConf(s, plan, ap, {
      ifname: ap.ifname,
      bridge: 'br-lan',
      ctrlDir: ap.ctrlDir,
      ownIp: ap.ip,
      radiusIp: plan.kms.ip,
      radiusSecret: 'lab',
      vlanFile: '/v',
    });
    const distribution = parseConfig(kmsdConfigYaml(s, plan, inputs, RADIUS_IP)).distribution!;
    const kms = renderHostapd({
      distribution,
      ap: distribution.aps[1]!,
      radiusSecret: 'vlab-ap2-secret',
      rrbKeyHex: 'ab'.repeat(32),
      kmsMac: plan.kms.mac,
      authPort: 1812,
      acctPort: 1813,
    });
    const conf = mergeHostapdConf(base, `${kms}ft_iface=br-lan\n`, 'kms');
    const values = (key: string) =>
      conf
        .split('\n')
        .filter((l) => l.startsWith(`${key}=`))
        .map((l) => l.slice(key.length + 1));
    expect(values('interface')).toEqual(['wlan1']);
    expect(values('ctrl_interface')).toEqual(['/run/vlab/ap2/hostapd']);
    expect(values('auth_server_addr')).toEqual(['10.77.0.3']);
    expect(values('auth_server_shared_secret')).toEqual(['vlab-ap2-secret']);
    expect(values('pmk_r1_push')).toEqual(['0']);
    expect(values('r0kh')).toEqual([`02:00:00:77:00:03 * ${'ab'.repeat(32)}`]);
    expect(values('r1kh')).toEqual([]);
    expect(values('vlan_file')).toEqual(['/v']);
    expect(values('ft_iface')).toEqual([]);
    expect(conf).toMatch(/# ft_iface=br-lan: dropped/);
  });

  it('pins host keys by the fingerprint ssh-keygen -lf prints', () => {
    // Compared with ssh-keygen itself where it is installed (the lab's build needs it anyway).
    const pub = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOjXr9nb9V9XN1kh7rJtUb3o0M1z5XojEKpqWtqYsUvp lab';
    expect(sshFingerprint(pub)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    const keygen = spawnSync('ssh-keygen', ['-lf', '/dev/stdin'], { input: pub, encoding: 'utf8' });
    if (keygen.status === 0) expect(keygen.stdout.split(' ')[1]).toBe(sshFingerprint(pub));
  });

  it('the RADIUS users file carries a VLAN as RFC 3580 tunnel attributes', () => {
    expect(radiusUsers([{ identity: 'alice', password: 'pw', vlan: 100 }])).toBe(
      '"alice" Cleartext-Password := "pw"\n\tTunnel-Type = VLAN,\n\tTunnel-Medium-Type = IEEE-802,\n\tTunnel-Private-Group-Id = "100"\n',
    );
    expect(hostapdVlanFile('wlan0', [100, 100])).toBe('100\twlan0.100\n*\twlan0.#\n');
  });
});

describe('WPA3 in the lab: security mode, PMF and the 192-bit ciphers reach every config', () => {
  const values = (conf: string, key: string) =>
    conf
      .split('\n')
      .filter((l) => l.trim().startsWith(`${key}=`))
      .map((l) => l.trim().slice(key.length + 1));

  for (const [name, mode, akms] of [
    ['kms-wpa3', 'wpa3', 'WPA-EAP-SHA256 FT-EAP'],
    ['kms-wpa3-192', 'wpa3-192', 'WPA-EAP-SUITE-B-192 FT-EAP-SHA384'],
  ] as const) {
    it(`${name}: kmsd gets security ${mode}, and the merged AP config offers ${akms} with PMF required`, () => {
      const s = loadScenario(name);
      const plan = makePlan(s);
      const distribution = parseConfig(kmsdConfigYaml(s, plan, fixtureKmsInputs(plan), RADIUS_IP)).distribution!;
      expect(distribution.security).toBe(mode);
      const ap = plan.aps[0]!;
      const base = hostapdConf(s, plan, ap, {
        ifname: ap.ifname,
        bridge: 'br-lan',
        ctrlDir: ap.ctrlDir,
        ownIp: ap.ip,
        radiusIp: plan.kms.ip,
      });
      const kms = renderHostapd({
        distribution,
        ap: distribution.aps[0]!,
        radiusSecret: 'x',
        rrbKeyHex: 'ab'.repeat(32),
        kmsMac: plan.kms.mac,
        authPort: 1812,
        acctPort: 1813,
      });
      const conf = mergeHostapdConf(base, kms, 'kms');
      expect(values(conf, 'wpa_key_mgmt')).toEqual([akms]);
      expect(values(conf, 'ieee80211w')).toEqual(['2']);
      expect(values(conf, 'mobility_domain')).toEqual(['a1b2']);
    });
  }

  it('stations: ieee80211w as given; the 192-bit AKMs bring GCMP-256 and BIP-GMAC-256', () => {
    const w3 = loadScenario('kms-wpa3');
    const sta2 = wpaSupplicantConf(w3, 1, '/c', '/ca.pem');
    expect(values(sta2, 'key_mgmt')).toEqual(['WPA-EAP-SHA256']);
    expect(values(sta2, 'ieee80211w')).toEqual(['2']);
    expect(values(sta2, 'pairwise')).toEqual(['CCMP']);
    expect(values(sta2, 'proactive_key_caching')).toEqual(['1']);
    const w192 = wpaSupplicantConf(loadScenario('kms-wpa3-192'), 0, '/c', '/ca.pem');
    expect(values(w192, 'pairwise')).toEqual(['GCMP-256']);
    expect(values(w192, 'group')).toEqual(['GCMP-256']);
    expect(values(w192, 'group_mgmt')).toEqual(['BIP-GMAC-256']);
  });

  it('refuses unknown station AKMs and a WPA3 network without an ft: section', () => {
    const base = 'name: x\naps: [{name: ap1}]\nsteps: [{sleep: {ms: 1}}]\n';
    expect(() => parseScenario(`${base}stations: [{name: sta1, keyMgmt: FT-EAP WPA-EAP-SHA512}]\n`)).toThrow(
      /stations\.0\.keyMgmt: space-separated AKMs from/,
    );
    expect(() => parseScenario(`${base}network: {security: wpa3}\nstations: [{name: sta1}]\n`)).toThrow(
      /network\.ft: security wpa3 offers an FT AKM/,
    );
  });
});
