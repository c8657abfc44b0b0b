import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { type ConfigError, parseConfig } from '../../../daemon/config/load.js';
import { planReload } from '../../../daemon/config/reload-plan.js';

// radius.dynamicAuthorization and radius.clients[].das: defaults, refusals, and the DAS lines
// `kmsctl ap-config` writes for hostapd and OpenWrt.

const KMSCTL = new URL('../../../dist/daemon/cli/kmsctl.js', import.meta.url).pathname;
const KEY = 'ab'.repeat(32);
const config = (
  das = `
  dynamicAuthorization:
    upstreams: [{ name: ise, address: 192.0.2.10, secret: ise-das-secret }]`,
) => `
radius:
  clients:
    - { name: ap1, address: 10.0.0.11, secret: ap1-radius-secret, das: { secret: ap1-das-secret } }
    - { name: ap2, address: 10.0.0.12, secret: ap2-radius-secret }
  upstreams: [{ name: aaa, address: 127.0.0.1, secret: up }]${das}
api: { token: t }
distribution:
  ssid: corp
  mobilityDomain: A1B2
  kmsRadiusAddress: 10.0.0.2
  rrb: { interface: br-ds, mac: 02:00:00:00:09:00 }
  aps:
    - { name: ap1, nasIdentifier: ap1.example.com, radiusClient: ap1, rrbKey: ${KEY}, bsses: [{ ifname: wlan0, bssid: 02:00:00:00:01:00 }, { ifname: wlan1, bssid: 02:00:00:00:01:01 }] }
    - { name: ap2, nasIdentifier: ap2.example.com, radiusClient: ap2, rrbKey: ${KEY}, bsses: [{ ifname: wlan0, bssid: 02:00:00:00:02:00 }] }
`;

function kmsctl(args: string[], text: string) {
  const dir = mkdtempSync(join(tmpdir(), 'kms-dascfg-'));
  try {
    writeFileSync(join(dir, 'k.yaml'), text);
    return spawnSync(process.execPath, [KMSCTL, '--config', join(dir, 'k.yaml'), ...args], { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('dynamic authorization configuration', () => {
  it('defaults: port 3799, a 300 s Event-Timestamp window that is required, CoA answered with a NAK', () => {
    const c = parseConfig(config());
    expect(c.radius.dynamicAuthorization).toMatchObject({
      listen: { address: '0.0.0.0', port: 3799 },
      eventTimestampWindowS: 300,
      requireEventTimestamp: true,
      coa: 'nak',
      timeoutMs: 1000,
      tries: 3,
    });
    expect(c.radius.clients[0]!.das).toEqual({ secret: 'ap1-das-secret', port: 3799 });
    expect(c.radius.clients[1]!.das).toBeUndefined();
    expect(parseConfig(config('')).radius.dynamicAuthorization).toBeUndefined();
  });

  it('refuses an unknown CoA policy and an empty upstream list, naming the field', () => {
    const bad = (text: string) => {
      try {
        parseConfig(text);
      } catch (e) {
        return (e as ConfigError).problems.join('\n');
      }
      throw new Error('accepted');
    };
    expect(
      bad(
        config(`
  dynamicAuthorization: { coa: ignore, upstreams: [{ name: ise, address: 192.0.2.10, secret: s }] }`),
      ),
    ).toMatch(/radius\.dynamicAuthorization\.coa/);
    expect(
      bad(
        config(`
  dynamicAuthorization: { upstreams: [] }`),
      ),
    ).toMatch(/radius\.dynamicAuthorization\.upstreams: list the AAA servers/);
  });

  it('a reload swaps the upstreams live; the listener and the policy wait for a restart', () => {
    const a = parseConfig(config());
    const b = parseConfig(
      config(`
  dynamicAuthorization:
    coa: disconnect
    upstreams: [{ name: ise2, address: 192.0.2.11, secret: other }]`),
    );
    const plan = planReload(a, b);
    expect(plan.live).toContain('radius.dynamicAuthorization.upstreams');
    expect(plan.restart).toContain('radius.dynamicAuthorization.coa');
  });

  it("kmsctl ap-config: hostapd DAS lines per BSS (one DAS per BSS, ports 3799, 3800), the AP's own DAS secret", () => {
    const r = kmsctl(['ap-config', 'ap1', '--format', 'hostapd'], config());
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    for (const l of [
      'radius_das_port=3799',
      'radius_das_port=3800',
      'radius_das_client=10.0.0.2 ap1-das-secret',
      'radius_das_require_message_authenticator=1',
      'radius_das_require_event_timestamp=1',
      'radius_das_time_window=300',
    ]) {
      expect(lines).toContain(l);
    }
    expect(lines.filter((l) => l.startsWith('radius_das_client='))).toHaveLength(2);
    expect(r.stdout).not.toContain('ise-das-secret');
  });

  it("kmsctl ap-config: the UCI options OpenWrt's hostapd.sh reads (dae_client, dae_secret, dae_port)", () => {
    const r = kmsctl(['ap-config', 'ap1', '--format', 'uci'], config());
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("\toption dae_client '10.0.0.2'");
    expect(r.stdout).toContain("\toption dae_secret 'ap1-das-secret'");
    expect(r.stdout).toContain("\toption dae_port '3799'");
    expect(r.stdout).toContain("\toption dae_port '3800'");
  });

  it('kmsctl ap-config: no DAS lines for an AP without a DAS, or when the KMS does not relay', () => {
    expect(kmsctl(['ap-config', 'ap2'], config()).stdout).not.toContain('radius_das');
    expect(kmsctl(['ap-config', 'ap1'], config('')).stdout).not.toContain('radius_das');
  });

  it("kmsctl ap-config: radius_das_client is the sourceAddress when set, and must be IPv4 (hostapd's DAS is IPv4 only)", () => {
    const withSource = (a: string) =>
      config(`
  dynamicAuthorization:
    sourceAddress: ${a}
    upstreams: [{ name: ise, address: 192.0.2.10, secret: s }]`);
    expect(kmsctl(['ap-config', 'ap1'], withSource('10.0.0.3')).stdout).toContain('radius_das_client=10.0.0.3 ap1-das-secret');
    const r = kmsctl(['ap-config', 'ap1'], withSource('fd00::3'));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/IPv4/);
  });
});
