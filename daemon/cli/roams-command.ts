// kmsctl roams --pcap FILE: offline roam analysis of a capture (pcap or pcapng, radiotap or plain
// 802.11). It needs no running kmsd: the capture is read here, with adapters/pcap (kmsctl, like
// kmsd, is a program that wires adapters to the core; it never imports kmsd's daemon/main).
import type { Command } from 'commander';
import { slowThresholds } from '../roams/classify.js';
import type { RoamEvent } from '../roams/roam-event.js';
import { analyseCaptureFile, type RoamAnalysis } from '../../adapters/pcap/roam-analysis.js';
import { table } from './format.js';

const ms = (v: number) => v.toFixed(1);

/** The human table: one line per roam, in the order roams ended. */
export function roamsTable(roams: RoamEvent[]): string {
  if (roams.length === 0) return 'no roams';
  return table(
    ['STATION', 'FROM', 'TO', 'METHOD', 'EAP FRAMES', 'TIME MS', 'SLOW', 'DATA GAP MS', 'NOTE'],
    roams.map((r) => [
      r.sta,
      r.fromBssid ?? '-',
      r.toBssid,
      r.method === 'failed' || r.method === 'initial' ? `${r.method} (${r.auth})` : r.method,
      String(r.eapFrames),
      ms(r.durationMs),
      r.slow ? 'SLOW' : '-',
      r.dataGapMs === undefined ? '-' : ms(r.dataGapMs),
      [r.trigger === 'bss-tm' ? 'after BSS TM request' : '', r.reason ?? ''].filter(Boolean).join('; ') || '-',
    ]),
  );
}

/** One line about the capture itself: how much was read, what was malformed. */
export function analysisSummary(a: RoamAnalysis): string {
  const span = a.firstTs !== undefined && a.lastTs !== undefined ? `, ${((a.lastTs - a.firstTs) / 1000).toFixed(1)} s` : '';
  const bad = Object.entries(a.decode.malformed)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return (
    `${a.capture.format ?? '?'}: ${a.capture.packets} frames${span}; ${a.roams.length} roam events; ` +
    `${a.decode.malformedTotal} malformed${bad ? ` (${bad})` : ''}; ${a.duplicates} retransmissions ignored` +
    (a.capture.truncatedTailBytes ? `; last ${a.capture.truncatedTailBytes} bytes cut short` : '')
  );
}

const positive = (what: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${what} must be a positive number of ms, got "${v}"`);
  return n;
};

export function registerRoamsCommand(program: Command): void {
  program
    .command('roams')
    .description('classify and time every roam in a capture (offline; FT, PMKSA/OKC, full EAP, failed)')
    .requiredOption('--pcap <file>', 'capture file (pcap or pcapng; radiotap or 802.11 link type)')
    .option('--json', 'machine-readable output: the roam events and capture statistics')
    .option('--slow-ms <n>', 'an FT roam slower than this is slow (default 400)', positive('--slow-ms'))
    .option('--slow-other-ms <n>', 'a non-FT roam slower than this is slow (default 2000)', positive('--slow-other-ms'))
    .action(async (o: { pcap: string; json?: boolean; slowMs?: number; slowOtherMs?: number }) => {
      const a = await analyseCaptureFile(o.pcap, { slowMs: slowThresholds(o.slowMs, o.slowOtherMs) });
      if (o.json) {
        process.stdout.write(
          `${JSON.stringify({ roams: a.roams, capture: a.capture, decode: a.decode, duplicates: a.duplicates }, null, 2)}\n`,
        );
        return;
      }
      process.stdout.write(`${roamsTable(a.roams)}\n\n${analysisSummary(a)}\n`);
    });
}
