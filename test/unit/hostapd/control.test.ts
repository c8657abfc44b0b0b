// Pure parts of the AP controls: PMKSA_ADD formatting, hostapd_cli interactive output, ubus
// notifications, and the shell framing of the SSH transport (run against a local /bin/sh, the
// same dash/ash family an AP runs).
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  HostapdParseError,
  cliEventLine,
  formatPmksaAdd,
  frameCommand,
  parseUbusEvent,
  shellQuote,
  sshFingerprint,
} from '../../../adapters/hostapd/index.js';

const STA = '02:00:00:00:00:41';

describe('PMKSA_ADD formatting', () => {
  const base = { staMac: '02-00-00-00-00-41', pmkid: Buffer.alloc(16, 0xab), pmk: Buffer.alloc(32, 1), expirationS: 3600, akmp: 1 };
  it('formats the line hostapd parses', () => {
    expect(formatPmksaAdd(base)).toBe(`PMKSA_ADD ${STA} ${'ab'.repeat(16)} ${'01'.repeat(32)} 3600 1`);
    expect(formatPmksaAdd({ ...base, pmk: Buffer.alloc(48, 2), akmp: 32, expirationS: 0 })).toMatch(/ 0 32$/);
  });
  it.each([
    [{ staMac: 'nope' }, /station address/],
    [{ pmkid: Buffer.alloc(15) }, /PMKID/],
    [{ pmk: Buffer.alloc(31) }, /PMK is/],
    [{ pmk: Buffer.alloc(65) }, /PMK is/],
    [{ expirationS: -1 }, /expiration/],
    [{ expirationS: 1.5 }, /expiration/],
    [{ akmp: 0 }, /akmp/],
  ])('rejects %o', (patch, re) => {
    expect(() => formatPmksaAdd({ ...base, ...patch })).toThrow(re);
  });
});

describe('hostapd_cli action-mode output (-a /bin/echo)', () => {
  it('keeps `<ifname> EVENT …` lines, drops hostapd_cli messages and other interfaces', () => {
    const out = [
      `wlan0 AP-STA-CONNECTED ${STA} keyid=x`,
      'wlan0 AP-DISABLED',
      'hostapd did not reply to PING command - exiting',
      `wlan01 AP-STA-CONNECTED ${STA}`,
      '',
    ];
    expect(out.map((l) => cliEventLine(l, 'wlan0'))).toEqual([`AP-STA-CONNECTED ${STA} keyid=x`, 'AP-DISABLED', null, null, null]);
  });
});

