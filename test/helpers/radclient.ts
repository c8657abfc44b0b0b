import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, runCommand, type Netns } from './netns.js';

// FreeRADIUS's radclient (freeradius-utils) as the AAA server's side of RFC 5176: it sends one
// Disconnect-Request or CoA-Request and prints what came back.

export interface RadclientRequest {
  /** host:port of the DAS. */
  server: string;
  command: 'disconnect' | 'coa';
  secret: string;
  /** Attribute lines as radclient reads them, e.g. `Calling-Station-Id = "02-00-00-00-00-41"`. */
  attributes: string[];
  /** Event-Timestamp = now (seconds) + this; null leaves it out. Default 0. */
  eventTimestampOffsetS?: number | null;
  /** Add Message-Authenticator (radclient computes it). Default true. */
  messageAuthenticator?: boolean;
  timeoutS?: number;
  retries?: number;
  netns?: Netns;
}

export interface RadclientResult {
  /** Disconnect-ACK, CoA-NAK, …; null when nothing (valid) came back. */
  reply: string | null;
  /** Error-Cause of the reply, as radclient names it (e.g. Session-Context-Not-Found), if any. */
  errorCause: string | null;
  output: string;
}

export async function radclient(r: RadclientRequest): Promise<RadclientResult> {
  const dir = await makeTempDir('radclient');
  try {
    const lines = [...r.attributes];
    const offset = r.eventTimestampOffsetS === undefined ? 0 : r.eventTimestampOffsetS;
    if (offset !== null) lines.push(`Event-Timestamp = ${Math.floor(Date.now() / 1000) + offset}`);
    if (r.messageAuthenticator !== false) lines.push('Message-Authenticator = 0x00');
    const file = join(dir.path, 'request');
    await writeFile(file, `${lines.join('\n')}\n`);
    const res = await runCommand(
      'radclient',
      ['-x', '-f', file, '-t', String(r.timeoutS ?? 3), '-r', String(r.retries ?? 3), r.server, r.command, r.secret],
      { timeoutMs: 60_000, ...(r.netns ? { netns: r.netns } : {}) },
    );
    const output = `${res.stdout}${res.stderr}`;
    const reply = /Received (\S+) Id \d+/.exec(output)?.[1] ?? null;
    const errorCause = /Error-Cause = (\S+)/.exec(output)?.[1] ?? null;
    return { reply, errorCause, output };
  } finally {
    await dir.remove();
  }
}
