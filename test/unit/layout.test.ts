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
      .flatMap((f) =>
        imports(f)
          .filter((i) => i.includes('adapters/'))
          .map((i) => `${relative(ROOT, f)} -> ${i}`),
      );
    expect(offenders).toEqual([]);
  });

  // daemon/main only constructs: the core reaches it through nothing, not even a worker's file name
  // (daemon/threads takes the Worker that daemon/main/spawn-thread.ts starts).
  it('no core file imports or names daemon/main', () => {
    const offenders = tsFiles(join(ROOT, 'daemon'))
      .filter((f) => !relative(ROOT, f).startsWith('daemon/main/'))
      .flatMap((f) => {
        const text = readFileSync(f, 'utf8');
        const named = imports(f).filter((i) => /(^|\/)main\//.test(i));
        if (/-worker\.js['"`]/.test(text)) named.push('a worker file of daemon/main');
        return named.map((i) => `${relative(ROOT, f)} -> ${i}`);
      });
    expect(offenders).toEqual([]);
  });

  it('kmsctl (daemon/cli) never imports kmsd (daemon/main)', () => {
    const offenders = tsFiles(join(ROOT, 'daemon', 'cli')).flatMap((f) =>
      imports(f)
        .filter((i) => /(^|\/)main\//.test(i))
        .map((i) => `${relative(ROOT, f)} -> ${i}`),
    );
    expect(offenders).toEqual([]);
  });

  it('keys/ and records/ do no I/O', () => {
    const io = /^(node:)?(fs|net|dgram|http|child_process|fs\/promises)$/;
    const offenders = ['keys', 'records']
      .flatMap((d) => tsFiles(join(ROOT, 'daemon', d)))
      .flatMap((f) =>
        imports(f)
          .filter((i) => io.test(i))
          .map((i) => `${relative(ROOT, f)} -> ${i}`),
      );
    expect(offenders).toEqual([]);
  });

  // The AP driver table (daemon/ports/ap-driver.ts) takes structured parameters: the text of
  // hostapd's control commands and the names and arguments of its ubus methods are the
  // adapters' business (adapters/hostapd), so the core cannot grow a second, unchecked copy.
  // daemon/main is held to it too: it opens drivers, it does not speak through them.
  it('no file of daemon/ builds hostapd control commands or names ubus methods', () => {
    const ctrl = [
      'PMKSA_ADD',
      'PMKSA',
      'SET_NEIGHBOR',
      'REMOVE_NEIGHBOR',
      'SHOW_NEIGHBOR',
      'REQ_BEACON',
      'BSS_TM_REQ',
      'DEAUTHENTICATE',
      'DISASSOCIATE',
      'STA',
      'STA-FIRST',
      'STA-NEXT',
      'ATTACH',
    ];
    const ubus = ['rrm_nr_set', 'rrm_nr_get_own', 'rrm_nr_list', 'rrm_beacon_req', 'bss_transition_request', 'del_client', 'get_clients'];
    // A string literal (quotes or template) that starts with a command word or is a ubus method name.
    const literal = new RegExp(`['"\`](?:(?:${ctrl.join('|')})(?=[\\s'"\`$])|(?:${ubus.join('|')})['"\`])`);
    const code = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
    const offenders = tsFiles(join(ROOT, 'daemon')).flatMap((f) =>
      code(readFileSync(f, 'utf8'))
        .split('\n')
        .filter((l) => literal.test(l))
        .map((l) => `${relative(ROOT, f)}: ${l.trim().slice(0, 100)}`),
    );
    expect(offenders).toEqual([]);
  });
});