describe('ubus notifications (format of OpenWrt ubus.c; not verified on OpenWrt)', () => {
  it('sta-authorized → sta-connected', () => {
    expect(parseUbusEvent(`{ "sta-authorized": {"address":"${STA}","auth-alg":"open"} }`, 'wlan0')).toEqual({
      type: 'sta-connected',
      ifname: 'wlan0',
      staMac: STA,
      authAlg: 'open',
    });
    expect(parseUbusEvent(`{ "sta-authorized": {"address":"${STA}","vlan":100,"ifname":"wlan0","auth-alg":"ft"} }`, 'wlan0')).toMatchObject(
      { vlanId: 100, authAlg: 'ft' },
    );
  });
  it('leave notifications → sta-disconnected; others ignored', () => {
    for (const t of ['disassoc', 'deauth', 'local-deauth', 'inactive-deauth']) {
      expect(parseUbusEvent(`{ "${t}": {"address":"${STA}"} }`, 'w')).toEqual({ type: 'sta-disconnected', ifname: 'w', staMac: STA });
    }
    expect(parseUbusEvent(`{ "probe": {"address":"${STA}","target":"ff:ff:ff:ff:ff:ff","signal":-37,"freq":5745} }`, 'w')).toBeNull();
  });
  it('beacon-report: no token, body rebuilt from the fields (the documented Beacon report layout)', () => {
    const line = `{ "beacon-report": {"address":"${STA}","op-class":115,"channel":36,"start-time":123456789012,"duration":100,"report-info":2,"rcpi":150,"rsni":255,"bssid":"02:00:00:00:07:00","antenna-id":0,"parent-tsf":4660} }`;
    const ev = parseUbusEvent(line, 'w');
    expect(ev).toMatchObject({ type: 'beacon-report', token: null, reportMode: 0 });
    const body = (ev as { body: Buffer }).body;
    expect(body.length).toBe(26);
    expect(body.subarray(0, 2)).toEqual(Buffer.from([115, 36]));
    expect(body.readBigUInt64LE(2)).toBe(123456789012n);
    expect(body.readUInt16LE(10)).toBe(100);
    expect(body.subarray(13, 21).toString('hex')).toBe('96ff020000000700');
    expect(body.readUInt32LE(22)).toBe(4660);
    // 2019 spelling, and a newer hostapd that sends token, rep-mode and the report itself.
    expect(parseUbusEvent(line.replace('antenna-id', 'atenna-id'), 'w')).toMatchObject({ token: null });
    const newer = `{ "beacon-report": {"address":"${STA}","token":9,"rep-mode":0,"report":"${body.toString('base64')}"} }`;
    expect(parseUbusEvent(newer, 'w')).toEqual({ type: 'beacon-report', ifname: 'w', staMac: STA, token: 9, reportMode: 0, body });
  });
  it.each([
    ['not json', 'bad-line'],
    ['[]', 'bad-line'],
    ['{ "a": {}, "b": {} }', 'bad-line'],
    ['{ "sta-authorized": 5 }', 'bad-line'],
    ['{ "sta-authorized": {} }', 'bad-address'],
    [`{ "sta-authorized": {"address":"${STA}","vlan":-1} }`, 'bad-number'],
    [`{ "sta-authorized": {"address":"${STA}","auth-alg":"$(reboot)"} }`, 'bad-field'],
    [`{ "disassoc": {"address":"020000000041"} }`, 'bad-address'],
    [`{ "beacon-report": {"address":"${STA}","op-class":300} }`, 'bad-number'],
    [`{ "beacon-report": {"address":"${STA}","report":"!!"} }`, 'bad-hex'],
  ])('rejects %s', (line, why) => {
    expect(() => parseUbusEvent(line, 'w')).toThrow(HostapdParseError);
    try {
      parseUbusEvent(line, 'w');
    } catch (err) {
      expect((err as HostapdParseError).reason).toBe(why);
    }
  });
});

describe('SSH transport framing', () => {
  it('fingerprints like ssh-keygen -lf (SHA256, base64 without padding)', () => {
    // ssh-ed25519 key blob of a throwaway key; fingerprint from `ssh-keygen -lf`.
    const blob = Buffer.from('AAAAC3NzaC1lZDI1NTE5AAAAIMvsFgLRvoQu9i4tI41ounIkU+kKfnf/H0Pd8rKThi3v', 'base64');
    expect(sshFingerprint(blob)).toBe('SHA256:YJ/lYnIMoWae9yms8fi2kz1r6eXuFh+4JGGwALH/WK4');
  });

  it('framed commands keep one shell alive through exits, syntax errors, quotes and stdin readers', async () => {
    const cmds = ['echo hi', 'exit 3', "printf '%s' \"it's\"", 'if then', 'cat; echo after-cat', 'echo err >&2; false', 'cd /; pwd', 'pwd'];
    const sh = spawn('sh', [], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    sh.stdout.on('data', (d) => (out += d));
    sh.stderr.on('data', (d) => (err += d));
    const cwd = process.cwd();
    sh.stdin.write(cmds.map((c, i) => frameCommand(c, `D${i}`)).join(''));
    sh.stdin.end();
    await new Promise((r) => sh.on('close', r));
    const results = cmds.map((_, i) => {
      const m = new RegExp(`^([\\s\\S]*?)\\nD${i} (\\d+)\\n`).exec(out)!;
      out = out.slice(m[0].length);
      return { stdout: m[1], code: Number(m[2]) };
    });
    expect(results).toEqual([
      { stdout: 'hi\n', code: 0 },
      { stdout: '', code: 3 },
      { stdout: "it's", code: 0 },
      { stdout: '', code: 2 },
      { stdout: 'after-cat\n', code: 0 },
      { stdout: '', code: 1 },
      { stdout: '/\n', code: 0 },
      { stdout: `${cwd}\n`, code: 0 }, // `cd` stayed inside its subshell
    ]);
    expect(err).toContain('\nD5\n');
    expect(err).toMatch(/err\n\nD5\n/);
    expect(shellQuote("a'b")).toBe(`'a'\\''b'`);
  });
});
