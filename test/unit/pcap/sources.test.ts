import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tcpdumpArgs, tcpdumpSource } from '../../../adapters/pcap/index.js';

const FIXTURE = new URL('../../fixtures/pcap/roam-ft.pcap', import.meta.url).pathname;
const hasTcpdump = spawnSync('tcpdump', ['--version']).status === 0;

const count = async (src: { run: (f: (p: { data: Buffer }) => void) => Promise<{ packets: number }> }) => {
  let bytes = 0;
  const stats = await src.run((p) => {
    bytes += p.data.length;
  });
  return { packets: stats.packets, bytes };
};

describe('capture sources', () => {
  it('tcpdump arguments: -U -w - so packets stream as they arrive; interface names are checked', () => {
    expect(tcpdumpArgs({ iface: 'mon0' })).toEqual(['-i', 'mon0', '-U', '-w', '-']);
    expect(tcpdumpArgs({ iface: 'hwsim0', rfmon: true, filter: 'type mgt or ether proto 0x888e' })).toEqual([
      '-i',
      'hwsim0',
      '-I',
      '-U',
      '-w',
      '-',
      'type mgt or ether proto 0x888e',
    ]);
    expect(() => tcpdumpArgs({ iface: 'wlan0; rm -rf /' })).toThrow(/not an interface name/);
  });

  it.skipIf(!hasTcpdump)('local tcpdump: reads its pcap stream from stdout (real tcpdump replaying a fixture)', async () => {
    let seen: string[] = [];
    const src = tcpdumpSource({
      iface: 'mon0',
      // The same pipe a live capture uses, fed from a file so the test needs no monitor interface.
      spawn: (cmd, args) => {
        seen = [cmd, ...args];
        return spawn(cmd, ['-r', FIXTURE, '-U', '-w', '-'], { stdio: ['ignore', 'pipe', 'pipe'] });
      },
    });
    expect(await count(src)).toEqual({ packets: 142, bytes: readFileSync(FIXTURE).length - 24 - 142 * 16 });
    expect(seen).toEqual(['tcpdump', '-i', 'mon0', '-U', '-w', '-']);
  });

  it.skipIf(!hasTcpdump)('local tcpdump: its own error is reported, not "empty capture"', async () => {
    await expect(tcpdumpSource({ iface: 'nosuchif9' }).run(() => undefined)).rejects.toThrow(/tcpdump exited with 1: .*nosuchif9/);
  });

  it('local tcpdump: a missing binary is reported', async () => {
    await expect(tcpdumpSource({ iface: 'mon0', tcpdump: '/nonexistent/tcpdump' }).run(() => undefined)).rejects.toThrow(/ENOENT/);
  });

  it.skipIf(!hasTcpdump)('local tcpdump: stop() ends a live capture cleanly', async () => {
    const src = tcpdumpSource({ iface: 'lo' });
    const done = src.run(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    src.stop();
    await expect(done).resolves.toMatchObject({ truncatedTailBytes: 0 });
  });
});
