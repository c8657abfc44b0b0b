import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, chmodSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFreeRadius, type FreeRadiusHandle } from '../helpers/freeradius.js';
import { startKms, metricValue, type KmsHandle } from '../helpers/kms.js';
import type { RoamEvent } from '../../daemon/roams/roam-event.js';

// kmsd watching the air: a roams source reads a monitor interface with tcpdump. This host has no
// radio (the virtual lab has one), so a stand-in `tcpdump` on kmsd's PATH plays a capture the lab
// recorded (an FT roam ap1 -> ap2) as if it came from the monitor interface: the one fault-free
// stand-in in this file, for hardware the host does not have.

const FIXTURE = new URL('../fixtures/pcap/roam-ft.pcap', import.meta.url).pathname;

describe('kmsd roam observation', () => {
  let aaa: FreeRadiusHandle;
  let kms: KmsHandle;
  let argsFile: string;

  beforeAll(async () => {
    const bin = mkdtempSync(join(tmpdir(), 'kms-fake-tcpdump-'));
    argsFile = join(bin, 'args');
    writeFileSync(join(bin, 'tcpdump'), `#!/bin/sh\necho "$@" > ${argsFile}\ncat ${FIXTURE}\nexec sleep 3600\n`);
    chmodSync(join(bin, 'tcpdump'), 0o755);
    aaa = await startFreeRadius({ secret: 'aaa' });
    kms = await startKms({
      clients: [{ name: 'ap1', address: '127.0.0.1', secret: 'ap' }],
      upstreams: [{ name: 'fr', address: '127.0.0.1', authPort: aaa.authPort, acctPort: aaa.acctPort, secret: 'aaa' }],
      roams: { sources: [{ kind: 'monitor', interface: 'mon0' }], slowFtMs: 20 },
      env: { PATH: `${bin}:${process.env.PATH}` },
    });
  });
  afterAll(async () => {
    await kms?.stop();
    await aaa?.stop();
  });

  it('serves the roams it saw at GET /v1/roams, with metrics and a log line', async () => {
    await expect.poll(async () => (await kms.api<{ roams: RoamEvent[] }>('/v1/roams')).body.roams.length, { timeout: 8000 }).toBe(2);
    const { body } = await kms.api<{ roams: RoamEvent[]; stats: unknown }>('/v1/roams?sta=02:00:00:00:02:00');
    const ft = body.roams.find((r) => r.method === 'ft-over-air')!;
    expect(ft).toMatchObject({ fromBssid: '02:00:00:00:00:00', toBssid: '02:00:00:00:01:00', eapFrames: 0, slow: true });
    expect(ft.durationMs).toBeCloseTo(34.8, 0);
    const m = await kms.metrics();
    expect(metricValue(m, 'kms_roams_total', { method: 'ft-over-air' })).toBe(1);
    expect(metricValue(m, 'kms_roams_slow_total', { method: 'ft-over-air' })).toBe(1);
    expect(kms.logs()).toMatch(/"method":"ft-over-air".*"msg":"roam"/);
    expect((await kms.api('/v1/roams?sta=nope')).status).toBe(400);
    // kmsd asked for the configured interface, unbuffered pcap on stdout
    expect(readFileSync(argsFile, 'utf8')).toMatch(/-i mon0\b.*-w -/);
  });
});
