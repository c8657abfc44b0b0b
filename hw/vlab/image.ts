// Finds the repository and makes sure the guest image is built (hw/vlab/build-image.sh caches it in
// .lab-cache/vlab/<kernel version>; a second call returns at once).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, whether this module runs from source (vitest) or from dist/. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = resolve(dir, '..');
    if (up === dir) throw new Error('cannot find the repository root (no package.json above hw/vlab)');
    dir = up;
  }
  return dir;
}

export interface Image {
  dir: string;
  kernel: string;
  initrd: string;
  buildMs: number;
}

export function ensureImage(log: (line: string) => void = () => undefined): Promise<Image> {
  const script = join(repoRoot(), 'hw', 'vlab', 'build-image.sh');
  const started = Date.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      for (const line of d.toString().split('\n')) if (line.trim()) log(line);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const dir = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0 || !existsSync(join(dir, 'ready'))) {
        reject(new Error(`building the lab image failed (exit ${code}):\n${stderr.split('\n').slice(-20).join('\n')}`));
        return;
      }
      resolvePromise({ dir, kernel: join(dir, 'vmlinux'), initrd: join(dir, 'initramfs.gz'), buildMs: Date.now() - started });
    });
  });
}
