// SSH to the hardware lab's nodes with the system OpenSSH client, every host key pinned from the
// inventory (StrictHostKeyChecking=yes against a known_hosts file the runner writes).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, writeFileSync } from 'node:fs';
import type { SshTarget } from './inventory.js';
import { run, type RunResult } from '../vlab/guest/exec.js';

export class Ssh {
  constructor(private readonly knownHosts: string) {}

  static pin(targets: SshTarget[], knownHostsPath: string): Ssh {
    const lines = targets.map((t) => `${t.port === 22 ? t.host : `[${t.host}]:${t.port}`} ${t.hostKey}`);
    writeFileSync(knownHostsPath, lines.join('\n') + '\n');
    return new Ssh(knownHostsPath);
  }

  argv(t: SshTarget, command: string): string[] {
    return [
      'ssh',
      '-p',
      String(t.port),
      '-o',
      `UserKnownHostsFile=${this.knownHosts}`,
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'BatchMode=yes',
      '-o',
      'ConnectTimeout=15',
      '-o',
      'LogLevel=ERROR',
      ...(t.identityFile ? ['-i', t.identityFile] : []),
      `${t.user}@${t.host}`,
      command,
    ];
  }

  run(t: SshTarget, command: string, timeoutMs = 30_000): Promise<RunResult> {
    return run(this.argv(t, command), timeoutMs);
  }

  /**
   * Follows a remote command's output into a local file, each line prefixed with the local time in
   * the "seconds.micros: " form hostapd uses, so the lab's log tools read it unchanged.
   */
  follow(t: SshTarget, command: string, file: string, stampLines: boolean): ChildProcess {
    const out = createWriteStream(file, { flags: 'a' });
    const child = spawn(this.argv(t, command)[0]!, this.argv(t, command).slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let pending = '';
    const onData = (d: Buffer) => {
      if (!stampLines) {
        out.write(d);
        return;
      }
      pending += d.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      const now = Date.now();
      const stamp = `${Math.floor(now / 1000)}.${String((now % 1000) * 1000).padStart(6, '0')}: `;
      for (const l of lines) out.write(`${stamp}${l}\n`);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('close', () => out.end());
    return child;
  }
}
