// The KMS in the lab guest: kmsd in the vlab-kms namespace on the DS segment, exactly as an operator
// would run it next to real APs. The runner writes its config (the APs as RADIUS clients with their own
// secrets, the lab's FreeRADIUS as upstream, a distribution: section with one entry per AP: BSSID,
// 256-bit rrbKey, SSH control with the AP's pinned host key, static neighbours), asks
// `kmsctl ap-config <ap> --format hostapd` for each AP's lines, and starts, kills and restarts kmsd.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Scenario } from '../scenario.js';
import type { Plan } from '../plan.js';
import { RADIUS_IP } from '../plan.js';
import { deepMerge, kmsdConfigYaml } from '../configs.js';
import { repoRoot } from '../image.js';
import { KMSD_NODE_FLAGS } from '../../../daemon/main/node-flags.js';
import type { Daemons, RunResult } from './exec.js';
import { inNs, ProgressDeadline, run } from './exec.js';
import type { Logs } from './logs.js';
import { releaseLine } from './hostap-bin.js';
import { spawnSync } from 'node:child_process';

/** `SHA256:<base64 without padding>` of an OpenSSH public key line, as `ssh-keygen -lf` prints it. */
export function sshFingerprint(pubLine: string): string {
  const blob = pubLine.trim().split(/\s+/)[1];
  if (!blob) throw new Error(`not an OpenSSH public key line: ${pubLine}`);
  return `SHA256:${createHash('sha256').update(Buffer.from(blob, 'base64')).digest('base64').replace(/=+$/, '')}`;
}

export interface KmsHandle {
  /** The kmsd config file (for kmsctl --config). */
  configPath: string;
  /** The RADIUS secret this AP shares with the KMS. */
  apRadiusSecret(ap: string): string;
  /** Starts kmsd and waits for its 'kmsd ready' line (or its exit). */
  start(timeoutMs: number): Promise<void>;
  kill(signal: 'KILL' | 'TERM'): Promise<void>;
  running(): boolean;
  /** `kmsctl --config … <args>` in the KMS namespace. */
  kmsctl(args: string[], timeoutMs?: number): Promise<RunResult>;
  /** GET (or, with a body, POST) on kmsd's API from the KMS namespace; resolves with the HTTP status and the body text. */
  api(path: string, timeoutMs?: number, post?: { body: string }): Promise<{ status: number; text: string }>;
  /** Runs a node script of the lab (dist/hw/vlab/guest/<script>.js) in a namespace. */
  node(ns: string, script: string, args: string[], timeoutMs?: number): Promise<RunResult>;
}

const READY = '"msg":"kmsd ready"';

/**
 * The scenario as kmsd's config sees it: `kms.discovery` becomes `distribution.neighbors` (under the
 * scenario's own overrides, which still win). The static `kms.neighbors` lists stay per AP (pinned).
 */
export function withDiscovery(s: Scenario): Scenario {
  if (!s.kms?.discovery) return s;
  return { ...s, kms: { ...s.kms, overrides: deepMerge({ distribution: { neighbors: s.kms.discovery } }, s.kms.overrides) } };
}

export function kmsdArgv(configPath: string): string[] {
  return [process.execPath, ...KMSD_NODE_FLAGS, join(repoRoot(), 'dist', 'daemon', 'main', 'kmsd.js'), '--config', configPath];
}

/** `hostapd -v` of the build the guest runs (bind-mounted by --hostap-bin before this is called). */
function hostapdVersionSync(): string {
  const r = spawnSync('hostapd', ['-v'], { encoding: 'utf8' });
  return (
    `${r.stderr ?? ''}${r.stdout ?? ''}`
      .split('\n')
      .find((l) => l.startsWith('hostapd v'))
      ?.trim() ?? ''
  );
}

