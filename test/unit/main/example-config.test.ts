import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The README's set-up steps, run as written (with /etc/hostapd-kms moved into a temp dir), make
// the shipped examples/kms.yaml pass the real `kmsd --check`. The example's RRB interface (br-ds)
// is made in a network namespace of its own: it stands for the host's L2 segment to the APs.

const ROOT = new URL('../../..', import.meta.url).pathname;
const KMSD = join(ROOT, 'dist/daemon/main/kmsd.js');
const dir = mkdtempSync(join(tmpdir(), 'kms-example-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const etc = join(dir, 'etc');

function readmeSteps(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const m = /<!-- set-up steps: [^>]*-->\s*```sh\n([\s\S]*?)```/.exec(readme);
  if (!m) throw new Error('README.md has no "<!-- set-up steps" block');
  return m[1]!
    .split('\n')
    .map((l) => l.replace(/^ {3}/, ''))
    .join('\n');
}

describe('the shipped example after the README set-up steps', () => {
  it('passes kmsd --check', () => {
    mkdirSync(etc, { recursive: true });
    const moved = (text: string) => text.replaceAll('/etc/hostapd-kms', etc).replaceAll('/var/lib/hostapd-kms', join(dir, 'state'));
    writeFileSync(join(etc, 'kms.yaml'), moved(readFileSync(join(ROOT, 'examples/kms.yaml'), 'utf8')));
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'kmsd'), `#!/bin/sh\nexec "${process.execPath}" "${KMSD}" "$@"\n`);
    chmodSync(join(bin, 'kmsd'), 0o755);
    writeFileSync(join(dir, 'steps.sh'), `set -eu\nip link add br-ds type bridge\n${moved(readmeSteps())}`);

    const before = spawnSync('sh', ['-c', `"${join(bin, 'kmsd')}" --check --config "${join(etc, 'kms.yaml')}"`], { encoding: 'utf8' });
    expect(before.status, 'the example must fail --check before the steps').toBe(78);

    // As root a network namespace needs nothing more; otherwise a user namespace maps us to root.
    const unshare = process.getuid?.() === 0 ? ['-n'] : ['-r', '-n'];
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}:${process.env.PATH}`, KMS_CREDENTIALS_DIR: join(etc, 'credentials') };
    delete env.CREDENTIALS_DIRECTORY;
    const r = spawnSync('unshare', [...unshare, 'sh', join(dir, 'steps.sh')], { encoding: 'utf8', env });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').at(-2)).toBe(`${join(etc, 'kms.yaml')}: configuration is valid (every start-up check passed)`);
    // What the steps promise about the files.
    expect(statSync(join(etc, 'credentials')).mode & 0o777).toBe(0o700);
    expect(statSync(join(etc, 'master-key')).mode & 0o777).toBe(0o600);
    for (const f of ['radius-ap1', 'ap1-rrb', 'api-token', 'ap1-ssh-key'])
      expect(statSync(join(etc, 'credentials', f)).mode & 0o777).toBe(0o600);
    expect(existsSync(join(etc, 'credentials', 'ap1-ssh-key.pub'))).toBe(true);
  }, 60_000);
});
