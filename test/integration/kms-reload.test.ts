import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { startFreeRadius, type FreeRadiusHandle } from '../helpers/freeradius.js';
import { startKms, metricValue, type KmsHandle } from '../helpers/kms.js';
import { exchange, papRequest } from '../helpers/radius-client.js';
import { Code } from '../../adapters/radius/codes.js';
import { canUseNetns } from '../helpers/netns.js';
import { createWiredTopology, startWiredAuthenticator, type WiredAuthenticator, type WiredTopology } from '../helpers/wired-8021x.js';

// kmsd's reload (SIGHUP) against the real daemon (dist/) and a real FreeRADIUS: clients added,
// removed and re-keyed take effect; requests forwarded before the swap are answered through the
// upstream state they were sent with; an invalid file is refused and the old configuration
// serves on; the log level changes on both threads; restart-only settings are named.

const UP = 'kms-to-aaa-secret';
type Config = Record<string, any>;

function editConfig(kms: KmsHandle, change: (c: Config) => void): void {
  const c = parse(readFileSync(kms.configPath, 'utf8')) as Config;
  change(c);
  writeFileSync(kms.configPath, stringify(c), { mode: 0o600 });
}

const RESULTS = ['applied', 'refused', 'failed'] as const;
async function reloadCounts(kms: KmsHandle): Promise<Record<(typeof RESULTS)[number], number>> {
  const m = await kms.metrics();
  return Object.fromEntries(RESULTS.map((r) => [r, metricValue(m, 'kms_config_reloads_total', { result: r })])) as never;
}

/** SIGHUP, then wait until the reload is counted (whatever the log level); returns its result. */
async function reload(kms: KmsHandle): Promise<(typeof RESULTS)[number]> {
  const before = await reloadCounts(kms);
  process.kill(kms.process.pid, 'SIGHUP');
  let result: (typeof RESULTS)[number] | undefined;
  await expect
    .poll(
      async () => {
        const now = await reloadCounts(kms);
        result = RESULTS.find((r) => now[r] > before[r]);
        return result;
      },
      { timeout: 15_000, interval: 50 },
    )
    .toBeDefined();
  return result!;
}

/** Lines of kmsd's output from mark `from` (marks count lines). */
const linesSince = (kms: KmsHandle, from: number) => kms.process.output().split('\n').slice(from);

const auth = (kms: KmsHandle) => ({ address: '127.0.0.1', port: kms.authPort });
let nextSta = 0;
const station = () => `02:00:00:00:e0:${(nextSta++ % 256).toString(16).padStart(2, '0')}`;
const pap = (secret: string) => papRequest({ secret, user: 'bob', password: 'hunter2hunter2', station: station() });
const dropped = async (kms: KmsHandle, reason: string) => metricValue(await kms.metrics(), 'kms_radius_dropped_total', { reason });