/** Writes kmsd's config and secrets under plan.kms.dir; returns the handle (kmsd is not started yet). */
export function prepareKms(s: Scenario, plan: Plan, imageDir: string, daemons: Daemons, logs: Logs): KmsHandle {
  const k = plan.kms;
  mkdirSync(k.dir, { recursive: true, mode: 0o700 });
  const masterKeyFile = join(k.dir, 'master-key');
  writeFileSync(masterKeyFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  const apiToken = randomBytes(16).toString('hex');
  const apSecrets = Object.fromEntries(
    plan.aps.map((ap) => [
      ap.name,
      {
        radius: `vlab-${ap.name}-secret`,
        rrbKey: randomBytes(32).toString('hex'),
        das: randomBytes(16).toString('hex'),
      },
    ]),
  );
  const hostKeys = Object.fromEntries(
    plan.aps.map((ap) => [ap.name, sshFingerprint(readFileSync(join(imageDir, 'ssh', `ap${ap.index + 1}.hostkey.pub`), 'utf8'))]),
  );
  writeFileSync(
    k.configPath,
    kmsdConfigYaml(
      withDiscovery(s),
      plan,
      {
        stateDir: join(k.dir, 'state'),
        masterKeyFile,
        apiToken,
        apSecrets,
        hostKeys,
        clientKeyPath: join(imageDir, 'ssh', 'client'),
        hostapdVersion: releaseLine(hostapdVersionSync()),
      },
      RADIUS_IP,
    ),
    { mode: 0o600 },
  );
  writeFileSync(k.logPath, '');
  logs.add('kms', k.logPath);
  const distScript = (name: string) => join(repoRoot(), 'dist', 'hw', 'vlab', 'guest', `${name}.js`);
  const kmsctlPath = join(repoRoot(), 'dist', 'daemon', 'cli', 'kmsctl.js');

  const handle: KmsHandle = {
    configPath: k.configPath,
    apRadiusSecret: (ap) => apSecrets[ap]!.radius,
    async start(timeoutMs) {
      if (handle.running()) throw new Error('kmsd is already running');
      const from = logs.mark('kms');
      const child = daemons.start('kms', inNs(k.ns, kmsdArgv(k.configPath)), k.logPath);
      // `ip netns exec` execs kmsd in place: the PID is kmsd's. Under TCG on a busy host the start
      // can take minutes; it fails when kmsd stops using CPU without being ready, not at a time.
      const deadline = new ProgressDeadline(child.pid, timeoutMs, timeoutMs * 5);
      const started = Date.now();
      for (;;) {
        if (logs.find('kms', from, (l) => l.includes(READY))) return;
        if (daemons.exited('kms')) throw new Error(`kmsd exited before it was ready: ${logs.evidence('kms', from, 8).join(' | ')}`);
        if (deadline.expired())
          throw new Error(
            `kmsd was not ready after ${Date.now() - started} ms (idle for ${timeoutMs} ms or past ${timeoutMs * 5} ms): ${logs.evidence('kms', from, 8).join(' | ')}`,
          );
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async kill(signal) {
      if (!handle.running()) throw new Error('kmsd is not running');
      await daemons.stop('kms', `SIG${signal}`);
    },
    running: () => !daemons.exited('kms'),
    kmsctl: (args, timeoutMs = 30_000) => run(inNs(k.ns, [process.execPath, kmsctlPath, '--config', k.configPath, ...args]), timeoutMs),
    async api(path, timeoutMs = 30_000, post) {
      const method = post ? ['--post', post.body] : [];
      const r = await run(
        inNs(k.ns, [
          'env',
          `KMS_TOKEN=${apiToken}`,
          process.execPath,
          distScript('kms-api'),
          ...method,
          `http://127.0.0.1:${k.apiPort}${path}`,
        ]),
        timeoutMs,
      );
      if (r.code !== 0) throw new Error(`${post ? 'POST' : 'GET'} ${path}: ${(r.stderr || r.stdout).trim()}`);
      const nl = r.stdout.indexOf('\n');
      return { status: Number(r.stdout.slice(0, nl)), text: r.stdout.slice(nl + 1) };
    },
    node: (ns, script, args, timeoutMs = 30_000) => run(inNs(ns, [process.execPath, distScript(script), ...args]), timeoutMs),
  };
  return handle;
}

/** `kmsctl ap-config <ap> --format hostapd` for every AP, in parallel (each is a node start under TCG). */
export async function apConfigs(kms: KmsHandle, plan: Plan, timeoutMs: number): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  await Promise.all(
    plan.aps.map(async (ap) => {
      const r = await kms.kmsctl(['ap-config', ap.name, '--format', 'hostapd'], timeoutMs);
      if (r.code !== 0 || !r.stdout.includes('auth_server_addr=')) {
        throw new Error(`kmsctl ap-config ${ap.name} --format hostapd failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`);
      }
      out.set(ap.name, r.stdout);
    }),
  );
  return out;
}
