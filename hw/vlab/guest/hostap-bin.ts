// `--hostap-bin DIR` (env LAB_HOSTAP_BIN): run the lab with another build of hostapd, hostapd_cli,
// wpa_supplicant and wpa_cli than Debian's, e.g. hostapd 2.11 or upstream main built by hand. The
// guest's root is the host's root under a tmpfs overlay, so the host path works as it is; each binary
// is bind-mounted over /usr/sbin/<name>. That way every caller gets the same build without being told:
// the runner, the APs' SSH sessions (dropbear's own PATH) and kmsd's hostapd_cli.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './exec.js';

export const HOSTAP_BINARIES = ['hostapd', 'hostapd_cli', 'wpa_supplicant', 'wpa_cli'] as const;

/** The four paths in DIR, or an error naming each missing one. */
export function hostapBinaryPaths(dir: string): string[] {
  const paths = HOSTAP_BINARIES.map((b) => join(dir, b));
  const missing = paths.filter((p) => !existsSync(p));
  if (missing.length > 0) throw new Error(`--hostap-bin ${dir}: missing ${missing.join(', ')} (it needs ${HOSTAP_BINARIES.join(', ')})`);
  return paths;
}

/**
 * Where the guest finds a host folder. The guest mounts a fresh /tmp of its own (boot.sh), which
 * hid a build under the host's /tmp: the runner then failed before its first step with nothing
 * but "missing …". boot.sh keeps the host's /tmp at /mnt/host-tmp.
 */
export function guestPath(hostPath: string): string {
  return hostPath === '/tmp' || hostPath.startsWith('/tmp/') ? `/mnt/host-tmp${hostPath.slice(4)}` : hostPath;
}

/** Bind-mounts DIR's binaries (a host path) over Debian's and returns what `hostapd -v` now says. */
export async function useHostapBinaries(dir: string): Promise<string> {
  for (const [i, src] of hostapBinaryPaths(guestPath(dir)).entries()) {
    const dst = join('/usr/sbin', HOSTAP_BINARIES[i]!);
    const r = await run(['mount', '--bind', src, dst]);
    if (r.code !== 0) throw new Error(`mount --bind ${src} ${dst} failed: ${r.stderr.trim()}`);
  }
  return hostapdVersion();
}

/**
 * The KMS's hostapdVersion for a `hostapd -v` line: '2.11' from v2.11 on (v2.12-devel is upstream
 * main), '2.10' for anything older or unreadable (the KMS's default).
 */
export function releaseLine(versionLine: string): '2.10' | '2.11' {
  const m = /^hostapd v(\d+)\.(\d+)/.exec(versionLine);
  if (!m) return '2.10';
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 2 || (major === 2 && minor >= 11) ? '2.11' : '2.10';
}

/** First line of `hostapd -v` (it prints to stderr), e.g. "hostapd v2.11". */
export async function hostapdVersion(): Promise<string> {
  const r = await run(['hostapd', '-v']);
  return (
    (r.stderr + r.stdout)
      .split('\n')
      .find((l) => l.startsWith('hostapd v'))
      ?.trim() ?? 'unknown'
  );
}
