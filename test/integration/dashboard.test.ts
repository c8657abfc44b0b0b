import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { startFreeRadius, type FreeRadiusHandle } from '../helpers/freeradius.js';
import { runEapolTest, calledStationId } from '../helpers/eapol-test.js';
import { startKms, type KmsHandle } from '../helpers/kms.js';
import { canUseNetns, createNetns, createVeth, runChecked, type Netns, type VethPair } from '../helpers/netns.js';
import { launchChromium } from '../helpers/chromium.js';
import { AKM, derivePmkR0, derivePmkR1 } from '../../daemon/keys/index.js';
import { macToBytes } from '../../daemon/common/mac.js';
import type { ApStatusView } from '../../daemon/api/views.js';

// The dashboard end to end: a real kmsd (key distribution over a veth segment, RF discovery, roam
// observation) in front of a real FreeRADIUS, a station joined with a real eapol_test login, and
// headless Chromium signing in through the page and opening every view. The roam source is the
// stand-in `tcpdump` of kms-roams.test.ts playing a capture the virtual lab recorded (this host
// has no radio): its station and BSSIDs are the ones configured here.

const SSID = 'kms-lab';
const STA = '02:00:00:00:02:00'; // the station in test/fixtures/pcap/roam-ft.pcap
const OTHER_STA = '02:00:00:00:07:00';
const BSSIDS = { ap1: '02:00:00:00:00:00', ap2: '02:00:00:00:01:00', ap3: '02:00:00:00:05:00', ap4: '02:00:00:00:06:00' };
const FIXTURE = new URL('../fixtures/pcap/roam-ft.pcap', import.meta.url).pathname;
const SHOTS = new URL('../../docs/screenshots/', import.meta.url).pathname;

