// The lab's key-distribution timings without a VM: one run's logs, written in the formats hostapd -d -t
// and kmsd (pino) use in the guest (lines as captured from a kms-ft run), read back into the
// figures the roam table prints. The first-keys figure starts at the AP's receipt of the Accept.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { kmsTimings } from '../../../hw/vlab/kms-timings.js';
import type { GuestResult } from '../../../hw/vlab/job.js';

const STA = '02:00:00:00:04:00';
const T0 = 1796298509; // seconds: the guest's clock in the captured run

const hostapd = (ms: number, text: string) =>
  `${T0 + Math.floor(ms / 1000)}.${String(Math.round((ms % 1000) * 1000)).padStart(6, '0')}: ${text}`;
const kmsd = (ms: number, msg: string, extra = '') =>
  JSON.stringify({ level: 30, time: new Date(T0 * 1000 + ms).toISOString(), svc: 'kmsd', ...(extra ? JSON.parse(extra) : {}), msg });

const accept = (ms: number) =>
  hostapd(ms, `wlan0: STA ${STA} IEEE 802.1X: decapsulated EAP packet (code=3 id=168 len=4) from RADIUS server: EAP Success`);
const pushStored = (ms: number) => [hostapd(ms, `FT: S1KH-ID=${STA}`), hostapd(ms + 0.2, 'FT: PMK-R1 push - expires_in=3600')];

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function run(logs: Record<string, string[]>): ReturnType<typeof kmsTimings> {
  dir = mkdtempSync(join(tmpdir(), 'kms-timings-'));
  mkdirSync(join(dir, 'logs'));
  const files: Record<string, string> = {};
  for (const [name, lines] of Object.entries(logs)) {
    writeFileSync(join(dir, 'logs', `${name}.log`), `${lines.join('\n')}\n`);
    files[name] = `logs/${name}.log`;
  }
  const guest = { logs: files, macs: { sta1: STA } } as unknown as GuestResult;
  return kmsTimings(dir, guest, ['ap1', 'ap2', 'ap3'], true);
}

describe('lab key-distribution timings', () => {
  it("times first keys from the AP receiving the Access-Accept, not from kmsd's log line", () => {
    const t = run({
      kms: [kmsd(32, 'station learned', `{"sta":"${STA}"}`)],
      ap1: [hostapd(0, 'wlan0: RADIUS Received 190 bytes from RADIUS server'), accept(0.5)],
      ap2: pushStored(52),
      ap3: pushStored(54.5),
    });
    expect(t.pushStoredMs['sta1#1']).toEqual({ ap2: expect.closeTo(51.7, 1), ap3: expect.closeTo(54.2, 1) });
    expect(t.firstKeys).toHaveLength(1);
    expect(t.firstKeys[0]).toMatchObject({ station: 'sta1#1', acceptAp: 'ap1' });
    expect(t.firstKeys[0]!.learnedMs).toBeCloseTo(31.5, 0);
    expect(t.firstKeys[0]!.lastStoredMs).toBeCloseTo(54.2, 0);
    expect(t.lines.join('\n')).toMatch(/31\.5 ms after its Access-Accept at ap1; pushed PMK-R1 stored by ap2 \+51\.7 ms, ap3 \+54\.2 ms/);
    expect(t.lines.join('\n')).toMatch(/last neighbour: p50 54\.2 ms, max 54\.2 ms over 1 join\(s\)/);
  });

  it("takes each join's own Accept: the latest one at or before its line, and none from ten seconds earlier", () => {
    const t = run({
      kms: [kmsd(2, 'station learned', `{"sta":"${STA}"}`), kmsd(20_002, 'station learned', `{"sta":"${STA}"}`)],
      ap1: [accept(0)],
      ap2: [...pushStored(40), ...pushStored(20_030)],
    });
    expect(t.firstKeys.map((f) => f.station)).toEqual(['sta1#1']);
    expect(t.firstKeys[0]!.lastStoredMs).toBeCloseTo(40.2, 0);
    // The second join has no Accept in the logs within 10 s: its line says nothing of one.
    const joins = t.lines.filter((l) => l.startsWith('sta1 learned'));
    expect(joins).toHaveLength(2);
    expect(joins[0]).toMatch(/2\.0 ms after its Access-Accept at ap1; pushed PMK-R1 stored by ap2 \+40\.2 ms/);
    expect(joins[1]).toMatch(/no Access-Accept in the AP logs: times from 'station learned'; pushed PMK-R1 stored by ap2 \+28\.2 ms/);
  });

  it('counts a key stored before kmsd wrote its line: the join starts at the Accept', () => {
    const t = run({
      kms: [kmsd(30, 'station learned', `{"sta":"${STA}"}`)],
      ap1: [accept(0)],
      ap2: pushStored(12),
    });
    expect(t.pushStoredMs['sta1#1']).toEqual({ ap2: expect.closeTo(12.2, 1) });
    expect(t.firstKeys[0]!.lastStoredMs).toBeCloseTo(12.2, 0);
  });

  it('prints no first-keys figure when nothing was pushed', () => {
    const t = run({ kms: [kmsd(2, 'station learned', `{"sta":"${STA}"}`)], ap1: [accept(0)], ap2: [], ap3: [] });
    expect(t.firstKeys).toEqual([]);
    expect(t.lines.some((l) => l.startsWith('Access-Accept at the AP'))).toBe(false);
  });
});
