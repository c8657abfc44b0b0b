// The systemd files, checked by systemd's own tools (Debian 12: systemd 252).
//
// `systemd-analyze verify` insists that ExecStart's binary exists, and this machine need not have
// the Debian package installed (.ci/package-check verifies the installed unit): the test verifies
// a copy of the unit whose ExecStart is rewritten to this Node (process.execPath) and this
// checkout's dist/ path. Everything else is the
// shipped file byte for byte. Lines about other units installed on the host (e.g. Debian's
// freeradius.service) are printed but not held against us; any line about kmsd.service is.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KMSD_NODE_FLAGS } from '../../../daemon/main/node-flags.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const UNIT = readFileSync(join(REPO, 'systemd/kmsd.service'), 'utf8');
const FLAGS = KMSD_NODE_FLAGS.join(' ');
const SHIPPED_EXEC = `ExecStart=/usr/bin/node ${FLAGS} /usr/lib/hostapd-kms/dist/daemon/main/kmsd.js --config /etc/hostapd-kms/kms.yaml`;
const hasSystemd = spawnSync('systemd-analyze', ['--version']).status === 0;
const isRoot = process.getuid?.() === 0;

function tempDir(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function run(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, SYSTEMD_COLORS: '0', SYSTEMD_PAGER: '' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Lines of systemd-analyze output that concern our unit. */
function aboutUs(output: string): string[] {
  return output.split('\n').filter((l) => l.includes('kmsd.service'));
}

describe.skipIf(!hasSystemd)('systemd unit kmsd.service', () => {
  let tmp: ReturnType<typeof tempDir>;
  let unitCopy: string;
  const writeCopy = (name: string, text: string) => {
    const dir = join(tmp.dir, name);
    mkdirSync(dir);
    writeFileSync(join(dir, 'kmsd.service'), text);
    return join(dir, 'kmsd.service');
  };

  beforeAll(() => {
    tmp = tempDir('kms-systemd-');
    expect(UNIT).toContain(SHIPPED_EXEC);
    const exec = `ExecStart=${process.execPath} ${FLAGS} ${join(REPO, 'dist/daemon/main/kmsd.js')} --config /etc/hostapd-kms/kms.yaml`;
    unitCopy = writeCopy('verify', UNIT.replace(SHIPPED_EXEC, exec));
  });
  afterAll(() => tmp.cleanup());

  it('runs node with the flags every other launcher uses, and so does the kmsd shebang', () => {
    // UNIT contains SHIPPED_EXEC (checked above), which is built from KMSD_NODE_FLAGS.
    const shebang = readFileSync(join(REPO, 'daemon/main/kmsd.ts'), 'utf8').split('\n')[0];
    expect(shebang).toBe(`#!/usr/bin/env -S node ${FLAGS}`);
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toContain(`node ${FLAGS} dist/daemon/main/kmsd.js`);
  });

  it('passes systemd-analyze verify with no complaint about our unit', () => {
    const r = run('systemd-analyze', ['verify', unitCopy]);
    if (r.stderr.trim()) console.log(`systemd-analyze verify (host noise included):\n${r.stderr}`);
    expect(r.status).toBe(0);
    expect(aboutUs(r.stderr + r.stdout)).toEqual([]);
  });

  it('would notice a broken unit (control for the test above)', () => {
    const broken = writeCopy('broken', UNIT.replace('NoNewPrivileges=yes', 'NoNewPrivileges=yes\nProtectSystm=strict'));
    const r = run('systemd-analyze', ['verify', broken]);
    expect(aboutUs(r.stderr).join('\n')).toMatch(/Unknown key.*'ProtectSystm'/);
  });

  it('has the settings the design relies on', () => {
    const settings = new Map<string, string[]>();
    for (const line of UNIT.split('\n')) {
      const m = /^([A-Za-z]+)=(.*)$/.exec(line);
      if (m) settings.set(m[1], [...(settings.get(m[1]) ?? []), m[2]]);
    }
    const one = (k: string) => settings.get(k)?.join(' | ');
    expect(one('Type')).toBe('notify');
    expect(one('NotifyAccess')).toBe('main');
    // kmsd reloads on SIGHUP (daemon/main/reload.ts); without ExecReload `systemctl reload` fails.
    expect(one('ExecReload')).toBe('/bin/kill -HUP $MAINPID');
    expect(one('WatchdogSec')).toBe('30s');
    expect(one('MemoryDenyWriteExecute')).toBe('no'); // V8's JIT
    expect(one('CapabilityBoundingSet')).toBe('CAP_NET_BIND_SERVICE CAP_NET_RAW');
    expect(one('AmbientCapabilities')).toBe('CAP_NET_BIND_SERVICE CAP_NET_RAW');
    expect(one('RestrictAddressFamilies')).toBe('AF_UNIX AF_INET AF_INET6 AF_NETLINK AF_PACKET');
    expect(one('ReadWritePaths')).toBe('/var/lib/hostapd-kms');
    expect(settings.get('LoadCredential')).toContain('master-key:/etc/hostapd-kms/master-key');
    // What the credential fallback outside systemd (daemon/config/load.ts) mirrors.
    expect(settings.get('LoadCredential')).toContain('secrets:/etc/hostapd-kms/credentials');
    expect(one('UMask')).toBe('0077');
    // The R0KH-R1KH thread's distribution.rrb.priorityBoost (10) needs nice values down to -10.
    expect(one('LimitNICE')).toBe('-10');
    // Its distribution.rrb.realtimePriority (1) needs RLIMIT_RTPRIO 1, and real-time allowed.
    expect(one('LimitRTPRIO')).toBe('1');
    expect(one('RestrictRealtime')).toBe('no');
    // kmsd exits 78 (EX_CONFIG) on every configuration error, at --check and at start:
    // restarting cannot fix those (test/unit/main/startup-checks.test.ts).
    expect(one('Restart')).toBe('on-failure');
    expect(one('RestartPreventExitStatus')).toBe('78');
  });

  it('prints its systemd-analyze security exposure (offline), and it stays low', () => {
    const r = run('systemd-analyze', ['security', '--offline=true', unitCopy]);
    const m = /Overall exposure level for kmsd\.service: ([0-9.]+) (\w+)/.exec(r.stdout);
    expect(m, r.stdout + r.stderr).not.toBeNull();
    console.log(`systemd-analyze security: exposure ${m![1]} ${m![2]} (0 = locked down, 10 = unprotected)`);
    expect(Number(m![1])).toBeLessThan(3);
  });
});

describe.skipIf(!hasSystemd || !isRoot)('sysusers and tmpfiles (applied to a scratch root; needs root for chown)', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeAll(() => {
    tmp = tempDir('kms-sysroot-');
    mkdirSync(join(tmp.dir, 'etc'));
  });
  afterAll(() => tmp.cleanup());

  it('creates the kms user and group, then the directories with their owners and modes', () => {
    const users = run('systemd-sysusers', [`--root=${tmp.dir}`, join(REPO, 'systemd/hostapd-kms.sysusers.conf')]);
    expect(users.status, users.stderr).toBe(0);
    const passwd = readFileSync(join(tmp.dir, 'etc/passwd'), 'utf8');
    const kms = /^kms:x:(\d+):(\d+):[^:]*:\/var\/lib\/hostapd-kms:\/usr\/sbin\/nologin$/m.exec(passwd);
    expect(kms, passwd).not.toBeNull();
    const [uid, gid] = [Number(kms![1]), Number(kms![2])];
    expect(uid).toBeLessThan(1000); // a system account

    const files = run('systemd-tmpfiles', [`--root=${tmp.dir}`, '--create', join(REPO, 'systemd/hostapd-kms.tmpfiles.conf')]);
    expect(files.status, files.stderr).toBe(0);
    const st = (p: string) => {
      const s = statSync(join(tmp.dir, p));
      return { mode: (s.mode & 0o7777).toString(8), uid: s.uid, gid: s.gid };
    };
    expect(st('var/lib/hostapd-kms')).toEqual({ mode: '700', uid, gid });
    expect(st('etc/hostapd-kms')).toEqual({ mode: '750', uid: 0, gid });
    expect(st('etc/hostapd-kms/credentials')).toEqual({ mode: '700', uid: 0, gid: 0 });
  });
});
