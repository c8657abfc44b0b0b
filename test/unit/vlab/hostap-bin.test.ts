import { describe, expect, it, onTestFinished } from 'vitest';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { guestPath, hostapBinaryPaths, releaseLine } from '../../../hw/vlab/guest/hostap-bin.js';

// --hostap-bin: the folder check the runner makes before booting, and the KMS's hostapdVersion the
// guest derives from `hostapd -v` of the build it runs.

describe('--hostap-bin', () => {
  it('names every missing binary', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hostap-bin-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'hostapd'), '');
    writeFileSync(join(dir, 'wpa_cli'), '');
    expect(() => hostapBinaryPaths(dir)).toThrow(new RegExp(`missing ${dir}/hostapd_cli, ${dir}/wpa_supplicant \\(`));
    writeFileSync(join(dir, 'hostapd_cli'), '');
    writeFileSync(join(dir, 'wpa_supplicant'), '');
    expect(hostapBinaryPaths(dir)).toEqual(['hostapd', 'hostapd_cli', 'wpa_supplicant', 'wpa_cli'].map((b) => join(dir, b)));
  });

  it("finds a build under the host's /tmp where the guest keeps it (the guest's own /tmp is empty)", () => {
    expect(guestPath('/tmp/hb/2.11')).toBe('/mnt/host-tmp/hb/2.11');
    expect(guestPath('/tmp')).toBe('/mnt/host-tmp');
    expect(guestPath('/tmpfoo/x')).toBe('/tmpfoo/x');
    expect(guestPath('/opt/hostap-2.11')).toBe('/opt/hostap-2.11');
  });

  it('release line from hostapd -v (what Debian 2.10, 2.11 and main print)', () => {
    expect(releaseLine('hostapd v2.10')).toBe('2.10');
    expect(releaseLine('hostapd v2.9')).toBe('2.10');
    expect(releaseLine('hostapd v2.11')).toBe('2.11');
    expect(releaseLine('hostapd v2.12-devel')).toBe('2.11');
    expect(releaseLine('hostapd v3.0')).toBe('2.11');
    expect(releaseLine('')).toBe('2.10');
  });
});