describe('kmsd reloads its configuration on SIGHUP', () => {
  let aaa: FreeRadiusHandle;
  let kms: KmsHandle;
  beforeAll(async () => {
    aaa = await startFreeRadius({ secret: UP });
    kms = await startKms({
      logLevel: 'info',
      clients: [
        { name: 'ap1', address: '127.0.0.1', secret: 'ap1-secret' },
        { name: 'ap3', address: '127.0.0.3', secret: 'ap3-secret' },
      ],
      // Long enough to outlast the pause of FreeRADIUS in the in-flight test: nothing is retried.
      upstreams: [
        { name: 'fr', address: '127.0.0.1', authPort: aaa.authPort, acctPort: aaa.acctPort, secret: UP, timeoutMs: 30_000, tries: 1 },
      ],
    });
  });
  afterAll(async () => {
    await kms?.stop();
    await aaa?.stop();
  });

  it('adds a client, removes one and changes a secret', async () => {
    expect((await exchange(auth(kms), pap('ap3-secret'), { source: '127.0.0.3' }))[0]?.[0]).toBe(Code.AccessAccept);
    const unknownBefore = await dropped(kms, 'unknown-client');
    const wrongSecretBefore = await dropped(kms, 'message-authenticator-invalid');
    const hashBefore = (await kms.api<{ config: { loaded: { sha256: string } } }>('/v1/health')).body.config.loaded.sha256;
    editConfig(kms, (c) => {
      c.radius.clients = [
        { name: 'ap1', address: '127.0.0.1', secret: 'ap1-new-secret' },
        { name: 'ap2', address: '127.0.0.2', secret: 'ap2-secret' },
      ];
    });
    const mark = kms.process.mark();
    expect(await reload(kms)).toBe('applied');
    // Log lines cross a pipe: wait for them rather than read what has arrived so far.
    await kms.process.waitForLine(/"changed":\["radius.clients"\].*configuration reloaded/, { since: mark, timeoutMs: 5000 });

    const added = await exchange(auth(kms), pap('ap2-secret'), { source: '127.0.0.2' });
    expect(added.map((r) => r[0])).toEqual([Code.AccessAccept]);
    expect(await exchange(auth(kms), pap('ap3-secret'), { source: '127.0.0.3', timeoutMs: 500 })).toEqual([]);
    expect(await dropped(kms, 'unknown-client')).toBe(unknownBefore + 1);
    expect(await exchange(auth(kms), pap('ap1-secret'), { timeoutMs: 500 })).toEqual([]);
    expect(await dropped(kms, 'message-authenticator-invalid')).toBe(wrongSecretBefore + 1);
    expect((await exchange(auth(kms), pap('ap1-new-secret')))[0]?.[0]).toBe(Code.AccessAccept);

    const health = (
      await kms.api<{ config: { loaded: { sha256: string; loadedAt: string }; lastReload: { result: string } } }>('/v1/health')
    ).body.config;
    expect(health.loaded.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(health.loaded.sha256).not.toBe(hashBefore);
    expect(health.lastReload.result).toBe('applied');
  });

  it('adds a prefix client, then a longer prefix inside it that takes its part', async () => {
    const from = (source: string, secret: string) =>
      exchange(auth(kms), pap(secret), { source, timeoutMs: 500 }).then((r) => r.map((x) => x[0]));
    expect(await from('127.30.1.1', 'lab-secret')).toEqual([]);
    editConfig(kms, (c) => {
      c.radius.clients.push({ name: 'lab', address: '127.30.0.0/16', secret: 'lab-secret' });
    });
    expect(await reload(kms)).toBe('applied');
    expect(await from('127.30.1.1', 'lab-secret')).toEqual([Code.AccessAccept]);
    editConfig(kms, (c) => {
      c.radius.clients.push({ name: 'lab-bench', address: '127.30.1.0/24', secret: 'bench-secret' });
    });
    expect(await reload(kms)).toBe('applied');
    expect(await from('127.30.1.1', 'lab-secret')).toEqual([]);
    expect(await from('127.30.1.1', 'bench-secret')).toEqual([Code.AccessAccept]);
    expect(await from('127.30.2.1', 'lab-secret')).toEqual([Code.AccessAccept]);
    const m = await kms.metrics();
    expect(metricValue(m, 'kms_radius_answered_total', { code: 'AccessAccept', ap: 'lab' })).toBe(2);
    expect(metricValue(m, 'kms_radius_answered_total', { code: 'AccessAccept', ap: 'lab-bench' })).toBe(1);
  });

  it('answers every request of a burst that runs across a SIGHUP replacing the upstream', async () => {
    const before = (await kms.api<{ radius: { inFlight: number } }>('/v1/health')).body.radius.inFlight;
    expect(before).toBe(0);
    // FreeRADIUS paused: requests reach the KMS, are forwarded, and wait in FreeRADIUS's socket.
    process.kill(aaa.pid, 'SIGSTOP');
    let answers: Promise<Buffer[]>[] = [];
    try {
      const send = (n: number) => Array.from({ length: n }, () => exchange(auth(kms), pap('ap1-new-secret'), { timeoutMs: 60_000 }));
      answers = send(40);
      await expect
        .poll(async () => (await kms.api<{ radius: { inFlight: number } }>('/v1/health')).body.radius.inFlight, {
          timeout: 15_000,
          interval: 50,
        })
        .toBe(40);
      // A new timeout makes "fr" a new upstream: the forwarded 40 stay with the old one.
      editConfig(kms, (c) => {
        c.radius.upstreams[0].timeoutMs = 29_000;
      });
      const mark = kms.process.mark();
      const reloaded = reload(kms);
      answers.push(...send(20)); // while the reload runs
      expect(await reloaded).toBe('applied');
      answers.push(...send(20)); // after it, to the new upstream
      const swap = await kms.process.waitForLine(/RADIUS clients and upstreams replaced/, { since: mark, timeoutMs: 5000 });
      const line = JSON.parse(swap.input.split('\n').find((l) => l.includes('RADIUS clients and upstreams replaced'))!) as {
        retired: string[];
        added: string[];
        inFlight: number;
      };
      expect(line.retired).toEqual(['fr']);
      expect(line.added).toEqual(['fr']);
      expect(line.inFlight).toBeGreaterThanOrEqual(40);
    } finally {
      process.kill(aaa.pid, 'SIGCONT');
    }
    const replies = await Promise.all(answers);
    expect(replies.map((r) => r.length)).toEqual(Array(80).fill(1));
    expect(replies.every((r) => r[0]![0] === Code.AccessAccept)).toBe(true);
    await expect
      .poll(async () => (await kms.api<{ radius: { inFlight: number } }>('/v1/health')).body.radius.inFlight, { timeout: 5000 })
      .toBe(0);
    const m = await kms.metrics();
    expect(metricValue(m, 'kms_radius_upstream_up', { upstream: 'fr' })).toBe(1);
    for (const reason of ['upstream-unknown-identifier', 'upstream-wrong-source', 'no-upstream-answer', 'upstream-identifiers-exhausted']) {
      expect(metricValue(m, 'kms_radius_dropped_total', { reason }), reason).toBe(0);
    }
  });

  it('refuses an invalid file, says which field and why, and keeps serving the old configuration', async () => {
    const good = readFileSync(kms.configPath, 'utf8');
    const hash = (await kms.api<{ config: { loaded: { sha256: string } } }>('/v1/health')).body.config.loaded.sha256;
    const counts = await reloadCounts(kms);
    editConfig(kms, (c) => {
      c.radius.clients[1].address = 'not-an-address';
      c.radius.clients[0].secret = 'would-lock-ap1-out';
    });
    let mark = kms.process.mark();
    expect(await reload(kms)).toBe('refused');
    await kms.process.waitForLine(/radius\.clients\[1\]\.address: expected an IPv4 or IPv6 address.*configuration reload refused/, {
      since: mark,
      timeoutMs: 5000,
    });

    // A secret file that cannot be read is refused the same way, before anything changes.
    editConfig(kms, (c) => {
      c.radius.clients[0].secret = { file: '/nonexistent/kms-secret' };
    });
    writeFileSync(kms.configPath, readFileSync(kms.configPath, 'utf8').replace('not-an-address', '127.0.0.2'));
    mark = kms.process.mark();
    expect(await reload(kms)).toBe('refused');
    await kms.process.waitForLine(/cannot read secret file \/nonexistent\/kms-secret.*configuration reload refused/, {
      since: mark,
      timeoutMs: 5000,
    });

    expect((await exchange(auth(kms), pap('ap1-new-secret')))[0]?.[0]).toBe(Code.AccessAccept);
    expect((await exchange(auth(kms), pap('ap2-secret'), { source: '127.0.0.2' }))[0]?.[0]).toBe(Code.AccessAccept);
    const health = (await kms.api<{ config: { loaded: { sha256: string }; lastReload: { result: string; error: string } } }>('/v1/health'))
      .body.config;
    expect(health.loaded.sha256).toBe(hash);
    expect(health.lastReload.result).toBe('refused');
    expect((await reloadCounts(kms)).refused).toBe(counts.refused + 2);
    expect(kms.process.isRunning()).toBe(true);
    writeFileSync(kms.configPath, good);
  });

  it('changes the log level on both threads', async () => {
    editConfig(kms, (c) => {
      c.log.level = 'error';
    });
    expect(await reload(kms)).toBe('applied');
    const quiet = kms.process.mark();
    // "station learned" is the main thread's info line; an unknown client is the RADIUS thread's warning.
    expect((await exchange(auth(kms), pap('ap1-new-secret')))[0]?.[0]).toBe(Code.AccessAccept);
    expect(await exchange(auth(kms), pap('x'), { source: '127.0.0.9', timeoutMs: 300 })).toEqual([]);
    await expect.poll(async () => (await kms.api<{ stations: number }>('/v1/health')).body.stations).toBeGreaterThan(0);

    editConfig(kms, (c) => {
      c.log.level = 'info';
    });
    expect(await reload(kms)).toBe('applied');
    const loud = kms.process.mark();
    // Up to the first line logged at the new level: the quiet period's lines are all before it.
    await kms.process.waitForLine(/configuration reloaded/, { since: quiet, timeoutMs: 5000 });
    const after = linesSince(kms, quiet);
    const quietPart = after.slice(
      0,
      after.findIndex((l) => l.includes('configuration reloaded')),
    );
    expect(quietPart.filter((l) => /station learned|RADIUS packet dropped|configuration reloaded/.test(l))).toEqual([]);
    // The control: the same two events are logged now.
    const sta = station();
    expect(
      (await exchange(auth(kms), papRequest({ secret: 'ap1-new-secret', user: 'bob', password: 'hunter2hunter2', station: sta })))[0]?.[0],
    ).toBe(Code.AccessAccept);
    await kms.process.waitForLine(new RegExp(`"sta":"${sta}".*station learned`), { since: loud, timeoutMs: 5000 });
    expect(await exchange(auth(kms), pap('x'), { source: '127.0.0.10', timeoutMs: 300 })).toEqual([]);
    await kms.process.waitForLine(/"thread":"radius".*"reason":"unknown-client".*RADIUS packet dropped/, { since: loud, timeoutMs: 5000 });
  });

  it('names each changed setting that needs a restart, applies the rest, and the old value stays', async () => {
    const apiPort = kms.apiPort;
    editConfig(kms, (c) => {
      c.api.port = apiPort + 1;
      c.radius.maxInFlight = 1000;
      c.radius.deadProbeIntervalS = 5;
    });
    const mark = kms.process.mark();
    expect(await reload(kms)).toBe('applied');
    const warn = await kms.process.waitForLine(/need a restart/, { since: mark, timeoutMs: 5000 });
    expect(warn.input).toMatch(/"level":40,.*"settings":\["api.port","radius.maxInFlight"\]/);
    await kms.process.waitForLine(/"changed":\["radius.deadProbeIntervalS"\].*configuration reloaded/, { since: mark, timeoutMs: 5000 });
    const m = await kms.metrics(); // still on the old port
    expect(metricValue(m, 'kms_config_restart_pending')).toBe(2);
    const health = (await kms.api<{ config: { lastReload: { restartNeeded: string[] } } }>('/v1/health')).body.config;
    expect(health.lastReload.restartNeeded).toEqual(['api.port', 'radius.maxInFlight']);
  });
});

// An AP added by reload gets its control channel: a real hostapd (-Dwired, in a namespace) over
// its ctrl socket. The proof is on hostapd's side: its debug log shows kmsd's event monitor
// attaching (from kmsd's socket directory for that AP) and, once the AP is removed, detaching.
// The pins of the same reload are in the KMS's RF graph. (-Dwired has no radio, so hostapd
// knows no 802.11k facts the KMS could list; neighbors-wired.test.ts covers those commands.)
describe.skipIf(!canUseNetns())('an AP added by reload', () => {
  const AP_MAC = '02:00:00:00:0d:00';
  const OTHER_BSSID = '02:00:00:00:0e:00';
  /** kmsd binds its end of AP ap1's ctrl socket in <stateDir>/ctrl/ap1/; hostapd logs the peer's path. */
  const KMS_SOCKET_DIR = `${'/state/ctrl/ap1/'}kms-`;
  let topo: WiredTopology;
  let aaa: FreeRadiusHandle;
  let kms: KmsHandle;
  let ap: WiredAuthenticator;
  const other = {
    name: 'ap0',
    nasIdentifier: 'ap0.reload.test',
    radiusClient: 'ap0',
    rrbKey: 'a0'.repeat(32),
    bsses: [{ ifname: 'wlan0', bssid: OTHER_BSSID }],
    neighbors: [] as string[],
  };

  beforeAll(async () => {
    topo = await createWiredTopology({ apMac: AP_MAC });
    const uplink = topo.uplink!;
    aaa = await startFreeRadius({ secret: UP });
    kms = await startKms({
      listenAddress: uplink.peerSide.ip,
      clients: [{ name: 'ap0', address: '127.0.0.1', secret: 'ap0-secret' }],
      upstreams: [{ name: 'fr', address: '127.0.0.1', authPort: aaa.authPort, acctPort: aaa.acctPort, secret: UP }],
      distribution: {
        ssid: 'reload',
        mobilityDomain: 'b1b2',
        kmsRadiusAddress: uplink.peerSide.ip,
        rrb: { interface: uplink.peerSide.ifname },
        neighbors: { enabled: true, tickS: 1 },
        aps: [other],
      },
    });
    ap = await startWiredAuthenticator({
      netns: topo.apNs,
      ifname: topo.apPort.ifname,
      ownIpAddr: uplink.apSide.ip,
      nasIdentifier: 'ap1.reload.test',
      radius: { address: uplink.peerSide.ip, authPort: kms.authPort, acctPort: kms.acctPort, secret: 'ap1-secret' },
      extraConfig: ['rrm_neighbor_report=1'],
    });
  });
  afterAll(async () => {
    await ap?.stop();
    await kms?.stop();
    await aaa?.stop();
    await topo?.destroy();
  });

  it('opens its control channel (hostapd sees kmsd attach), with the pins of the same reload', async () => {
    const controlUp = async () => metricValue(await kms.metrics(), 'kms_ap_control_up', { ap: 'ap1' });
    expect(await controlUp()).toBe(0);
    const hostapdMark = ap.logMark();
    editConfig(kms, (c) => {
      c.radius.clients.push({ name: 'ap1', address: topo.uplink!.apSide.ip, secret: 'ap1-secret' });
      c.distribution.aps = [
        { ...other, neighbors: ['ap1'] },
        {
          name: 'ap1',
          nasIdentifier: 'ap1.reload.test',
          radiusClient: 'ap1',
          rrbKey: 'a1'.repeat(32),
          neighbors: ['ap0'],
          control: { kind: 'ctrl-socket', ctrlDir: ap.ctrlDir },
          bsses: [{ ifname: topo.apPort.ifname, bssid: AP_MAC }],
        },
      ];
    });
    const mark = kms.process.mark();
    expect(await reload(kms)).toBe('applied');
    await kms.process.waitForLine(/"aps":\{"added":\["ap1"\],"removed":\[\],"changed":\["ap0"\]\}.*configuration reloaded/, {
      since: mark,
      timeoutMs: 5000,
    });
    await expect.poll(controlUp, { timeout: 15_000, interval: 100 }).toBe(1);
    await ap.waitForLog(new RegExp(`CTRL_IFACE monitor attached \\S*${KMS_SOCKET_DIR}`), 15_000, hostapdMark);
    const api = await kms.api<{ aps: { name: string; neighbors: { ap: string; pinned: boolean }[] }[] }>('/v1/neighbors');
    expect(api.body.aps.find((a) => a.name === 'ap1')?.neighbors).toMatchObject([{ ap: 'ap0', pinned: true }]);
  });

  it('closes the channel of an AP the reload removes', async () => {
    editConfig(kms, (c) => {
      c.distribution.aps = [other];
    });
    const mark = kms.process.mark();
    const hostapdMark = ap.logMark();
    expect(await reload(kms)).toBe('applied');
    await kms.process.waitForLine(/"aps":\{"added":\[\],"removed":\["ap1"\]/, { since: mark, timeoutMs: 5000 });
    await ap.waitForLog(new RegExp(`CTRL_IFACE monitor detached \\S*${KMS_SOCKET_DIR}`), 15_000, hostapdMark);
    expect((await kms.metrics()).split('\n').filter((l) => l.startsWith('kms_ap_control_up{ap="ap1"}'))).toEqual([]);
    const api = await kms.api<{ aps: { name: string; neighbors: { ap: string }[] }[] }>('/v1/neighbors');
    expect(api.body.aps.find((a) => a.name === 'ap0')?.neighbors).toEqual([]);
  });
});
