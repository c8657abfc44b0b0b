// The AP-control transports against real parts: hostapd 2.10 (-Dwired) in a namespace with a
// real 802.1X login (wpa_supplicant -Dwired, FreeRADIUS), and a real Dropbear in the AP
// namespace reached from the root namespace over a veth. Dropbear reads the user's
// ~/.ssh/authorized_keys and has no option for another file in 2022.83, so it runs in a private
// mount namespace with a temp dir bind-mounted over /root (and a stand-in `ubus` bind-mounted
// over /usr/local/sbin, which is first in Dropbear's PATH for root). The ubus part is tested
// against that stand-in script, NOT against OpenWrt.
import { readFileSync } from 'node:fs';
import { appendFile, chmod, mkdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApEvent, PmksaAddParams } from '../../daemon/ports/ap-driver.js';
import {
  ApCommandError,
  CtrlSocketClient,
  CtrlSocketDriver,
  HostapdCliDriver,
  SshTransport,
  UbusDriver,
  UbusError,
  parseStaReply,
} from '../../adapters/hostapd/index.js';
import { startFreeRadius, type FreeRadiusHandle } from '../helpers/freeradius.js';
import { canUseNetns, makeTempDir, runChecked, type ManagedProcess, type TempDir } from '../helpers/netns.js';
import { createWiredTopology, renderHostapdWiredConf, runWiredSupplicant, type WiredTopology } from '../helpers/wired-8021x.js';

