import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { analyseCaptureFile, watchCaptureSource } from '../../adapters/pcap/roam-analysis.js';
import { tcpdumpSource } from '../../adapters/pcap/index.js';
import { RoamTracker, type RoamEvent } from '../../daemon/roams/roam-tracker.js';
import { RoamLog } from '../../daemon/roams/roam-log.js';

// The lab's real captures (test/fixtures/pcap, cut from `npm run lab` runs): every roam must be
// classified as it happened, and timed within 5 ms of the frames picked out by hand. Each capture
// has a JSON next to it with, per roam, the start and end frame (number, capture time and the tshark
// display filter that found it, per daemon/roams/README.md) and the station's own wpa_supplicant
// event times from the same run, on the same guest clock.

const FIX = new URL('../fixtures/pcap/', import.meta.url).pathname;
const TOLERANCE_MS = 5;

interface HandRoam {
  sta: string;
  fromBssid: string | null;
  toBssid: string;
  method: string;
  auth: string;
  eapFrames: number;
  trigger?: string;
  startFrame: { frame: number; ts: number; filter: string };
  endFrame: { frame: number; ts: number; filter: string };
  durationMs: number;
  wpaSupplicant: { start: { ts: number; line: string }; end: { ts: number; line: string } };
}
interface Fixture {
  capture: string;
  scenario: string;
  roams: HandRoam[];
}

/**
 * Record timestamps by frame number, read with a walker of its own (classic pcap, little-endian,
 * µs): independent of adapters/pcap, so a reader bug cannot hide itself.
 */
function frameTimes(path: string): number[] {
  const b = readFileSync(path);
  expect(b.readUInt32LE(0)).toBe(0xa1b2c3d4);
  const times = [NaN]; // frame numbers start at 1
  for (let off = 24; off + 16 <= b.length; off += 16 + b.readUInt32LE(off + 8))
    times.push(b.readUInt32LE(off) * 1000 + b.readUInt32LE(off + 4) / 1000);
  return times;
}

const fixtures = readdirSync(FIX)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => ({ name: f.replace(/\.json$/, ''), doc: JSON.parse(readFileSync(FIX + f, 'utf8')) as Fixture }));

describe('roams in the lab captures', () => {
  it('has the baselines and the KMS-relevant cases', () => {
    expect(fixtures.map((f) => f.name).sort()).toEqual(
      ['explore-signal-btm', 'peap-join-wrong-password', 'roam-ft', 'roam-ft-ds', 'roam-ft-fallback', 'roam-full-eap'].sort(),
    );
    const methods = new Set(fixtures.flatMap((f) => f.doc.roams.map((r) => r.method)));
    expect([...methods].sort()).toEqual(['failed', 'ft-over-air', 'ft-over-ds', 'full-eap', 'initial', 'pmksa']);
  });

  describe.each(fixtures)('$name', ({ doc }) => {
    it('every roam classified as it happened, timed within 5 ms of its frames, consistent with wpa_supplicant', async () => {
      const a = await analyseCaptureFile(FIX + doc.capture);
      const times = frameTimes(FIX + doc.capture);
      expect(a.decode.malformedTotal).toBe(0);
      expect(a.roams.map((r) => [r.method, r.fromBssid, r.toBssid])).toEqual(doc.roams.map((r) => [r.method, r.fromBssid, r.toBssid]));
      a.roams.forEach((got, i) => {
        const hand = doc.roams[i]!;
        const what = `${doc.capture} roam ${i + 1} (${hand.method} ${hand.fromBssid ?? '-'} → ${hand.toBssid})`;
        expect({ sta: got.sta, auth: got.auth, eapFrames: got.eapFrames, trigger: got.trigger }, what).toEqual({
          sta: hand.sta,
          auth: hand.auth,
          eapFrames: hand.eapFrames,
          trigger: hand.trigger,
        });
        // The by-hand frames really have those times in the file...
        const start = times[hand.startFrame.frame]!;
        const end = times[hand.endFrame.frame]!;
        expect(Math.abs(start - hand.startFrame.ts), `${what} start frame`).toBeLessThan(0.01);
        expect(Math.abs(end - hand.endFrame.ts), `${what} end frame`).toBeLessThan(0.01);
        // ...and the tracker's clock starts and stops there.
        expect(Math.abs(got.startTs - start), `${what} start`).toBeLessThanOrEqual(TOLERANCE_MS);
        expect(Math.abs(got.endTs - end), `${what} end`).toBeLessThanOrEqual(TOLERANCE_MS);
        expect(Math.abs(got.durationMs - (end - start)), `${what} duration`).toBeLessThanOrEqual(TOLERANCE_MS);
        // wpa_supplicant decides to start before the first frame leaves and reports the outcome after
        // the last one arrives: its interval contains ours (same clock, 5 ms slack).
        const w = hand.wpaSupplicant;
        expect(got.startTs, `${what} vs "${w.start.line}"`).toBeGreaterThanOrEqual(w.start.ts - TOLERANCE_MS);
        expect(got.endTs, `${what} vs "${w.end.line}"`).toBeLessThanOrEqual(w.end.ts + TOLERANCE_MS);
        expect(got.durationMs).toBeLessThanOrEqual(w.end.ts - w.start.ts + TOLERANCE_MS);
      });
    });
  });

  it('pcapng gives the same roams as pcap', async () => {
    const a = await analyseCaptureFile(`${FIX}roam-full-eap.pcap`);
    const b = await analyseCaptureFile(`${FIX}roam-full-eap.pcapng`);
    expect(b.capture.format).toBe('pcapng');
    expect(b.roams).toEqual(a.roams);
  });

  it('FT is fast and full EAP is not: the lab numbers the KMS exists to change', async () => {
    const ft = (await analyseCaptureFile(`${FIX}roam-ft.pcap`)).roams.find((r) => r.method === 'ft-over-air')!;
    const eap = (await analyseCaptureFile(`${FIX}roam-full-eap.pcap`)).roams.find((r) => r.method === 'full-eap')!;
    expect(ft.eapFrames).toBe(0);
    expect(eap.eapFrames).toBeGreaterThanOrEqual(8);
    expect(eap.durationMs).toBeGreaterThan(ft.durationMs * 2);
  });

  it('live: the same capture streamed as kmsd reads a monitor interface gives the same roams, into a RoamLog', async () => {
    // tcpdump -U writes a packet at a time: a real process writes the capture to the source's
    // stdout pipe in small pieces (dd, 700 octets per write), where kmsd would run tcpdump.
    const log = new RoamLog(10);
    const seen: RoamEvent[] = [];
    const tracker = new RoamTracker({
      onRoam: (e) => {
        seen.push(e);
        log.add(e);
      },
    });
    const source = tcpdumpSource({
      iface: 'phy1-mon0',
      spawn: () => spawn('dd', [`if=${FIX}explore-signal-btm.pcap`, 'bs=700', 'status=none'], { stdio: ['ignore', 'pipe', 'pipe'] }),
    });
    const watch = watchCaptureSource(source, tracker);
    await watch.done;
    tracker.flush();
    expect(watch.decode.packets).toBe(394);
    expect(seen).toEqual((await analyseCaptureFile(`${FIX}explore-signal-btm.pcap`)).roams);
    expect(log.list({ method: 'pmksa' })).toEqual([expect.objectContaining({ trigger: 'bss-tm', toBssid: '02:00:00:00:00:00' })]);
  });
});
