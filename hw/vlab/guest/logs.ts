// The daemons' log files are the lab's event source: hostapd and wpa_supplicant run with -t, so each
// line carries the guest wall-clock time it was written, the same clock as the pcap. Waiting for an
// event means reading the new part of a log until a line matches.
import { statSync, existsSync, openSync, fstatSync, readSync, closeSync } from 'node:fs';
import { until } from './exec.js';

/** Lines that tell the story of a connection in hostapd, wpa_supplicant and FreeRADIUS logs. */
const EVENT =
  /CTRL-EVENT-|AP-STA-|EAPOL-4WAY|WPA: Key negotiation|Trying to (authenticate|associate)|Associated with|FT: (Found|Did not find|Send|Received PMK|PMK-R1 (push|pull))|Login (OK|incorrect)|Auth: |RADIUS: No response|AP-ENABLED|AP-DISABLED|DAS: |"level":(40|50|60)|"msg":"(station learned|station revoked|station seen at AP|kmsd ready|answered PULL|PULL answered|key placement|[^"]*[Dd]isconnect)/;
/** Words of trouble, and debug chatter that contains them without meaning it. */
const TROUBLE = /fail|error|reject|denied|timed out|invalid|mismatch|could not|unable|refus/i;
const NOISE = /decision=FAIL|not support|Ignored event|SSL_connect:error in|fail=0|errors=0/;

export interface LogLine {
  text: string;
  at?: number;
}

/** "1764110000.123456: wlan0: CTRL-EVENT-CONNECTED ..." → ms since the epoch. */
export function lineTime(line: string): number | undefined {
  const m = /^(\d{9,11})\.(\d{6}): /.exec(line);
  if (m) return Number(m[1]) * 1000 + Number(m[2]) / 1000;
  // kmsd (pino) writes JSON lines with "time":"<ISO 8601>".
  const j = /"time":"(\d{4}-\d\d-\d\dT[^"]+)"/.exec(line);
  if (j) {
    const t = Date.parse(j[1]!);
    return Number.isNaN(t) ? undefined : t;
  }
  return undefined;
}

export class Logs {
  private readonly files = new Map<string, string>();

  add(name: string, path: string): void {
    this.files.set(name, path);
  }
  names(): string[] {
    return [...this.files.keys()];
  }
  path(name: string): string {
    const p = this.files.get(name);
    if (!p) throw new Error(`no log named '${name}' (have: ${this.names().join(', ')})`);
    return p;
  }

  /** Current end of a log, to look only at what comes after. */
  mark(name: string): number {
    const p = this.path(name);
    return existsSync(p) ? statSync(p).size : 0;
  }

  marks(): Record<string, number> {
    return Object.fromEntries(this.names().map((n) => [n, this.mark(n)]));
  }

  linesSince(name: string, offset = 0): LogLine[] {
    const p = this.path(name);
    if (!existsSync(p)) return [];
    // Read only from the offset: waits poll these logs several times a second, and a hostapd -d log
    // grows to megabytes; re-reading it whole each time costs the (emulated) CPU the daemons need.
    const fd = openSync(p, 'r');
    let buf: Buffer;
    try {
      const size = fstatSync(fd).size;
      if (size <= offset) return [];
      buf = Buffer.alloc(size - offset);
      let got = 0;
      while (got < buf.length) {
        const n = readSync(fd, buf, got, buf.length - got, offset + got);
        if (n === 0) break;
        got += n;
      }
      buf = buf.subarray(0, got);
    } finally {
      closeSync(fd);
    }
    return buf
      .toString('utf8')
      .split('\n')
      .filter((t) => t.length > 0)
      .map((t) => ({ text: t, at: lineTime(t) }));
  }

  find(name: string, offset: number, match: (line: string) => boolean): LogLine | undefined {
    return this.linesSince(name, offset).find((l) => match(l.text));
  }

  waitFor(name: string, offset: number, what: string, match: (line: string) => boolean, timeoutMs: number): Promise<LogLine> {
    return until(`'${what}' in the ${name} log`, timeoutMs, async () => this.find(name, offset, match), 100);
  }

  /**
   * The lines that most likely explain a failure: everything since the mark that looks like trouble,
   * plus the last few lines, capped so an error message stays readable.
   */
  evidence(name: string, offset: number, tail = 12): string[] {
    const lines = this.linesSince(name, offset).map((l) => l.text);
    const picked = new Set<number>();
    lines.forEach((l, i) => {
      if (EVENT.test(l) || (TROUBLE.test(l) && !NOISE.test(l))) picked.add(i);
    });
    for (let i = Math.max(0, lines.length - tail); i < lines.length; i++) picked.add(i);
    const ordered = [...picked].sort((a, b) => a - b).map((i) => lines[i]!);
    return ordered.length > 40 ? [...ordered.slice(0, 15), '…', ...ordered.slice(-24)] : ordered;
  }
}