const STA = '02:00:00:00:00:41';
const SSH_PORT = 2222;
const PMKSA: PmksaAddParams = { staMac: STA, pmkid: Buffer.alloc(16, 0x11), pmk: Buffer.alloc(32, 0x5a), expirationS: 600, akmp: 1 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Children of a process (Dropbear forks one per connection), read from /proc. */
function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

const STAND_IN_UBUS = (dir: string, ifname: string) => `#!/bin/sh
# Stand-in for OpenWrt's ubus CLI (cli.c), NOT OpenWrt: output formats of cli.c and hostapd's ubus.c.
printf '%s %s\\n' "$3" "$4" >> ${dir}/calls.log
case "$1" in
call)
  [ "$2" = "hostapd.${ifname}" ] || { echo "Command failed: Not found" >&2; exit 4; }
  case "$3" in
    rrm_nr_set|rrm_beacon_req|bss_transition_request|del_client) ;;
    *) echo "Command failed: ubus call $2 $3 \${4:-} (Method not found)" >&2; exit 253 ;;
  esac ;;
subscribe)
  [ "$2" = "hostapd.${ifname}" ] || { echo "Error while registering for event '$2': Not found" >&2; exit 255; }
  exec tail -n +1 -f ${dir}/events.jsonl ;;
*) exit 1 ;;
esac
`;

describe.skipIf(!canUseNetns())('AP control transports against real hostapd and Dropbear', () => {
  let topo: WiredTopology;
  let radius: FreeRadiusHandle;
  let temp: TempDir;
  let hostapd: ManagedProcess;
  let dropbear: ManagedProcess;
  let ifname: string;
  let ctrlDir: string;
  let apIp: string;
  let hostKeyFp: string;
  let otherKeyFp: string;
  let clientKey: Buffer;
  const cleanup: Array<() => Promise<unknown> | undefined> = [];

  const startHostapd = async (): Promise<void> => {
    hostapd = topo.apNs.spawn('hostapd', ['-d', join(temp.path, 'hostapd.conf')]);
    await hostapd.waitForLine(/AP-ENABLED/, { timeoutMs: 15_000 });
  };
  const startDropbear = async (): Promise<void> => {
    const script = 'mount --bind "$1" /root && mount --bind "$2" /usr/local/sbin && exec dropbear -F -E -s -j -k -p "$3" -r "$4" -P "$5"';
    dropbear = topo.apNs.spawn('unshare', [
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      script,
      'sh',
      join(temp.path, 'home'),
      join(temp.path, 'bin'),
      `${apIp}:${SSH_PORT}`,
      join(temp.path, 'hostkey'),
      join(temp.path, 'dropbear.pid'),
    ]);
    for (let i = 0; i < 100; i++) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = connect(SSH_PORT, apIp, () => {
          s.destroy();
          resolve(true);
        });
        s.on('error', () => resolve(false));
      });
      if (ok) return;
      await sleep(50);
    }
    throw new Error(`dropbear did not listen:\n${dropbear.output()}`);
  };
  /** Kill Dropbear and every session it forked (all started by this test, killed by PID). */
  const killDropbear = async (): Promise<void> => {
    // Sessions first: they hold Dropbear's stdout/stderr, so stop() would wait for them forever.
    for (const pid of childPids(dropbear.pid))
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    await dropbear.stop(1000);
  };
  const transport = (pin = hostKeyFp): SshTransport => {
    const t = new SshTransport({
      apName: 'ap-test-1',
      host: apIp,
      port: SSH_PORT,
      privateKey: clientKey,
      hostKeySha256: pin,
      backoffMinMs: 100,
      backoffMaxMs: 1000,
      connectTimeoutMs: 5000,
    });
    cleanup.push(() => t.close());
    return t;
  };
  const fingerprint = async (keyFile: string): Promise<string> => {
    const pub = (await runChecked('dropbearkey', ['-y', '-f', keyFile])).split('\n').find((l) => l.startsWith('ssh-'))!;
    await writeFile(`${keyFile}.pub`, `${pub}\n`);
    return (await runChecked('ssh-keygen', ['-lf', `${keyFile}.pub`])).split(' ')[1]!; // "256 SHA256:… comment (ED25519)"
  };

  beforeAll(async () => {
    topo = await createWiredTopology({ staMac: STA });
    const up = topo.uplink!;
    apIp = up.apSide.ip;
    ifname = topo.apPort.ifname;
    radius = await startFreeRadius({ address: up.peerSide.ip, secret: 'ap-secret', clients: [{ address: apIp, secret: 'ap-secret' }] });
    temp = await makeTempDir('apctl');
    ctrlDir = join(temp.path, 'ctrl');
    await writeFile(
      join(temp.path, 'hostapd.conf'),
      renderHostapdWiredConf(
        {
          netns: topo.apNs,
          ifname,
          ownIpAddr: apIp,
          accounting: false,
          radius: { address: up.peerSide.ip, authPort: radius.authPort, acctPort: radius.acctPort, secret: 'ap-secret' },
        },
        ctrlDir,
      ),
    );
    await startHostapd();

    for (const d of ['home/.ssh', 'bin', 'ubus', 'local']) await mkdir(join(temp.path, d), { recursive: true, mode: 0o700 });
    await runChecked('dropbearkey', ['-t', 'ed25519', '-f', join(temp.path, 'hostkey')]);
    await runChecked('dropbearkey', ['-t', 'ed25519', '-f', join(temp.path, 'otherkey')]);
    await runChecked('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(temp.path, 'clientkey')]);
    hostKeyFp = await fingerprint(join(temp.path, 'hostkey'));
    otherKeyFp = await fingerprint(join(temp.path, 'otherkey'));
    clientKey = readFileSync(join(temp.path, 'clientkey'));
    await writeFile(join(temp.path, 'home/.ssh/authorized_keys'), readFileSync(join(temp.path, 'clientkey.pub')), { mode: 0o600 });
    const ubusDir = join(temp.path, 'ubus');
    await writeFile(join(temp.path, 'bin/ubus'), STAND_IN_UBUS(ubusDir, ifname));
    await chmod(join(temp.path, 'bin/ubus'), 0o755);
    await writeFile(join(ubusDir, 'events.jsonl'), '');
    await startDropbear();
  });

  afterAll(async () => {
    for (const f of cleanup.reverse()) await f();
    if (dropbear) await killDropbear();
    await hostapd?.stop();
    await radius?.stop();
    await topo?.destroy();
    await temp?.remove();
  });

  it('ctrl socket: PING, STATUS and ATTACH against hostapd 2.10', async () => {
    const c = new CtrlSocketClient({ path: join(ctrlDir, ifname), localDir: join(temp.path, 'local') });
    cleanup.push(() => c.close());
    expect(await c.request('PING')).toBe('PONG\n');
    expect(await c.request('STATUS')).toMatch(/^state=ENABLED$/m);
    await c.attach();
    expect(c.isAttached).toBe(true);
  });

  it('SSH: a pinned host key connects, a wrong pin is refused naming the AP and both fingerprints', async () => {
    const good = transport();
    await good.connect();
    expect(good.connected).toBe(true);
    const bad = transport(otherKeyFp);
    const err = await bad.connect().then(
      () => null,
      (e: Error) => e,
    );
    expect(err).toMatchObject({ code: 'host-key' });
    expect(err!.message).toContain('ap-test-1');
    expect(err!.message).toContain(hostKeyFp);
    expect(err!.message).toContain(otherKeyFp);
    expect(bad.connected).toBe(false);
    await bad.close();
  });

  it('SSH run(): output, exit codes, quoting, one command at a time, timeouts, and many at once', async () => {
    const t = transport();
    expect(await t.run('echo hello')).toEqual({ stdout: 'hello\n', stderr: '', exitCode: 0 });
    expect(await t.run('echo oops >&2; exit 7')).toEqual({ stdout: '', stderr: 'oops\n', exitCode: 7 });
    expect((await t.run(`printf '%s' "it's \\"quoted\\" $((6*7))"`)).stdout).toBe(`it's "quoted" 42`);
    expect((await t.run('if then')).exitCode).toBe(2); // a syntax error stays in its subshell
    expect((await t.run('head -c 1000000 /dev/zero | tr "\\0" x')).stdout.length).toBe(1_000_000);
    // Serialized: overlapping calls never interleave on the AP.
    const f = join(temp.path, 'order.log');
    await Promise.all(Array.from({ length: 20 }, (_, i) => t.run(`echo start ${i} >> ${f}; sleep 0.01; echo end ${i} >> ${f}`)));
    const lines = readFileSync(f, 'utf8').trim().split('\n');
    expect(lines).toEqual(Array.from({ length: 20 }, (_, i) => [`start ${i}`, `end ${i}`]).flat());
    // A command that outlives its timeout is killed with its shell; the next one still works.
    await expect(t.run('sleep 5', 300)).rejects.toMatchObject({ code: 'timeout' });
    expect((await t.run('echo after')).stdout).toBe('after\n');

    // Many commands at once: each caller gets its own command's answer, queued or awaited.
    // (How many per second is a benchmark's question, not a test's.)
    const n = 200;
    for (let i = 0; i < n; i++) expect((await t.run(`echo ${i}`)).stdout).toBe(`${i}\n`);
    const all = await Promise.all(Array.from({ length: n }, (_, i) => t.run(`echo ${i}`)));
    expect(all.map((r) => r.stdout)).toEqual(Array.from({ length: n }, (_, i) => `${i}\n`));
    // Through the hostapd_cli driver too: 50 PMKSA listings at once, each answered (empty: no WPA here).
    const hc = new HostapdCliDriver({ transport: t, ctrlDir, keepTransportOpen: true });
    const lists = await Promise.all(Array.from({ length: 50 }, () => hc.pmksaList(ifname)));
    expect(lists).toEqual(Array.from({ length: 50 }, () => []));
  });

  it('PMKSA_ADD on a wired (non-WPA) hostapd: hostapd 2.10 answers FAIL, and the error says so', async () => {
    const c = new CtrlSocketClient({ path: join(ctrlDir, ifname), localDir: join(temp.path, 'local') });
    cleanup.push(() => c.close());
    const line = `PMKSA_ADD ${STA} ${PMKSA.pmkid.toString('hex')} ${PMKSA.pmk.toString('hex')} 600 1`;
    expect(await c.request(line)).toBe('FAIL\n');
    expect(await c.request('PMKSA')).toBe(''); // no WPA authenticator, so not even the header
    for (const control of [
      new HostapdCliDriver({ transport: transport(), ctrlDir }),
      new CtrlSocketDriver({ ctrlDir, interfaces: [ifname], localDir: join(temp.path, 'local') }),
    ]) {
      cleanup.push(() => control.close());
      const err = await control.pmksaAdd(ifname, PMKSA).then(
        () => null,
        (e: Error) => e,
      );
      expect(err).toBeInstanceOf(ApCommandError);
      expect(err).toMatchObject({ reply: 'FAIL\n' });
      expect(err!.message).toMatch(new RegExp(`PMKSA_ADD for ${STA} refused, hostapd answered "FAIL"`));
      expect(err!.message).not.toContain(PMKSA.pmk.toString('hex'));
      // The listing that confirms a PMKSA_ADD: empty on a BSS without a WPA authenticator.
      expect(await control.pmksaList(ifname)).toEqual([]);
    }
  });

  it('a real wired 802.1X login gives AP-STA-CONNECTED over the ctrl socket and over SSH (hostapd_cli); DEAUTHENTICATE ends it', async () => {
    const seen = { socket: [] as ApEvent[], ssh: [] as ApEvent[], local: [] as ApEvent[] };
    const sock = new CtrlSocketClient({ path: join(ctrlDir, ifname), localDir: join(temp.path, 'local') });
    cleanup.push(() => sock.close());
    sock.on('event', (e: ApEvent) => seen.socket.push(e));
    await sock.attach();
    const overSsh = new HostapdCliDriver({ transport: transport(), ctrlDir });
    const local = new CtrlSocketDriver({ ctrlDir, interfaces: [ifname], localDir: join(temp.path, 'local') });
    cleanup.push(
      () => overSsh.close(),
      () => local.close(),
    );
    overSsh.subscribe((e) => seen.ssh.push(e));
    local.subscribe((e) => seen.local.push(e));
    await overSsh.startEvents([ifname]);
    await local.startEvents([ifname]);
    await sleep(1000); // hostapd_cli on the AP has to start and ATTACH

    const login = await runWiredSupplicant({ netns: topo.staNs, ifname: topo.staPort.ifname, caCertPath: radius.caCertPath });
    expect(login.success, login.logs.slice(-1500)).toBe(true);
    const want = { type: 'sta-connected', ifname, staMac: STA };
    for (const k of ['socket', 'ssh', 'local'] as const) {
      await expect.poll(() => seen[k].filter((e) => e.type === 'sta-connected'), { timeout: 10_000 }).toEqual([want]);
    }
    const sta = parseStaReply(await sock.request(`STA ${STA}`))!;
    expect(sta.addr).toBe(STA);
    expect(sta.flags).toContain('AUTHORIZED');
    expect(sta.fields.get('dot1xAuthSessionUserName')).toBe('anonymous'); // PEAP's outer identity

    // The disconnect member: hostapd deauthenticates the station, and every stream sees it leave.
    await overSsh.disconnect(ifname, { staMac: STA, reason: 3 });
    for (const k of ['socket', 'ssh', 'local'] as const) {
      await expect
        .poll(() => seen[k].filter((e) => e.type === 'sta-disconnected'), { timeout: 10_000 })
        .toEqual([{ type: 'sta-disconnected', ifname, staMac: STA }]);
    }
    // hostapd keeps the entry a while (for a reassociation), but no longer authorized.
    expect(parseStaReply(await sock.request(`STA ${STA}`))?.flags ?? []).not.toContain('AUTHORIZED');
  });

  it('hostapd restarts: the ctrl socket client re-attaches and the hostapd_cli stream reconnects', async () => {
    const sock = new CtrlSocketClient({ path: join(ctrlDir, ifname), localDir: join(temp.path, 'local'), heartbeatMs: 300 });
    const overSsh = new HostapdCliDriver({ transport: transport(), ctrlDir, cliPingIntervalS: 1 });
    cleanup.push(
      () => sock.close(),
      () => overSsh.close(),
    );
    const seen = { socket: [] as ApEvent[], ssh: [] as ApEvent[] };
    const cliStatus: string[] = [];
    sock.on('event', (e: ApEvent) => seen.socket.push(e));
    overSsh.subscribe((e) => seen.ssh.push(e));
    overSsh.on('status', (_if: string, line: string) => cliStatus.push(line));
    overSsh.on('raw-event', (_if: string, text: string) => cliStatus.push(text));
    await sock.attach();
    await overSsh.startEvents([ifname]);
    await sleep(1000);
    await hostapd.stop();
    await expect.poll(() => sock.connected, { timeout: 5000 }).toBe(false);
    await expect.poll(() => cliStatus, { timeout: 5000 }).toContain('CTRL-EVENT-TERMINATING');
    await startHostapd();
    await expect.poll(() => sock.connected, { timeout: 5000 }).toBe(true);
    // hostapd_cli (-G 1) sees the old hostapd gone and exits; the restarted stream ATTACHes again.
    await hostapd.waitForLine(/CTRL_IFACE monitor attached \/tmp\/wpa_ctrl_/, { timeoutMs: 15_000 });
    const login = await runWiredSupplicant({ netns: topo.staNs, ifname: topo.staPort.ifname, caCertPath: radius.caCertPath });
    expect(login.success).toBe(true);
    for (const k of ['socket', 'ssh'] as const) {
      await expect.poll(() => seen[k].some((e) => e.type === 'sta-connected' && e.staMac === STA), { timeout: 10_000 }).toBe(true);
    }
    expect(seen.socket.filter((e) => e.type === 'transport').map((e) => (e as { up: boolean }).up)).toEqual([false, true]);
  });

  it('UbusDriver over SSH, against a stand-in ubus script (not OpenWrt)', async () => {
    const ubusDir = join(temp.path, 'ubus');
    const u = new UbusDriver({ transport: transport(), ctrlDir });
    cleanup.push(() => u.close());
    const events: ApEvent[] = [];
    const bad: string[] = [];
    u.subscribe((e) => events.push(e));
    u.on('parse-error', (_e: Error, _if: string, line: string) => bad.push(line));
    const nr = Buffer.from('020000000700ef0900005109070603000900', 'hex');
    await u.setNeighbors(ifname, [{ bssid: '02:00:00:00:07:00', ssid: Buffer.from("it's kms"), nr }]);
    expect(await u.requestBeaconReport(ifname, STA, { opClass: 115, channel: 36, mode: 'active', durationTu: 100 })).toBe('sent');
    await u.bssTransitionRequest(ifname, { staMac: STA, candidates: [nr], disassocImminent: true, disassocTimerTbtt: 100 });
    await u.disconnect(ifname, { staMac: STA, reason: 5 });
    // The stand-in has no rrm_nr_get_own ("Method not found", as on an AP without rrm_neighbor_report).
    expect(await u.readNeighborDb(ifname)).toBeNull();
    expect(readFileSync(join(ubusDir, 'calls.log'), 'utf8').trim().split('\n')).toEqual([
      `rrm_nr_set {"list":[["02:00:00:00:07:00","it's kms","020000000700ef0900005109070603000900"]]}`,
      `rrm_beacon_req {"addr":"${STA}","mode":1,"op_class":115,"channel":36,"duration":100}`,
      `bss_transition_request {"addr":"${STA}","neighbors":["020000000700ef0900005109070603000900"],"disassociation_imminent":true,"disassociation_timer":100}`,
      `del_client {"addr":"${STA}","reason":5,"deauth":true,"ban_time":0}`,
      'rrm_nr_get_own', // (its trailing space trimmed with the file's end)
    ]);
    // ubus's exit status becomes a UbusError with the UBUS_STATUS_* code: an object that is not there (4).
    await expect(u.disconnect('wlan-none', { staMac: STA })).rejects.toMatchObject({ name: 'UbusError', exitCode: 4, status: 4 });
    await expect(u.disconnect('wlan-none', { staMac: STA })).rejects.toBeInstanceOf(UbusError);
    // ubus has no PMKSA method: this one goes through hostapd_cli to the real (wired) hostapd.
    await expect(u.pmksaAdd(ifname, PMKSA)).rejects.toMatchObject({ reply: 'FAIL\n' });

    await u.startEvents([ifname]);
    await sleep(500);
    await appendFile(
      join(ubusDir, 'events.jsonl'),
      [
        `{ "sta-authorized": {"address":"${STA}","vlan":100,"ifname":"${ifname}","auth-alg":"ft"} }`,
        `{ "probe": {"address":"${STA}","target":"ff:ff:ff:ff:ff:ff","signal":-37,"freq":5745} }`,
        '{ "beacon-report": {"address":"02:00:00:00:00:41","op-class":115,"channel":36,"start-time":5000000,"duration":100,"report-info":0,"rcpi":150,"rsni":255,"bssid":"02:00:00:00:07:00","antenna-id":0,"parent-tsf":1234} }',
        '{ "disassoc": {"address":"not-a-mac"} }',
        `{ "disassoc": {"address":"${STA}"} }`,
      ].join('\n') + '\n',
    );
    await expect
      .poll(() => events.filter((e) => e.type !== 'transport').map((e) => e.type), { timeout: 5000 })
      .toEqual(['sta-connected', 'beacon-report', 'sta-disconnected']);
    expect(events.find((e) => e.type === 'sta-connected')).toEqual({
      type: 'sta-connected',
      ifname,
      staMac: STA,
      vlanId: 100,
      authAlg: 'ft',
    });
    expect(events.find((e) => e.type === 'beacon-report')).toMatchObject({ token: null, reportMode: 0 });
    expect(bad).toEqual(['{ "disassoc": {"address":"not-a-mac"} }']);
  });

  it('Dropbear killed and restarted: transport down/up, the next command runs, streams restart, nothing left behind', async () => {
    const t = transport();
    const ups: boolean[] = [];
    t.on('transport', (e: ApEvent) => e.type === 'transport' && ups.push(e.up));
    await t.connect();
    const marker = `kms-tick-${process.pid}`;
    const ticks: string[] = [];
    t.stream(`sh -c 'while :; do echo ${marker}; sleep 0.1; done'`, (l) => ticks.push(l));
    await expect.poll(() => ticks.length, { timeout: 5000 }).toBeGreaterThan(2);
    const slow = t.run('sleep 3; echo never', 10_000).then(
      () => null,
      (e: Error) => e,
    );
    await sleep(200);
    await killDropbear();
    expect(await slow).toMatchObject({ code: 'connection-lost' });
    await expect.poll(() => ups, { timeout: 5000 }).toEqual([true, false]);
    await expect(t.run('echo queued', 300)).rejects.toMatchObject({ code: 'timeout' });
    await startDropbear();
    await expect.poll(() => ups, { timeout: 10_000 }).toEqual([true, false, true]);
    expect(await t.run('echo back')).toMatchObject({ stdout: 'back\n', exitCode: 0 });
    const before = ticks.length;
    await expect.poll(() => ticks.length, { timeout: 5000 }).toBeGreaterThan(before + 2);
    // The watchdog killed the stream's loop of the lost connection: one loop runs, not two.
    const running = await topo.apNs.run('pgrep', ['-f', `^sh -c while :; do echo ${marker}`]);
    expect(running.stdout.trim().split('\n').length).toBe(1);
  });
});
