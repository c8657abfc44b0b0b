import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { SECURITY_MODES } from '../../daemon/config/distribution-schema.js';
import { securityHostapdLines } from '../../daemon/distribution/security.js';

// Every security mode's lines, read by the real hostapd (Debian 12: 2.10). hostapd parses the whole
// file before it touches the driver, and reports each option it does not accept as "Line N: …";
// the interface here does not exist, so it stops right after parsing. The lab (kms-wpa3) proves
// the modes on the air.

const dir = mkdtempSync(join(tmpdir(), 'kms-secmodes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function parse(lines: string[]): string {
  const file = join(dir, `h${Math.random().toString(16).slice(2)}.conf`);
  writeFileSync(
    file,
    [
      'interface=kmsnone0',
      'driver=nl80211',
      'ssid=corp',
      'hw_mode=g',
      'channel=1',
      'ieee80211n=1',
      'ieee8021x=1',
      'auth_server_addr=127.0.0.1',
      'auth_server_shared_secret=s',
      'nas_identifier=ap1.example.com',
      'mobility_domain=a1b2',
      'pmk_r1_push=0',
      `r0kh=02:00:00:00:09:00 * ${'ab'.repeat(32)}`,
      'okc=1',
      ...lines,
      '',
    ].join('\n'),
  );
  const r = spawnSync('hostapd', ['-d', file], { encoding: 'utf8', timeout: 20_000 });
  return `${r.stdout}${r.stderr}`;
}

describe('hostapd accepts every security mode kmsctl ap-config prints', () => {
  for (const mode of SECURITY_MODES) {
    it(mode, () => {
      const out = parse(securityHostapdLines(mode).filter((l) => !l.startsWith('#')));
      expect(out).toContain('Configuration file:');
      expect(out).not.toMatch(/Line \d+:|errors found in configuration file/);
    });
  }

  it('(control) an AKM hostapd does not know is reported with its line', () => {
    expect(parse(['wpa=2', 'wpa_key_mgmt=WPA-EAP-SHA512'])).toMatch(/Line \d+: invalid key_mgmt 'WPA-EAP-SHA512'/);
  });
});
