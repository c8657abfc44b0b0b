// Offline roam analysis throughput (frames/s), next to tshark reading the same file in the same run.
// The input is the lab fixtures (test/fixtures/pcap/*.pcap) replayed end to end, each replay shifted
// later in time, until a few hundred thousand frames: real hwsim frames (beacons, EAP, FT, data) in
// real proportions, with a roam every few hundred frames. Both sides run pinned to one core
// (taskset), ours in a child process so the comparison is process against process.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyseCaptureFile } from '../adapters/pcap/roam-analysis.js';
import { readCaptureBuffer } from '../adapters/pcap/index.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = HERE.includes(join('dist', 'bench')) ? resolve(HERE, '../..') : resolve(HERE, '..');
const FIXTURES = join(REPO, 'test', 'fixtures', 'pcap');
const WORKER_FLAG = '--roams-bench-worker';

/** Writes a classic pcap of at least `minFrames` frames built from the fixtures; returns the frame count. */
export function buildBenchCapture(path: string, minFrames: number): number {
  const files = readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.pcap'))
    .sort();
  // Records (header + data) of every fixture, with their timestamps relative to the fixture's start.
  const records: { rel: number; data: Buffer; origLen: number }[][] = files.map((f) => {
    const out: { rel: number; data: Buffer; origLen: number }[] = [];
    let t0: number | undefined;
    readCaptureBuffer(readFileSync(join(FIXTURES, f)), (p) => {
      t0 ??= p.ts;
      out.push({ rel: p.ts - t0, data: Buffer.from(p.data), origLen: p.origLen });
    });
    return out;
  });
  const chunks: Buffer[] = [];
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(262144, 16);
  header.writeUInt32LE(127, 20); // radiotap
  chunks.push(header);
  let frames = 0;
  let baseUs = 1_700_000_000_000_000;
  while (frames < minFrames) {
    for (const recs of records) {
      for (const r of recs) {
        const us = baseUs + Math.round(r.rel * 1000);
        const h = Buffer.alloc(16);
        h.writeUInt32LE(Math.floor(us / 1e6), 0);
        h.writeUInt32LE(us % 1e6, 4);
        h.writeUInt32LE(r.data.length, 8);
        h.writeUInt32LE(r.origLen, 12);
        chunks.push(h, r.data);
        frames++;
      }
      // 20 s between replays: every attempt of the previous one has ended or timed out.
      baseUs += Math.round((recs.at(-1)?.rel ?? 0) * 1000) + 20_000_000;
    }
  }
  writeFileSync(path, Buffer.concat(chunks));
  return frames;
}

const pin = (cmd: string, args: string[]): [string, string[]] =>
  spawnSync('taskset', ['-c', '0', 'true']).status === 0 ? ['taskset', ['-c', '0', cmd, ...args]] : [cmd, args];

function run(cmd: string, args: string[]): Promise<{ seconds: number; stdout: string }> {
  const [c, a] = pin(cmd, args);
  return new Promise((res, rej) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(c, a, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-1000);
    });
    child.on('error', rej);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      code === 0 ? res({ seconds, stdout }) : rej(new Error(`${cmd} exited with ${code}: ${stderr}`));
    });
  });
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

export async function benchRoams(minFrames = Number(process.env.KMS_BENCH_ROAM_FRAMES ?? 300_000)): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'kms-roams-bench-'));
  try {
    const file = join(dir, 'replay.pcap');
    const frames = buildBenchCapture(file, minFrames);
    const lines = [
      `input: ${fmt(frames)} frames (lab fixtures replayed), ${(readFileSync(file).length / 1e6).toFixed(1)} MB, one core (taskset -c 0)`,
    ];
    // Best of 3 for each side: the machine is shared, the minimum is the least disturbed run.
    // Each figure from its own fresh process (JIT warm-up included, as in a real `kmsctl roams` run).
    const worker = async (mode: 'roams' | 'full') => {
      const r = await run(process.execPath, [fileURLToPath(import.meta.url), WORKER_FLAG, file, mode]);
      return { wall: r.seconds, ...(JSON.parse(r.stdout) as { seconds: number; roams: number }) };
    };
    let ours = Infinity;
    let inner = Infinity;
    let full = Infinity;
    let roams = 0;
    for (let i = 0; i < 3; i++) {
      const w = await worker('roams');
      ours = Math.min(ours, w.wall);
      inner = Math.min(inner, w.seconds);
      roams = w.roams;
      full = Math.min(full, (await worker('full')).seconds);
    }
    lines.push(
      `kmsctl roams analysis   ${fmt(frames / inner)} frames/s   (${inner.toFixed(3)} s read+decode+track, beacon bodies skipped; ${fmt(roams)} roam events; goal ≥ 200,000)`,
    );
    lines.push(`  every body decoded    ${fmt(frames / full)} frames/s   (beacon/probe elements too, as the live RF graph needs)`);
    lines.push(`  whole process         ${fmt(frames / ours)} frames/s   (${ours.toFixed(3)} s including node start-up)`);
    if (spawnSync('tshark', ['--version']).status !== 0) {
      lines.push('tshark                  not installed (apt-get install tshark) — no comparison');
      return lines;
    }
    let tshark = Infinity;
    let tsharkStart = Infinity;
    const empty = join(dir, 'one.pcap');
    buildBenchCapture(empty, 1);
    for (let i = 0; i < 3; i++) {
      tshark = Math.min(tshark, (await run('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.number'])).seconds);
      tsharkStart = Math.min(tsharkStart, (await run('tshark', ['-r', empty, '-T', 'fields', '-e', 'frame.number'])).seconds);
    }
    const tsharkNet = Math.max(tshark - tsharkStart, 1e-6);
    lines.push(
      `tshark -r -T fields     ${fmt(frames / tshark)} frames/s   (${tshark.toFixed(3)} s; ${fmt(frames / tsharkNet)} frames/s without its ${tsharkStart.toFixed(2)} s start-up)`,
    );
    lines.push(
      `ratio                   ours ${(tsharkNet / inner).toFixed(1)}x tshark's rate, ${(tsharkNet / full).toFixed(1)}x with every body decoded (start-up excluded on both sides)`,
    );
    return lines;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// The measured side, in its own pinned process: time only the analysis, not module loading.
if (process.argv[2] === WORKER_FLAG && process.argv[3]) {
  const t0 = process.hrtime.bigint();
  const a = await analyseCaptureFile(process.argv[3], { decodeAllManagement: process.argv[4] === 'full' });
  process.stdout.write(JSON.stringify({ seconds: Number(process.hrtime.bigint() - t0) / 1e9, roams: a.roams.length }));
}
