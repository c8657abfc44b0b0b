import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { fileSource, sshTcpdumpSource, tcpdumpArgs, tcpdumpSource } from '../../../adapters/pcap/index.js';

const FIXTURE = new URL('../../fixtures/pcap/roam-ft.pcap', import.meta.url).pathname;
const FIXTURE_NG = new URL('../../fixtures/pcap/roam-full-eap.pcapng', import.meta.url).pathname;
const hasTcpdump = spawnSync('tcpdump', ['--version']).status === 0;

const count = async (src: { run: (f: (p: { data: Buffer }) => void) => Promise<{ packets: number }> }) => {
  let bytes = 0;
  const stats = await src.run((p) => { bytes += p.data.length; });
  return { packets: stats.packets, bytes };
};

describe('capture sources', () => {
  it('file: pcap and pcapng', async () => {
    expect((await count(fileSource(FIXTURE))).packets).toBe(142);
    expect((await count(fileSource(FIXTURE_NG))).packets).toBe(196);
  });

  it('tcpdump arguments: -U -w - so packets stream as they arrive; interface names are checked', () => {
    expect(tcpdumpArgs({ iface: 'mon0' })).toEqual(['-i', 'mon0', '-U', '-w', '-']);
    expect(tcpdumpArgs({ iface: 'hwsim0', rfmon: true, filter: 'type mgt or ether proto 0x888e' }))
      .toEqual(['-i', 'hwsim0', '-I', '-U', '-w', '-', 'type mgt or ether proto 0x888e']);
    expect(() => tcpdumpArgs({ iface: 'wlan0; rm -rf /' })).toThrow(/not an interface name/);
  });

  it.skipIf(!hasTcpdump)('local tcpdump: reads its pcap stream from stdout (real tcpdump replaying a fixture)', async () => {
    let seen: string[] = [];
    const src = tcpdumpSource({
      iface: 'mon0',
      // The same pipe a live capture uses, fed from a file so the test needs no monitor interface.
      spawn: (cmd, args) => { seen = [cmd, ...args]; return spawn(cmd, ['-r', FIXTURE, '-U', '-w', '-'], { stdio: ['ignore', 'pipe', 'pipe'] }); },
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

  it('SSH: the command line is quoted for the remote shell and the stream is read like a file', async () => {
    const cmds: string[] = [];
    const bytes = readFileSync(FIXTURE);
    const src = sshTcpdumpSource({
      iface: 'phy0-mon0', filter: "type mgt or ether proto 0x888e and not host '1.2.3.4'",
      exec: (cmd) => { cmds.push(cmd); return Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]); },
    });
    expect((await count(src)).packets).toBe(142);
    expect(cmds).toEqual([`tcpdump -i phy0-mon0 -U -w - 'type mgt or ether proto 0x888e and not host '\\''1.2.3.4'\\'''`]);
    expect(src.description).toContain('ssh: tcpdump');
  });

  it('SSH: stop() destroys the stream and the run ends without error', async () => {
    const stream = new Readable({ read() { /* a capture that never ends by itself */ } });
    const src = sshTcpdumpSource({ iface: 'mon0', exec: () => stream });
    const done = src.run(() => undefined);
    stream.push(readFileSync(FIXTURE).subarray(0, 24));
    await new Promise((r) => setTimeout(r, 20));
    src.stop();
    await expect(done).resolves.toMatchObject({ format: 'pcap', packets: 0 });
  });
});
