import { afterEach, describe, expect, it, vi } from 'vitest';
import { Command } from 'commander';
import { registerRoamsCommand, roamsTable } from '../../../daemon/cli/roams-command.js';

const FIX = new URL('../../fixtures/pcap/', import.meta.url).pathname;

async function kmsctl(...args: string[]): Promise<string> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    const program = new Command('kmsctl').exitOverride().configureOutput({ writeErr: () => undefined });
    registerRoamsCommand(program);
    await program.parseAsync(['node', 'kmsctl', ...args]);
  } finally {
    spy.mockRestore();
  }
  return out;
}

afterEach(() => vi.restoreAllMocks());

describe('kmsctl roams --pcap', () => {
  it('prints a table: station, from, to, method, EAP frames, time, slow', async () => {
    const out = await kmsctl('roams', '--pcap', `${FIX}roam-ft-fallback.pcap`);
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^STATION\s+FROM\s+TO\s+METHOD\s+EAP FRAMES\s+TIME MS\s+SLOW\s+DATA GAP MS\s+NOTE$/);
    expect(lines[1]).toMatch(/^02:00:00:00:02:00\s+-\s+02:00:00:00:00:00\s+initial \(full-eap\)\s+19\s+792\.9\s+-/);
    expect(lines[2]).toMatch(
      /02:00:00:00:00:00\s+02:00:00:00:01:00\s+failed \(ft-over-air\)\s+0\s+21\.3\s+-\s+-\s+authentication rejected \(status 53\)$/,
    );
    expect(lines[3]).toMatch(/ft-over-air\s+0\s+29\.3\s+-\s+973\.3\s+after a failed attempt with 02:00:00:00:01:00/);
    expect(out).toMatch(/pcap: 213 frames, 5\.2 s; 3 roam events; 0 malformed; 0 retransmissions ignored/);
  });

  it('--json gives the events and the capture statistics; --slow-ms changes what is slow', async () => {
    const normal = JSON.parse(await kmsctl('roams', '--pcap', `${FIX}roam-ft.pcap`, '--json'));
    expect(normal.roams.map((r: { method: string; slow: boolean }) => [r.method, r.slow])).toEqual([
      ['initial', false],
      ['ft-over-air', false],
    ]);
    expect(normal.capture).toMatchObject({ format: 'pcap', packets: 142 });
    const strict = JSON.parse(await kmsctl('roams', '--pcap', `${FIX}roam-ft.pcap`, '--json', '--slow-ms', '20'));
    expect(strict.roams[1]).toMatchObject({ method: 'ft-over-air', slow: true });
    const eap = JSON.parse(await kmsctl('roams', '--pcap', `${FIX}roam-full-eap.pcapng`, '--json', '--slow-other-ms', '100'));
    expect(eap.roams[1]).toMatchObject({ method: 'full-eap', slow: true });
  });

  it('refuses a bad threshold and a file that is not a capture', async () => {
    await expect(kmsctl('roams', '--pcap', `${FIX}roam-ft.pcap`, '--slow-ms', 'fast')).rejects.toThrow(
      /--slow-ms must be a positive number/,
    );
    await expect(kmsctl('roams', '--pcap', new URL(import.meta.url).pathname)).rejects.toThrow(/not a pcap or pcapng capture/);
    await expect(kmsctl('roams')).rejects.toThrow(/--pcap/);
  });

  it('an empty list reads "no roams"', () => {
    expect(roamsTable([])).toBe('no roams');
  });
});