/** expect.poll belongs in tests; set-up waits with this. */
async function waitFor(what: string, ok: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!canUseNetns())('the web dashboard', () => {
  let ns: Netns;
  let link: VethPair;
  let aaa: FreeRadiusHandle;
  let kms: KmsHandle;
  let browser: BrowserContext;
  let page: Page;
  let base: string;
  /** Hex of every key the station's login produced: none may reach the page. */
  const secrets: string[] = [];
  let pmkR0Name = '';
  const requests: string[] = [];
  const cspErrors: string[] = [];

  beforeAll(async () => {
    ns = await createNetns('dash');
    await ns.run('ip', ['link', 'add', 'br0', 'type', 'bridge']);
    await ns.run('ip', ['link', 'set', 'br0', 'up']);
    link = await createVeth({ netns: ns }, { netns: null, mac: '02:00:00:00:09:00' });
    await runChecked('ip', ['-n', ns.name, 'link', 'set', link.a.ifname, 'master', 'br0']);

    const bin = mkdtempSync(join(tmpdir(), 'kms-fake-tcpdump-'));
    writeFileSync(join(bin, 'tcpdump'), `#!/bin/sh\ncat ${FIXTURE}\nexec sleep 3600\n`);
    chmodSync(join(bin, 'tcpdump'), 0o755);
    const emptyCtrl = mkdtempSync(join(tmpdir(), 'kms-no-hostapd-'));

    aaa = await startFreeRadius({ secret: 'aaa' });
    const ap = (n: 1 | 2 | 3 | 4, neighbors: string[], control: Record<string, unknown> = { kind: 'none' }) => ({
      name: `ap${n}`,
      nasIdentifier: `ap${n}.example.com`,
      radiusClient: `ap${n}`,
      rrbKey: `a${n}`.repeat(32),
      bsses: [{ ifname: 'wlan0', bssid: BSSIDS[`ap${n}`] }],
      neighbors,
      control,
    });
    kms = await startKms({
      clients: [1, 2, 3, 4].map((n) => ({ name: `ap${n}`, address: `127.0.0.${n}`, secret: 'ap-secret' })),
      upstreams: [{ name: 'freeradius', address: '127.0.0.1', authPort: aaa.authPort, acctPort: aaa.acctPort, secret: 'aaa' }],
      distribution: {
        ssid: SSID,
        mobilityDomain: 'a1b2',
        kmsRadiusAddress: '127.0.0.1',
        rrb: { interface: link.b.ifname },
        keyLifetimeS: 1800,
        neighbors: { enabled: true },
        // ap4's hostapd is not running: its control channel is down and its placements queue.
        aps: [ap(1, ['ap2', 'ap3', 'ap4']), ap(2, ['ap1']), ap(3, ['ap1']), ap(4, ['ap1'], { kind: 'ctrl-socket', ctrlDir: emptyCtrl })],
      },
      roams: { sources: [{ kind: 'monitor', interface: 'mon0' }], slowFtMs: 20 },
      env: { PATH: `${bin}:${process.env.PATH}` },
    });
    base = `http://127.0.0.1:${kms.apiPort}`;

    const r = await runEapolTest({
      server: { address: '127.0.0.1', port: kms.authPort, secret: 'ap-secret' },
      identity: 'alice',
      password: 'password',
      caCertPath: aaa.caCertPath,
      nasIdentifier: 'ap1.example.com',
      calledStationId: calledStationId(BSSIDS.ap1, SSID),
      stationMac: STA,
      mobilityDomainId: 'a1b2',
      akmSuite: AKM.FT_IEEE8021X,
      pairwiseCipher: 0x000fac04,
    });
    if (!r.success) throw new Error(`eapol_test failed through the KMS:\n${r.stdout.slice(-2000)}\n--- kmsd:\n${kms.logs().slice(-2000)}`);
    const r0 = derivePmkR0({
      xxKey: r.msk!.subarray(32),
      ssid: Buffer.from(SSID),
      mdid: Buffer.from('a1b2', 'hex'),
      r0khId: Buffer.from('ap1.example.com'),
      s0khId: macToBytes(STA),
    });
    pmkR0Name = r0.pmkR0Name.toString('hex');
    for (const k of [
      r.msk!,
      r.msk!.subarray(0, 32),
      r.msk!.subarray(32),
      r0.pmkR0,
      ...Object.values(BSSIDS).map((b) => derivePmkR1(r0.pmkR0, macToBytes(b), macToBytes(STA))),
    ]) {
      secrets.push(k.toString('hex'), k.subarray(0, 16).toString('hex'));
    }
    // A second station (TTLS, WPA2-EAP, joined at ap2) so the list has more than one row.
    const bob = await runEapolTest({
      server: { address: '127.0.0.1', port: kms.authPort, secret: 'ap-secret' },
      method: 'TTLS',
      identity: 'bob',
      password: 'hunter2hunter2',
      caCertPath: aaa.caCertPath,
      nasIdentifier: 'ap2.example.com',
      calledStationId: calledStationId(BSSIDS.ap2, SSID),
      stationMac: OTHER_STA,
      akmSuite: AKM.IEEE8021X,
      pairwiseCipher: 0x000fac04,
    });
    if (!bob.success) throw new Error(`eapol_test (bob) failed through the KMS:\n${bob.stdout.slice(-2000)}`);
    secrets.push(bob.msk!.toString('hex'), bob.msk!.subarray(0, 32).toString('hex'), bob.msk!.subarray(0, 16).toString('hex'));
    // the roams of the capture are in, and ap1's neighbours hold placements
    await waitFor('the two roams of the capture', async () => (await kms.api<{ roams: unknown[] }>('/v1/roams')).body.roams.length === 2);
    await waitFor(
      "placements on ap1's neighbours",
      async () => (await kms.api<{ placements: unknown[] }>(`/v1/stations/${STA}/placements`)).body.placements.length >= 3,
    );

    browser = await launchChromium();
    page = await browser.newPage();
    page.on('request', (req) => requests.push(req.url()));
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) cspErrors.push(m.text());
    });
    mkdirSync(SHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await kms?.stop();
    await aaa?.stop();
    await link?.destroy();
    await ns?.destroy();
  });

  /** The whole page as the browser has it (markup and text), which must never hold key material. */
  async function assertNoKeys(): Promise<void> {
    const html = (await page.content()).toLowerCase();
    const text = (await page.evaluate(() => document.body.textContent)).toLowerCase();
    for (const s of secrets) {
      expect(html.includes(s), `key hex ${s.slice(0, 8)}… in the page`).toBe(false);
      expect(text.includes(s)).toBe(false);
    }
    expect(html.includes(kms.token)).toBe(false);
  }

  async function open(hash: string, ready: string, shot: string): Promise<void> {
    await page.goto(`${base}/ui/${hash}`);
    await page.waitForSelector(ready, { timeout: 30_000 });
    await page.screenshot({ path: join(SHOTS, `${shot}.png`), fullPage: true });
    await assertNoKeys();
  }

  it('serves the page with its security headers, and the API still wants the token', async () => {
    const res = await fetch(`${base}/ui/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toMatch(/default-src 'self'/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await res.text();
    expect(html).not.toMatch(/<script>|<script(?![^>]*\bsrc=)[^>]*>|\son\w+=|style=/); // no inline script, handler or style
    expect((await fetch(`${base}/`, { redirect: 'manual' })).headers.get('location')).toBe('/ui/');
    // only the files of web/ are served: no path from the URL reaches the file system
    expect((await fetch(`${base}/ui/%2e%2e/package.json`)).status).not.toBe(200); // fetch makes it /package.json: 401
    expect((await fetch(`${base}/ui/..%2fkms.yaml`)).status).toBe(404);
    expect((await fetch(`${base}/ui/app.js`)).headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await fetch(`${base}/v1/stations`)).status).toBe(401);
    expect((await fetch(`${base}/v1/aps`)).status).toBe(401);
  });

  it('GET /v1/aps: control channel, queued work and neighbours of each AP', async () => {
    const { status, body } = await kms.api<{ aps: ApStatusView[] }>('/v1/aps');
    expect(status).toBe(200);
    const byName = new Map(body.aps.map((a) => [a.name, a]));
    expect(byName.get('ap1')).toMatchObject({
      nasIdentifier: 'ap1.example.com',
      bsses: [{ ifname: 'wlan0', bssid: BSSIDS.ap1 }],
      control: { kind: 'none', up: null },
    });
    expect(byName.get('ap1')!.neighbors).toEqual(expect.arrayContaining(['ap2', 'ap3', 'ap4']));
    expect(byName.get('ap4')!.control).toMatchObject({ kind: 'ctrl-socket', up: false });
    expect(JSON.stringify(body)).not.toMatch(/rrbKey|a1a1a1a1/);
  });

  it('a wrong token is rejected at the login page', async () => {
    await page.goto(`${base}/ui/`);
    await page.waitForSelector('#login:not([hidden])');
    await page.screenshot({ path: join(SHOTS, 'login.png') });
    await page.fill('#token', 'not-the-token');
    await page.click('button[type=submit]');
    await expect.poll(() => page.textContent('#login-error')).toMatch(/Token rejected/);
    expect(await page.isHidden('#app')).toBe(true);
    expect(await page.evaluate(() => sessionStorage.getItem('kms-token'))).toBeNull();
  });

  it('signs in with the token and lists the station; search filters', async () => {
    await page.fill('#token', kms.token);
    await page.click('button[type=submit]');
    await page.waitForSelector(`#view a:text("${STA}")`, { timeout: 30_000 });
    expect(await page.locator('#view tbody tr').count()).toBe(2);
    expect(page.url()).not.toContain(kms.token);
    await page.fill('#station-search', STA.slice(0, 14)); // part of the MAC
    await expect.poll(() => page.locator('#view tbody tr').count()).toBe(1);
    await page.fill('#station-search', 'nobody-like-this');
    await expect.poll(() => page.textContent('#view')).toContain('no station matches');
    await page.fill('#station-search', '');
    await page.screenshot({ path: join(SHOTS, 'stations.png'), fullPage: true });
    await assertNoKeys();
  });

  it('one station: its record, PMKR0Name, placements and roams, and no key', async () => {
    await open(`#/station/${STA}`, '#pmkr0name', 'station');
    expect(await page.textContent('#pmkr0name')).toBe(pmkR0Name);
    const view = (await page.textContent('#view'))!;
    expect(view).toContain(STA);
    expect(view).toContain('FT-EAP');
    expect(view).toMatch(/ap2[\s\S]*FT \(PMKR1Name\)/);
    // A PUSH is "sent": hostapd acknowledges nothing.
    expect(view).toMatch(/FT \(PMKR1Name\)[0-9a-f]{32}sent/); // key name cell, then the state cell
    expect(view).toContain('ft-over-air');
  });

  it('APs: control channel up/down, queued work, neighbours', async () => {
    await open('#/aps', '.tile', 'aps');
    const row = (name: string) =>
      page
        .locator('#view tbody tr')
        .filter({ has: page.locator('td strong', { hasText: new RegExp(`^${name}$`) }) })
        .textContent();
    expect(await row('ap4')).toMatch(/down/);
    const ap1 = await row('ap1');
    expect(ap1).toContain('not configured');
    for (const n of ['ap2', 'ap3', 'ap4']) expect(ap1).toContain(n);
  });

  it('RF graph: every AP drawn, hover shows details, wheel zooms', async () => {
    await open('#/graph', '#rf-graph .node', 'graph');
    expect(await page.locator('#rf-graph .node').count()).toBe(4);
    expect(await page.locator('#rf-graph .edge').count()).toBeGreaterThanOrEqual(3);
    await page.hover('#rf-graph .node[data-ap="ap1"] circle');
    await expect.poll(() => page.textContent('#graph-details')).toMatch(/ap1[\s\S]*ap2/);
    const before = await page.getAttribute('#rf-graph', 'viewBox');
    await page.mouse.wheel(0, -300);
    await expect.poll(() => page.getAttribute('#rf-graph', 'viewBox')).not.toBe(before);
    await page.click('button:text("Fit")');
    await page.hover('#rf-graph .node[data-ap="ap1"] circle');
    await page.screenshot({ path: join(SHOTS, 'graph.png'), fullPage: true });
  });

  it('roam timeline: method, EAP frames, duration; the slow roam stands out', async () => {
    await open('#/roams', '#view tbody tr', 'roams');
    const slow = page.locator('#view tbody tr.slow');
    expect(await slow.count()).toBe(1);
    expect(await slow.textContent()).toMatch(/ft-over-air\s*slow.*\d+\.\d ms/);
    // the join: EAP frames counted (the FT roam has none)
    const initial = (await page.locator('#view tbody tr:not(.slow)').textContent())!;
    expect(initial).toMatch(/initial.*ms\s*[1-9]\d*\s*\d+/);
  });

  it('health, with a place for cluster members', async () => {
    await open('#/health', '#view dl', 'health');
    const view = (await page.textContent('#view'))!;
    expect(view).toMatch(/Status\s*ok/);
    expect(view).toContain('freeradius');
    expect(view).toContain('Cluster members');
  });

  it('loaded nothing from anywhere but kmsd, and broke no CSP rule', () => {
    expect(requests.length).toBeGreaterThan(10);
    for (const u of requests) expect(new URL(u).origin).toBe(base);
    expect(requests.some((u) => u.includes(kms.token))).toBe(false);
    expect(cspErrors).toEqual([]);
    expect(
      readdirSync(SHOTS)
        .filter((f) => f.endsWith('.png'))
        .sort(),
    ).toEqual(expect.arrayContaining(['aps.png', 'graph.png', 'health.png', 'login.png', 'roams.png', 'station.png', 'stations.png']));
    expect(kms.logs().includes(kms.token)).toBe(false);
  });

  it('the web files refer to no other origin', () => {
    const root = new URL('../../web/', import.meta.url).pathname;
    const walk = (d: string): string[] =>
      readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
    for (const f of walk(root)) expect(readFileSync(f, 'utf8'), f).not.toMatch(/https?:\/\/|\/\/[a-z0-9-]+\.[a-z]{2,}\//i);
  });
});
