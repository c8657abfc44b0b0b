import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

// The design rule the layout encodes: the core (daemon/) never imports an adapter; only the
// composition root daemon/main/ wires adapters in. And pure key code has no I/O at all.

const ROOT = new URL('../..', import.meta.url).pathname;

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const imports = (file: string) => [...readFileSync(file, 'utf8').matchAll(/^import[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]!);

describe('layout', () => {
  // The two programs wire adapters to the core: kmsd (daemon/main) and kmsctl (daemon/cli).
  it('the core imports no adapter (except the programs daemon/main and daemon/cli)', () => {
    const offenders = tsFiles(join(ROOT, 'daemon'))
      .filter((f) => !/^daemon\/(main|cli)\//.test(relative(ROOT, f)))
      .flatMap((f) => imports(f).filter((i) => i.includes('adapters/')).map((i) => `${relative(ROOT, f)} -> ${i}`));
    expect(offenders).toEqual([]);
  });

  it('kmsctl (daemon/cli) never imports kmsd (daemon/main)', () => {
    const offenders = tsFiles(join(ROOT, 'daemon', 'cli'))
      .flatMap((f) => imports(f).filter((i) => /(^|\/)main\//.test(i)).map((i) => `${relative(ROOT, f)} -> ${i}`));
    expect(offenders).toEqual([]);
  });

  it('keys/ and records/ do no I/O', () => {
    const io = /^(node:)?(fs|net|dgram|http|child_process|fs\/promises)$/;
    const offenders = ['keys', 'records'].flatMap((d) => tsFiles(join(ROOT, 'daemon', d)))
      .flatMap((f) => imports(f).filter((i) => io.test(i)).map((i) => `${relative(ROOT, f)} -> ${i}`));
    expect(offenders).toEqual([]);
  });
});
