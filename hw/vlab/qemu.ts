// Boots the lab guest: QEMU under TCG (KVM is unusable on these machines), no network card, the host
// root shared read-only over 9p and the results folder shared writable. The serial console is the
// guest's stdout; it is kept in console.log and streamed to the caller line by line.
//
// The guest's clock counts instructions (docs/lab.md): every guest instruction takes the same
// virtual time, whatever else the host is doing, so load on the host slows a run down but cannot
// change its outcome. Under the host's clock a busy host left the guest's programs less CPU per
// guest second, and a station's ~100 ms FT retransmission fired before kmsd had answered a PULL it
// would answer in time on an idle host. Counting instructions needs single-threaded TCG, and a
// second vCPU stalls the guest kernel's CPU bring-up then, so the guest has one.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { Image } from './image.js';

export interface BootOptions {
  image: Image;
  /** Host path of the script the guest runs after switch_root. */
  script: string;
  /** Writable share, seen as /vlab-out in the guest. */
  outDir: string;
  timeoutMs: number;
  memoryMb?: number;
  clock?: GuestClock;
  onLine?: (line: string) => void;
}

export interface BootResult {
  exitCode: number | null;
  timedOut: boolean;
  wallMs: number;
  console: string;
}

/**
 * The guest clock: `instructions` (default), a fixed 2 ns per guest instruction (a 500-MIPS CPU;
 * `-icount shift=1`; idle time passes at the host's pace), or `host` (the wall clock, two vCPUs on
 * two host threads: faster on an idle host, at the mercy of a busy one). Env LAB_CLOCK.
 */
export type GuestClock = 'instructions' | 'host';

export function guestClock(): GuestClock {
  const c = process.env.LAB_CLOCK ?? 'instructions';
  if (c !== 'instructions' && c !== 'host') throw new Error(`LAB_CLOCK must be instructions or host, not ${JSON.stringify(c)}`);
  return c;
}

/**
 * How much longer than its guest time a run may take on the host: with the counted clock a busy
 * guest second costs about three host seconds here, more beside other work. Only hang bounds use it.
 */
export const WALL_PER_GUEST = { instructions: 6, host: 1 } as const;

/** The QEMU process's nice value when run as root (LAB_QEMU_NICE; 0 keeps the caller's). */
const QEMU_NICE = Number(process.env.LAB_QEMU_NICE ?? -10);

export function bootGuest(o: BootOptions): Promise<BootResult> {
  const counted = (o.clock ?? 'instructions') === 'instructions';
  const args = [
    '-accel',
    counted ? 'tcg,thread=single' : 'tcg,thread=multi',
    ...(counted ? ['-icount', 'shift=1,sleep=on'] : []),
    '-cpu',
    'max',
    '-smp',
    counted ? '1' : '2',
    '-m',
    String(o.memoryMb ?? 1024),
    '-M',
    'q35',
    '-no-reboot',
    '-nodefaults',
    '-display',
    'none',
    '-nic',
    'none',
    '-serial',
    'stdio',
    '-monitor',
    'none',
    '-kernel',
    o.image.kernel,
    '-initrd',
    o.image.initrd,
    '-append',
    `console=ttyS0 quiet panic=-1 vlab_image=${o.image.dir} vlab_script=${o.script}`,
    '-virtfs',
    'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap',
    '-virtfs',
    `local,path=${o.outDir},mount_tag=out,security_model=none`,
  ];
  const consolePath = join(o.outDir, 'console.log');
  const consoleFile = createWriteStream(consolePath);
  const started = Date.now();
  return new Promise((resolvePromise, reject) => {
    // The guest stands for other machines (APs, stations, the air between them): load on this
    // host must not slow their clocks, or a roam's retransmission timers fire in emulated time
    // that the host stole. So QEMU runs above other work (root only; elsewhere at the caller's
    // priority). kmsd inside the guest still competes with the guest's own processes.
    const nice = process.getuid?.() === 0 ? ['nice', '-n', String(QEMU_NICE)] : [];
    const child = spawn(nice[0] ?? 'qemu-system-x86_64', [...nice.slice(1), ...(nice.length ? ['qemu-system-x86_64'] : []), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let timedOut = false;
    let pending = '';
    // One decoder for both streams: a UTF-8 character may be split between two chunks.
    const decoder = new StringDecoder('utf8');
    const onData = (d: Buffer) => {
      consoleFile.write(d);
      pending += decoder.write(d).replace(/\r/g, '');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const l of lines) o.onLine?.(l);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, o.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot start qemu-system-x86_64: ${e.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (pending) o.onLine?.(pending);
      consoleFile.end();
      resolvePromise({ exitCode: code, timedOut, wallMs: Date.now() - started, console: consolePath });
    });
  });
}
