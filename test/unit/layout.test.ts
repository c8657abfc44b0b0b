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
  it('the core imports no adapter (except the composition root daemon/main)', () => {
    const offenders = tsFiles(join(ROOT, 'daemon'))
      .filter((f) => !relative(ROOT, f).startsWith('daemon/main/'))
      .flatMap((f) => imports(f).filter((i) => i.includes('adapters/')).map((i) => `${relative(ROOT, f)} -> ${i}`));
    expect(offenders).toEqual([]);
  });

  it('keys/ and records/ do no I/O', () => {
    const io = /^(node:)?(fs|net|dgram|http|child_process|fs\/promises)$/;
    const offenders = ['keys', 'records'].flatMap((d) => tsFiles(join(ROOT, 'daemon', d)))
      .flatMap((f) => imports(f).filter((i) => io.test(i)).map((i) => `${relative(ROOT, f)} -> ${i}`));
    expect(offenders).toEqual([]);
  });
});
