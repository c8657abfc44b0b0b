// The step engine: runs a scenario's steps in order against a Target, which is either the virtual
// lab's world (guest/topology.ts, commands in network namespaces) or real APs and a station reached
// over SSH (hw/hil). Each step has a timeout sized for a slow, shared machine; the first failing step
// stops the run and records the log lines that explain it.
import type { Scenario, Step } from '../scenario.js';
import { describeStep } from '../scenario.js';
import type { DisconnectRecord, RoamRecord, StepRecord } from '../job.js';
import type { WifiFrame } from '../pcap.js';
import { disconnectFrames, explainNoDisconnect, formatDisconnects, reasonText, reloginOf } from '../revocation.js';
import type { LogLine, Logs } from './logs.js';
import type { RunResult } from './exec.js';
import { until, sleep } from './exec.js';
import { BSSID_INFO, NeighborReportError, neighborReportsIn, type NeighborReport } from '../../../daemon/neighbors/neighbor-report.js';
import type { NeighborsResponse } from '../../../daemon/neighbors/api-types.js';

/** wpa_supplicant -d: `RRM: New Neighbor Report - hexdump(len=N): <token> <elements…>` (rrm.c). */
const NR_HEXDUMP = /RRM: New Neighbor Report - hexdump\(len=(\d+)\):((?: [0-9a-f]{2})*)/;

/**
 * The Neighbor Report elements (EID 52) of a station's `RRM: New Neighbor Report` hexdump line
 * (dialog token first), or null when the line is not one; NeighborReportError when the AP sent a
 * malformed one. wpa_supplicant sends the decoded entries only to control-interface monitors
 * (RRM-NEIGHBOR-REP-RECEIVED), not to its log; the log has the bytes.
 */
export function neighborReportFromLog(line: string): NeighborReport[] | null {
  const m = NR_HEXDUMP.exec(line);
  if (!m) return null;
  const b = Buffer.from(m[2]!.replace(/ /g, ''), 'hex');
  return b.length === 0 ? [] : neighborReportsIn(b.subarray(1));
}

/** One entry as wpa_supplicant's RRM-NEIGHBOR-REP-RECEIVED event prints it. */
export function neighborReportEventText(nr: NeighborReport): string {
  return `RRM-NEIGHBOR-REP-RECEIVED bssid=${nr.bssid} info=0x${nr.info.toString(16)} op_class=${nr.opClass} chan=${nr.channel} phy_type=${nr.phyType}`;
}

/** What the steps need from a lab: names → addresses, command channels and time-stamped logs. */
export interface Target {
  /** Logs by node name: AP names (hostapd), station names (wpa_supplicant), 'radius', '<ap>-ssh'. */
  logs: Logs;
  bssidOf(ap: string): string;
  macOf(station: string): string;
  /** wpa_cli on the station, returning stdout; throws when the command cannot run. */
  wpaCli(station: string, args: string[]): Promise<string>;
  hostapdCli(ap: string, args: string[]): Promise<string>;
  /** Runs a shell command on the AP through its SSH server (pinned host key). */
  sshAp(ap: string, command: string, timeoutMs: number): Promise<RunResult>;
  /** Values for {ctrlDir}, {ifname} and {bssid} in ssh commands. */
  apPlaceholders(ap: string): Record<string, string>;
  /** Replaces {<ap>}, {<station>} and {kms} by MAC addresses (labs that know them). */
  fillNames?(text: string): string;
  /** The KMS, in labs that run one (the virtual lab with a kms: section). */
  kms?: KmsTarget;
  /** Stopping and starting an AP's SSH server (the virtual lab). */
  apSsh?: { down(ap: string): Promise<void>; up(ap: string): Promise<void> };
  /** The frames on the air so far (labs with a capture they can read while it runs). */
  frames?(): WifiFrame[];
}

export interface KmsTarget {
  /** Log name of kmsd's log in `logs`. */
  logName: string;
  kill(signal: 'KILL' | 'TERM'): Promise<void>;
  start(timeoutMs: number): Promise<void>;
  /** GET /v1/stations/<mac> (what `kmsctl station <mac> --json` prints); null when the KMS has no record. */
  station(mac: string): Promise<Record<string, unknown> | null>;
  /** kmsd's Prometheus text (GET /metrics). */
  metrics(): Promise<string>;
  /** kmsctl with the lab's kmsd config; exit code and output. */
  kmsctl(args: string[]): Promise<{ code: number | null; output: string }>;
  /** GET /v1/stations/<mac>/placements (or null when the KMS does not serve it). */
  placements(mac: string): Promise<Record<string, unknown>[] | null>;
  /** Sends one bad R0KH-R1KH frame to the KMS from the AP's bridge; returns what was sent. */
  injectRrb(fromAp: string, frame: string): Promise<string>;
  /** `kmsctl revoke <mac>` or `POST /v1/stations/<mac>/revoke`; throws unless it succeeded; returns its output. */
  revoke(mac: string, via: 'kmsctl' | 'api'): Promise<string>;
}

/** Default timeouts: four times the slowest quiet timing measured for each kind of step, or more. */
export const DEFAULT_TIMEOUT_MS = { join: 40_000, roam: 25_000, wait: 20_000, ssh: 60_000, kms: 60_000 } as const;

export class StepFailure extends Error {
  constructor(
    message: string,
    readonly logNames: string[],
  ) {
    super(message);
  }
}

export class StepRunner {
  /** Which AP each station is associated with, as far as the steps know. */
  private readonly current = new Map<string, string>();
  readonly roams: RoamRecord[] = [];
  readonly records: StepRecord[] = [];
  readonly disconnects: DisconnectRecord[] = [];
  /** When each station last started to join or roam, and to which AP (expect-disconnect looks from there). */
  private readonly arrivals = new Map<string, { ap: string; at: number; apMark: number; stationMark: number }>();
  /** The last disconnect expect-disconnect saw per station, with the station's log mark at that step's start. */
  private readonly disconnected = new Map<string, { ap: string; at: number; stationMark: number }>();
  /** When kmsd logged each station's revocation (`station revoked`): expect-disconnect with since: revoke times from there. */
  private readonly revokedAt = new Map<string, number>();
  /** Log marks taken at the start of the previous step: `wait` looks from there on. */
  private previousMarks: Record<string, number> = {};

  constructor(
    private readonly s: Scenario,
    private readonly w: Target,
    private readonly timeScale: number,
  ) {}

  private t(ms: number | undefined, fallback: number): number {
    return Math.round((ms ?? fallback) * this.timeScale);
  }
  private ap(name: string) {
    return { name, bssid: this.w.bssidOf(name), index: this.s.aps.findIndex((a) => a.name === name) };
  }
  private sta(name: string) {
    return { name, mac: this.w.macOf(name) };
  }
  private wpaCli(station: string, ...args: string[]): Promise<string> {
    return this.w.wpaCli(station, args);
  }
  private hostapdCli(apName: string, ...args: string[]): Promise<string> {
    return this.w.hostapdCli(apName, args);
  }

  /** Runs every step; returns false at the first failure (recorded with evidence). */
  async runAll(): Promise<boolean> {
    let failedCounted = false;
    for (const [index, step] of this.s.steps.entries()) {
      const description = describeStep(step, index);
      const marks = this.w.logs.marks();
      const startedAt = Date.now();
      console.log(`vlab: ${description} …`);
      try {
        await this.runStep(step, marks);
        this.records.push({ index, description, ok: true, startedAt, endedAt: Date.now() });
        console.log(`vlab: ${description} ok in ${Date.now() - startedAt} ms`);
      } catch (e) {
        const names = e instanceof StepFailure ? e.logNames : this.w.logs.names();
        const evidence: Record<string, string[]> = {};
        for (const n of names) evidence[n] = this.w.logs.evidence(n, marks[n] ?? 0);
        this.records.push({ index, description, ok: false, startedAt, endedAt: Date.now(), error: (e as Error).message, evidence });
        console.log(`vlab: ${description} FAILED: ${(e as Error).message}`);
        if (!('roam' in step && step.roam.onFailure === 'count')) return false;
        failedCounted = true;
        this.previousMarks = marks;
        continue;
      }
      this.previousMarks = marks;
    }
    return !failedCounted;
  }

  private async runStep(step: Step, marks: Record<string, number>): Promise<void> {
    if ('join' in step) return this.join(step.join.station, step.join.ap, this.t(step.join.timeoutMs, DEFAULT_TIMEOUT_MS.join), marks);
    if ('roam' in step)
      return this.roam(
        step.roam.station,
        step.roam.to,
        step.roam.via,
        this.t(step.roam.timeoutMs, DEFAULT_TIMEOUT_MS.roam),
        marks,
        step.roam.onFailure === 'count',
      );
    if ('wait' in step) {
      const { node, event } = step.wait;
      const from = this.previousMarks[node] ?? 0;
      await this.expectLine(node, from, event, (l) => l.includes(event), this.t(step.wait.timeoutMs, DEFAULT_TIMEOUT_MS.wait), [node]);
      return;
    }
    if ('assert' in step) {
      const { node, logContains, logLacks } = step.assert;
      const lines = this.w.logs.linesSince(node, 0);
      if (logContains !== undefined && !lines.some((l) => l.text.includes(logContains)))
        throw new StepFailure(`the ${node} log does not contain '${logContains}'`, [node]);
      if (logLacks !== undefined) {
        const hit = lines.find((l) => l.text.includes(logLacks));
        if (hit) throw new StepFailure(`the ${node} log contains '${logLacks}': ${hit.text}`, [node]);
      }
      return;
    }
    if ('cli' in step) {
      const { node } = step.cli;
      const args = this.fill(step.cli.args);
      const expect = step.cli.expect === undefined ? undefined : this.fill(step.cli.expect);
      const lacks = step.cli.lacks === undefined ? undefined : this.fill(step.cli.lacks);
      const argv = args.split(/\s+/);
      const isAp = this.s.aps.some((a) => a.name === node);
      const once = async () => {
        const out = isAp ? await this.hostapdCli(node, ...argv) : await this.wpaCli(node, ...argv);
        console.log(
          `vlab: ${node}> ${args}\n${out
            .trimEnd()
            .split('\n')
            .map((l) => `vlab:   ${l}`)
            .join('\n')}`,
        );
        return out;
      };
      let out = await once();
      const done = (o: string) => (expect === undefined || o.includes(expect)) && (lacks === undefined || !o.includes(lacks));
      if (!done(out) && step.cli.timeoutMs !== undefined) {
        const deadline = Date.now() + this.t(step.cli.timeoutMs, 0);
        while (!done(out) && Date.now() < deadline) {
          await sleep(1000);
          out = await once();
        }
      }
      if (expect !== undefined && !out.includes(expect)) throw new StepFailure(`'${args}' on ${node} printed no '${expect}'`, [node]);
      if (lacks !== undefined && out.includes(lacks)) throw new StepFailure(`'${args}' on ${node} printed '${lacks}'`, [node]);
      return;
    }
    if ('kms-kill' in step) return this.kms().kill(step['kms-kill'].signal);
    if ('kms-start' in step) return this.kms().start(this.t(step['kms-start'].timeoutMs, 60_000));
    if ('ap-ssh-down' in step) return this.apSsh().down(step['ap-ssh-down'].ap);
    if ('ap-ssh-up' in step) return this.apSsh().up(step['ap-ssh-up'].ap);
    if ('assert-hostapd-log' in step) {
      const a = step['assert-hostapd-log'];
      return this.assertLog(
        a.ap,
        this.fill(a.pattern),
        this.from(a.since, a.ap, marks),
        a.absent,
        a.count,
        this.t(a.timeoutMs, DEFAULT_TIMEOUT_MS.wait),
      );
    }
    if ('assert-kms' in step) return this.assertKms(step['assert-kms'], marks);
    if ('inject-rrb' in step) {
      const out = await this.kms().injectRrb(step['inject-rrb'].from, step['inject-rrb'].frame);
      console.log(`vlab: inject-rrb: ${out.trim()}`);
      return;
    }
    if ('neighbor-report' in step) return this.neighborReport(step['neighbor-report']);
    if ('kms-revoke' in step)
      return this.revoke(
        step['kms-revoke'].station,
        step['kms-revoke'].via,
        this.t(step['kms-revoke'].timeoutMs, DEFAULT_TIMEOUT_MS.kms),
        marks,
      );
    if ('expect-disconnect' in step) {
      const d = step['expect-disconnect'];
      return this.expectDisconnect(d.station, d.ap, d.withinMs, d.since, this.t(d.timeoutMs, DEFAULT_TIMEOUT_MS.wait));
    }
    if ('rejoin' in step) return this.rejoin(step.rejoin.station, this.t(step.rejoin.timeoutMs, DEFAULT_TIMEOUT_MS.join));
    if ('ssh' in step) return this.ssh(step.ssh.ap, step.ssh.run, step.ssh.expect, this.t(step.ssh.timeoutMs, DEFAULT_TIMEOUT_MS.ssh));
    await sleep(step.sleep.ms);
  }

  private fill(text: string): string {
    return this.w.fillNames ? this.w.fillNames(text) : text;
  }

  private kms(): KmsTarget {
    if (!this.w.kms) throw new StepFailure('this lab runs no KMS (the scenario needs an enabled kms: section, and the virtual lab)', []);
    return this.w.kms;
  }

  private apSsh(): NonNullable<Target['apSsh']> {
    if (!this.w.apSsh) throw new StepFailure('this lab cannot stop and start AP SSH servers', []);
    return this.w.apSsh;
  }

  private from(since: 'start' | 'previous' | 'step', log: string, marks: Record<string, number>): number {
    return since === 'start' ? 0 : since === 'previous' ? (this.previousMarks[log] ?? 0) : (marks[log] ?? 0);
  }

  /** Waits for `count` lines matching `pattern` in a log (or checks there is none, with absent). */
  private async assertLog(log: string, pattern: string, from: number, absent: boolean, count: number, timeoutMs: number): Promise<void> {
    const re = new RegExp(pattern);
    const matching = () => this.w.logs.linesSince(log, from).filter((l) => re.test(l.text));
    if (absent) {
      const hit = matching()[0];
      if (hit) throw new StepFailure(`the ${log} log has /${pattern}/: ${hit.text}`, [log]);
      return;
    }
    let hits: ReturnType<typeof matching> = [];
    try {
      await until(
        `${count} line(s) matching /${pattern}/ in the ${log} log`,
        timeoutMs,
        async () => {
          hits = matching();
          return hits.length >= count ? true : undefined;
        },
        200,
      );
    } catch (e) {
      throw new StepFailure(`${(e as Error).message}${hits.length > 0 ? ` (found ${hits.length})` : ''}`, [log]);
    }
    for (const h of hits.slice(0, 3)) console.log(`vlab: ${log}: ${h.text.slice(0, 300)}`);
  }

  private async assertKms(a: Extract<Step, { 'assert-kms': unknown }>['assert-kms'], marks: Record<string, number>): Promise<void> {
    const kms = this.kms();
    const timeoutMs = this.t(a.timeoutMs, DEFAULT_TIMEOUT_MS.kms);
    if (a.kmsctl !== undefined) {
      const args = this.fill(a.kmsctl);
      const r = await kms.kmsctl(args.split(/\s+/));
      console.log(
        `vlab: kmsctl ${args} (exit ${r.code})\n${r.output
          .trimEnd()
          .split('\n')
          .slice(0, 40)
          .map((l) => `vlab:   ${l}`)
          .join('\n')}`,
      );
      if (r.code !== 0) throw new StepFailure(`kmsctl ${args} exited ${r.code}: ${r.output.trim()}`, [kms.logName]);
      const expect = a.expect === undefined ? undefined : this.fill(a.expect);
      if (expect !== undefined && !r.output.includes(expect)) throw new StepFailure(`kmsctl ${args} printed no '${expect}'`, [kms.logName]);
    }
    if (a.log !== undefined) {
      await this.assertLog(kms.logName, this.fill(a.log), this.from(a.since, kms.logName, marks), a.absent, 1, timeoutMs);
    }
    if (!a.record && !a.placements && a.metric === undefined && !a.neighbors) return;
    const mac = a.station === undefined ? '' : this.sta(a.station).mac;
    let last: string[] = [];
    const check = async (): Promise<true | undefined> => {
      const problems: string[] = [];
      if (a.metric !== undefined) {
        const re = new RegExp(this.fill(a.metric), 'm');
        const text = await kms.metrics();
        const hit = text.split('\n').find((l) => re.test(l));
        if (!hit)
          problems.push(
            `no /metrics line matches /${a.metric}/ (${text
              .split('\n')
              .filter((l) => l.startsWith('kms_rrb_frames_total'))
              .join('; ')
              .slice(0, 600)})`,
          );
        else console.log(`vlab: metric: ${hit}`);
      }
      if (a.record) {
        const record = await kms.station(mac);
        if (!record) problems.push(`the KMS has no record of ${a.station} (${mac})`);
        else {
          for (const [path, want] of Object.entries(a.record)) {
            const got = path
              .split('.')
              .reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), record);
            if (JSON.stringify(got) !== JSON.stringify(want))
              problems.push(`record.${path} is ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
          }
        }
      }
      if (a.placements) {
        const ps = await kms.placements(mac);
        if (!ps) problems.push('the KMS serves no placements');
        else {
          for (const e of a.placements) {
            const found = ps.some(
              (p) =>
                p.ap === e.ap &&
                (e.kind === undefined || p.kind === e.kind) &&
                (e.state === undefined || p.state === e.state) &&
                (e.via === undefined || p.via === e.via),
            );
            if (!found)
              problems.push(
                `no placement ${JSON.stringify(e)} (has: ${ps.map((p) => `${p.ap}/${p.kind}/${p.state}/${p.via}`).join(', ') || 'none'})`,
              );
          }
          console.log(`vlab: placements of ${a.station}: ${ps.map((p) => `${p.ap}/${p.kind}/${p.state}/${p.via}`).join(', ') || 'none'}`);
        }
      }
      if (a.neighbors) problems.push(...(await this.checkNeighbors(kms, a.neighbors)));
      last = problems;
      return problems.length === 0 ? true : undefined;
    };
    try {
      await until(`the KMS's view${a.station ? ` of ${a.station}` : ''}`, timeoutMs, check, 1000);
    } catch (e) {
      throw new StepFailure(`${(e as Error).message}: ${last.join('; ')}`, [kms.logName]);
    }
  }

  /** `kmsctl neighbors <ap> --json` (GET /v1/neighbors?ap=) against what the step expects; returns the problems. */
  private async checkNeighbors(
    kms: KmsTarget,
    n: NonNullable<Extract<Step, { 'assert-kms': unknown }>['assert-kms']['neighbors']>,
  ): Promise<string[]> {
    const r = await kms.kmsctl(['neighbors', n.ap, '--json']);
    if (r.code !== 0) return [`kmsctl neighbors ${n.ap} --json exited ${r.code}: ${r.output.trim().slice(0, 300)}`];
    let snap: NeighborsResponse;
    try {
      snap = JSON.parse(r.output.slice(r.output.indexOf('{'), r.output.lastIndexOf('}') + 1)) as NeighborsResponse;
    } catch (e) {
      return [`kmsctl neighbors ${n.ap} --json printed no JSON (${(e as Error).message}): ${r.output.slice(0, 200)}`];
    }
    const list = snap.aps.find((x) => x.name === n.ap)?.neighbors ?? [];
    const text = list
      .map(
        (x) =>
          `${x.ap}${x.pinned ? ' (pinned)' : ''} score=${x.score} signal=${x.signalDbm ?? '-'} reports=${x.observations} roams=${x.roams}`,
      )
      .join(', ');
    console.log(`vlab: neighbours of ${n.ap} (GET /v1/neighbors): ${text || 'none'}`);
    const problems: string[] = [];
    const names = list.map((x) => x.ap);
    for (const ap of n.includes) {
      const e = list.find((x) => x.ap === ap);
      if (!e) problems.push(`${ap} is not in ${n.ap}'s list [${names.join(', ')}]`);
      else if (!e.pinned && e.observations < n.minObservations)
        problems.push(`${ap} has ${e.observations} observations, expected ≥ ${n.minObservations}`);
    }
    for (const ap of n.excludes) if (names.includes(ap)) problems.push(`${ap} is in ${n.ap}'s list [${names.join(', ')}]`);
    if (n.pinned) {
      const pinned = list
        .filter((x) => x.pinned)
        .map((x) => x.ap)
        .sort();
      if (JSON.stringify(pinned) !== JSON.stringify([...n.pinned].sort()))
        problems.push(`pinned entries of ${n.ap} are [${pinned.join(', ')}], expected [${n.pinned.join(', ')}]`);
    }
    if (problems.length === 0) console.log(`vlab: GET /v1/neighbors?ap=${n.ap}: ${JSON.stringify(snap)}`);
    return problems;
  }

  /** wpa_cli neighbor_rep_request, then the answer from the station's debug log (repeated until complete or timeoutMs). */
  private async neighborReport(n: Extract<Step, { 'neighbor-report': unknown }>['neighbor-report']): Promise<void> {
    const station = n.station;
    const deadline = Date.now() + this.t(n.timeoutMs, 0);
    let problems: string[] = [];
    for (;;) {
      const mark = this.w.logs.mark(station);
      const reply = await this.wpaCli(station, 'neighbor_rep_request');
      if (!reply.includes('OK')) throw new StepFailure(`wpa_cli neighbor_rep_request on ${station} answered: ${reply.trim()}`, [station]);
      const line = await this.expectLine(
        station,
        mark,
        'RRM: New Neighbor Report',
        (l) => NR_HEXDUMP.test(l) || l.includes('RRM: Neighbor report request timed out'),
        this.t(undefined, 10_000),
        [station],
      );
      let entries: NeighborReport[] | null;
      try {
        entries = neighborReportFromLog(line.text);
      } catch (e) {
        if (!(e instanceof NeighborReportError)) throw e;
        throw new StepFailure(`malformed neighbour report for ${station} (${e.reason}): ${line.text}`, [station]);
      }
      if (entries === null) throw new StepFailure(`no neighbour report for ${station}: ${line.text}`, [station]);
      console.log(`vlab: ${station}: neighbour report with ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}`);
      for (const e of entries) console.log(`vlab:   ${neighborReportEventText(e)}`);
      problems = [];
      for (const ap of n.expect) {
        const bssid = this.w.bssidOf(ap);
        const e = entries.find((x) => x.bssid === bssid);
        if (!e) problems.push(`${ap} (${bssid}) is not in the report`);
        else if (n.mobilityDomain && (e.info & BSSID_INFO.MOBILITY_DOMAIN) === 0)
          problems.push(`${ap}'s entry has no Mobility Domain bit (info=0x${e.info.toString(16)})`);
      }
      for (const ap of n.lacks)
        if (entries.some((x) => x.bssid === this.w.bssidOf(ap))) problems.push(`${ap} (${this.w.bssidOf(ap)}) is in the report`);
      if (problems.length === 0) return;
      if (Date.now() > deadline) throw new StepFailure(`${station}'s neighbour report: ${problems.join('; ')}`, [station]);
      await sleep(2000);
    }
  }

  private async expectLine(log: string, from: number, what: string, match: (l: string) => boolean, timeoutMs: number, explain: string[]) {
    try {
      return await this.w.logs.waitFor(log, from, what, match, timeoutMs);
    } catch (e) {
      throw new StepFailure((e as Error).message, explain);
    }
  }

  private async join(station: string, apName: string, timeoutMs: number, marks: Record<string, number>): Promise<void> {
    const sta = this.sta(station);
    const ap = this.ap(apName);
    const explain = [station, apName, 'radius'];
    // Pin the network to this AP for the join (bssid_hint is ignored when wpa_supplicant does its own
    // SME, as with mac80211), and unpin it afterwards so later roams and BSS TM steering can choose.
    await this.wpaCli(station, 'set_network', '0', 'bssid', ap.bssid);
    this.arrivals.set(station, { ap: apName, at: Date.now(), apMark: marks[apName] ?? 0, stationMark: marks[station] ?? 0 });
    await this.wpaCli(station, 'select_network', '0');
    const deadline = Date.now() + timeoutMs;
    // An EAP failure ends the step at once instead of waiting out the timeout.
    const connected = await this.expectLine(
      station,
      marks[station]!,
      `CTRL-EVENT-CONNECTED to ${ap.bssid}`,
      (l) => l.includes('CTRL-EVENT-CONNECTED') || l.includes('CTRL-EVENT-EAP-FAILURE'),
      timeoutMs,
      explain,
    );
    if (connected.text.includes('CTRL-EVENT-EAP-FAILURE'))
      throw new StepFailure(`EAP failed for ${station} at ${apName}: ${connected.text}`, explain);
    if (!connected.text.includes(ap.bssid)) throw new StepFailure(`${station} connected to the wrong AP: ${connected.text}`, explain);
    await this.expectLine(
      apName,
      marks[apName]!,
      `AP-STA-CONNECTED ${sta.mac}`,
      (l) => l.includes(`AP-STA-CONNECTED ${sta.mac}`),
      Math.max(1000, deadline - Date.now()),
      explain,
    );
    await this.wpaCli(station, 'set_network', '0', 'bssid', 'any');
    this.current.set(station, apName);
  }

  /** Makes sure the station has the target in its scan results (roam refuses unknown BSSes). */
  private async ensureInScan(station: string, bssid: string, timeoutMs: number): Promise<void> {
    const known = async () => (await this.wpaCli(station, 'bss', bssid)).includes(`bssid=${bssid}`);
    if (await known()) return;
    await until(`${bssid} in ${station}'s scan results`, timeoutMs, async () => {
      if (await known()) return true;
      await this.wpaCli(station, 'scan').catch(() => undefined);
      await sleep(1500);
      return (await known()) ? true : undefined;
    });
  }

  private async roam(
    station: string,
    toName: string,
    via: 'wpa_cli' | 'bss-tm',
    timeoutMs: number,
    marks: Record<string, number>,
    counting = false,
  ): Promise<void> {
    const sta = this.sta(station);
    const to = this.ap(toName);
    const fromName = this.current.get(station);
    if (!fromName) throw new StepFailure(`${station} is not associated: a roam needs an earlier join`, [station]);
    const from = this.ap(fromName);
    const explain = [station, toName, fromName, 'radius'];
    await this.ensureInScan(station, to.bssid, timeoutMs);

    const mark = this.w.logs.mark(station);
    const requestedAt = Date.now();
    this.arrivals.set(station, { ap: toName, at: requestedAt, apMark: marks[toName] ?? 0, stationMark: mark });
    if (via === 'wpa_cli') {
      const reply = await this.wpaCli(station, 'roam', to.bssid);
      if (!reply.includes('OK')) throw new StepFailure(`wpa_cli roam ${to.bssid} answered: ${reply.trim()}`, explain);
    } else {
      // A BSS Transition Management request from the current AP naming the target as the only candidate.
      const channel = this.s.aps[to.index]!.channel;
      const reply = await this.hostapdCli(
        fromName,
        'bss_tm_req',
        sta.mac,
        'pref=1',
        'abridged=1',
        `neighbor=${to.bssid},0x0000000f,81,${channel},7`,
      );
      if (!reply.includes('OK')) throw new StepFailure(`bss_tm_req on ${fromName} answered: ${reply.trim()}`, explain);
    }
    const record = { station, stationMac: sta.mac, from: fromName, fromBssid: from.bssid, to: toName, toBssid: to.bssid, via, requestedAt };
    const connected = await this.expectLine(
      station,
      mark,
      `CTRL-EVENT-CONNECTED to ${to.bssid}`,
      (l) =>
        (l.includes('CTRL-EVENT-CONNECTED') && l.includes(to.bssid)) ||
        l.includes('CTRL-EVENT-EAP-FAILURE') ||
        (counting && l.includes(`CTRL-EVENT-ASSOC-REJECT bssid=${to.bssid}`)),
      timeoutMs,
      explain,
    ).catch((e: unknown) => {
      // Kept without connectedAt: the host reads the attempt's frames and names why it failed.
      const authStart = this.w.logs.find(station, mark, (l) => /Trying to authenticate with/.test(l) && l.includes(to.bssid));
      this.roams.push({ ...record, authStartAt: authStart?.at });
      throw e;
    });
    if (connected.text.includes('CTRL-EVENT-EAP-FAILURE') || connected.text.includes('CTRL-EVENT-ASSOC-REJECT')) {
      const authStart = this.w.logs.find(station, mark, (l) => /Trying to authenticate with/.test(l) && l.includes(to.bssid));
      this.roams.push({ ...record, authStartAt: authStart?.at });
      if (connected.text.includes('CTRL-EVENT-ASSOC-REJECT'))
        throw new StepFailure(`${toName} refused ${station}'s association: ${connected.text}`, explain);
      throw new StepFailure(`EAP failed for ${station} at ${toName}: ${connected.text}`, explain);
    }
    await this.expectLine(
      toName,
      marks[toName]!,
      `AP-STA-CONNECTED ${sta.mac}`,
      (l) => l.includes(`AP-STA-CONNECTED ${sta.mac}`),
      Math.max(2000, requestedAt + timeoutMs - Date.now()),
      explain,
    );
    const authStart = this.w.logs.find(station, mark, (l) => /Trying to authenticate with/.test(l) && l.includes(to.bssid));
    this.roams.push({ ...record, authStartAt: authStart?.at, connectedAt: connected.at });
    this.current.set(station, toName);
  }

  /** `kmsctl revoke` or the API's POST, then kmsd's `station revoked` line for the station. */
  private async revoke(station: string, via: 'kmsctl' | 'api', timeoutMs: number, marks: Record<string, number>): Promise<void> {
    const kms = this.kms();
    const mac = this.sta(station).mac;
    let out: string;
    try {
      out = await kms.revoke(mac, via);
    } catch (e) {
      // kmsd answers once every AP has been told or given up on: say so when it did revoke.
      const done = this.w.logs.find(
        kms.logName,
        marks[kms.logName] ?? 0,
        (l) => l.includes(`"sta":"${mac}"`) && l.includes('"msg":"station revoked"'),
      );
      const told = this.w.logs
        .linesSince(kms.logName, marks[kms.logName] ?? 0)
        .filter((l) => l.text.includes(`"sta":"${mac}"`) && l.text.includes('"msg":"revocation: Disconnect sent to AP"'));
      const hint = done
        ? ` (kmsd did revoke it at ${new Date(done.at ?? 0).toISOString()} and told ${told.length} AP(s) so far${told.length ? `: ${told.map((l) => /"ap":"([^"]*)".*"result":"([^"]*)"/.exec(l.text)?.slice(1).join(' ') ?? '?').join(', ')}` : ''}; the answer comes after every AP was told or given up on, which for an AP without a DAS whose control channel is down is that channel's command timeout)`
        : '';
      throw new StepFailure(
        `revoking ${station} (${mac}) ${via === 'api' ? 'with POST /v1/stations/<mac>/revoke' : 'with kmsctl revoke'} failed: ${(e as Error).message}${hint}`,
        [kms.logName],
      );
    }
    console.log(`vlab: revoke ${station} via ${via}: ${out.trim().split('\n').slice(0, 6).join(' | ').slice(0, 400)}`);
    const revoked = new RegExp(`"sta":"${mac}".*"msg":"station revoked"`);
    const line = await this.expectLine(
      kms.logName,
      marks[kms.logName] ?? 0,
      `station revoked for ${mac}`,
      (l) => revoked.test(l),
      timeoutMs,
      [kms.logName],
    );
    console.log(`vlab: kms: ${line.text.slice(0, 300)}`);
    if (line.at !== undefined) this.revokedAt.set(station, line.at);
  }

  /** The frames captured so far (read again on every call: the capture grows while the run goes on). */
  private frames(): WifiFrame[] {
    if (!this.w.frames) throw new StepFailure('this lab cannot read its capture while it runs', []);
    return this.w.frames();
  }

  /** Frames until `pick` finds something in them: tcpdump writes each frame at once, the reader may still be a little behind. */
  private async framesUntil<T>(
    pick: (frames: WifiFrame[]) => T | undefined,
    timeoutMs: number,
  ): Promise<{ frames: WifiFrame[]; found?: T }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const frames = this.frames();
      const found = pick(frames);
      if (found !== undefined || Date.now() >= deadline) return { frames, found };
      await sleep(300);
    }
  }

  /**
   * The AP that just let the station in must throw it out (a revoked station): AP-STA-DISCONNECTED
   * in its log and its Deauthentication/Disassociation in the capture, within the bound. The time
   * from the (Re)Association Response to that frame is the measured figure.
   */
  private async expectDisconnect(
    station: string,
    apName: string,
    withinMs: number,
    since: 'admission' | 'revoke',
    timeoutMs: number,
  ): Promise<void> {
    const sta = this.sta(station);
    const ap = this.ap(apName);
    const arrival = this.arrivals.get(station);
    if (!arrival || arrival.ap !== apName)
      throw new StepFailure(`${station}'s last join or roam was not to ${apName}: nothing to be disconnected from`, []);
    const kmsLog = this.w.kms?.logName;
    const explain = [apName, station, ...(kmsLog ? [kmsLog] : [])];
    const gone = `AP-STA-DISCONNECTED ${sta.mac}`;
    try {
      await this.w.logs.waitFor(apName, arrival.apMark, gone, (l) => l.includes(gone), timeoutMs);
    } catch {
      const { frames } = await this.framesUntil(() => undefined, 0);
      const since = (name: string) =>
        this.w.logs
          .linesSince(name, 0)
          .filter((l) => l.at === undefined || l.at >= arrival.at)
          .map((l) => l.text);
      const stillAssociated = await this.hostapdCli(apName, 'sta', sta.mac).then(
        (o) => o.includes(sta.mac),
        () => null,
      );
      const why = explainNoDisconnect({
        station,
        staMac: sta.mac,
        ap: apName,
        bssid: ap.bssid,
        apLines: since(apName),
        kmsLines: kmsLog ? since(kmsLog) : [],
        stillAssociated,
        frames: disconnectFrames(frames, sta.mac, ap.bssid, arrival.at - 5),
      });
      throw new StepFailure(`${apName} did not disconnect ${station} within ${timeoutMs} ms: ${why}`, explain);
    }
    const { found } = await this.framesUntil(
      (frames) => {
        const d = disconnectFrames(frames, sta.mac, ap.bssid, arrival.at - 5);
        return d.disconnect || d.stationLeft ? d : undefined;
      },
      this.t(3000, 0),
    );
    if (!found?.admitted)
      throw new StepFailure(
        `${apName} logged ${gone}, but the capture has no successful (Re)Association Response from ${apName} to ${station} since its last join or roam began`,
        explain,
      );
    if (!found.disconnect) {
      const left = found.stationLeft;
      throw new StepFailure(
        `${apName} logged ${gone}, but the capture has no Deauthentication/Disassociation from ${apName} to ${station}${left ? `: the station left by itself (${left.kind}, ${reasonText(left.reason)})` : ''}`,
        explain,
      );
    }
    const d = found.disconnect;
    const arrivedBy = this.roams.filter((r) => r.station === station).at(-1)?.to === apName ? 'roam' : 'join';
    const bound = this.t(withinMs, 0);
    const revokedAt = this.revokedAt.get(station);
    if (since === 'revoke' && revokedAt === undefined)
      throw new StepFailure(`${station} has no revocation to time from (no kms-revoke step saw kmsd's 'station revoked' for it)`, explain);
    const record = this.disconnectRecord(station, apName, found.admitted, d, bound, arrivedBy, since === 'revoke' ? revokedAt : undefined);
    this.disconnected.set(station, { ap: apName, at: d.at, stationMark: arrival.stationMark });
    if (record.captureMs > bound) {
      const from = since === 'revoke' ? 'the KMS revoked it' : `letting it in (${found.admitted.kind} → ${d.kind})`;
      throw new StepFailure(
        `${apName} disconnected ${station} ${record.captureMs.toFixed(0)} ms after ${from}, over the bound of ${bound} ms`,
        explain,
      );
    }
  }

  /**
   * After a disconnect the station logs in again by itself (wpa_supplicant reconnects, to whichever
   * AP it picks). It may first try a key it still holds (a PMKSA entry, a PMK-R1): an AP that lets
   * it in that way must throw it out again within the same bound, and the login that lasts must be a
   * full EAP authentication the KMS saw as a new Access-Accept.
   */
  private async rejoin(station: string, timeoutMs: number): Promise<void> {
    const first = this.disconnected.get(station);
    if (!first) throw new StepFailure(`${station} was not disconnected by an earlier expect-disconnect step`, []);
    // The bound of the station's last expect-disconnect (already scaled by the time scale).
    const bound = this.disconnects.filter((x) => x.station === station).at(-1)?.withinMs ?? this.t(2000, 0);
    const sta = this.sta(station);
    const kmsLog = this.w.kms?.logName;
    const explain = [station, 'radius', ...(kmsLog ? [kmsLog] : [])];
    let from = { ap: first.ap, at: first.at };
    for (let login = 1; login <= 4; login++) {
      const { toName, bssid, connectedAt, authStartAt } = await this.nextLogin(station, first.stationMark, from, timeoutMs, explain);
      const { found: how } = await this.framesUntil(
        (frames) => {
          const r = reloginOf(frames, sta.mac, bssid, from.at, connectedAt);
          return r.method === 'unknown' ? undefined : r;
        },
        this.t(3000, 0),
      );
      if (!how)
        throw new StepFailure(
          `${station} logged in again at ${toName}, but the capture holds no authentication between them after the disconnect`,
          explain,
        );
      console.log(
        `vlab: ${station} logged in again at ${toName}: ${how.method}, ${how.eapFrames} EAP frames, ${how.eapolKeyFrames} EAPOL-Key frames`,
      );
      this.roams.push({
        station,
        stationMac: sta.mac,
        from: from.ap,
        fromBssid: this.w.bssidOf(from.ap),
        to: toName,
        toBssid: bssid,
        via: 'reconnect',
        requestedAt: from.at,
        authStartAt,
        connectedAt,
      });
      this.current.set(station, toName);
      if (how.method === 'full-eap') {
        if (kmsLog) await this.expectNewAccept(station, kmsLog, from.at, toName, explain);
        return;
      }
      // A key left behind let it in: the AP must throw it out again like the first one did.
      const left =
        how.method === 'ft'
          ? `by FT (a PMK-R1 ${toName} still held)`
          : `from a cached PMK (${toName} still had a PMKSA entry for it: a 4-way handshake with ${how.eapolKeyFrames} EAPOL-Key frames and no EAP)`;
      const { found } = await this.framesUntil(
        (frames) => disconnectFrames(frames, sta.mac, bssid, connectedAt - 2000).disconnect,
        bound + this.t(5000, 0),
      );
      const admitted = disconnectFrames(this.frames(), sta.mac, bssid, connectedAt - 2000).admitted;
      if (!found || !admitted) {
        const why = explainNoDisconnect({
          station,
          staMac: sta.mac,
          ap: toName,
          bssid,
          stillAssociated: await this.hostapdCli(toName, 'sta', sta.mac).then(
            (o) => o.includes(sta.mac),
            () => null,
          ),
          apLines: this.linesAfter(toName, connectedAt - 2000),
          kmsLines: kmsLog ? this.linesAfter(kmsLog, connectedAt - 2000) : [],
          frames: disconnectFrames(this.frames(), sta.mac, bssid, connectedAt - 2000),
        });
        throw new StepFailure(`${station} logged in again at ${toName} without EAP ${left}, and ${toName} did not disconnect it: ${why}`, [
          ...explain,
          toName,
        ]);
      }
      const record = this.disconnectRecord(station, toName, admitted, found, bound, `login ${how.method}`);
      if (record.captureMs > bound)
        throw new StepFailure(
          `${station} logged in again at ${toName} without EAP ${left}; ${toName} disconnected it ${record.captureMs.toFixed(0)} ms later, over the bound of ${bound} ms`,
          [...explain, toName],
        );
      from = { ap: toName, at: found.at };
    }
    throw new StepFailure(
      `${station} logged in again 4 times without EAP after the revocation (each time disconnected again): no full EAP login`,
      explain,
    );
  }

  /** Log lines written at or after `at` (whole log read once: for failure reports and rare look-ups). */
  private linesAfter(log: string, at: number): string[] {
    return this.w.logs
      .linesSince(log, 0)
      .filter((l) => l.at === undefined || l.at >= at)
      .map((l) => l.text);
  }

  /** The station's first CTRL-EVENT-CONNECTED after `from.at` (nudging wpa_supplicant once if it does not try). */
  private async nextLogin(station: string, stationMark: number, from: { ap: string; at: number }, timeoutMs: number, explain: string[]) {
    const afterFrom = () => this.w.logs.linesSince(station, stationMark).filter((l) => l.at !== undefined && l.at > from.at);
    const started = Date.now();
    let nudged = false;
    let connected: LogLine | undefined;
    try {
      await until(
        `${station} to log in again after ${from.ap} disconnected it`,
        timeoutMs,
        async () => {
          const lines = afterFrom();
          const failure = lines.find((l) => l.text.includes('CTRL-EVENT-EAP-FAILURE'));
          if (failure) throw new StepFailure(`EAP failed for ${station} when it logged in again: ${failure.text}`, explain);
          connected = lines.find((l) => l.text.includes('CTRL-EVENT-CONNECTED'));
          if (connected) return true;
          // wpa_supplicant reconnects by itself after an AP's Deauthentication; if it has not after
          // half the time, ask it to (what is checked is the login, not wpa_supplicant's timers).
          if (!nudged && Date.now() - started > timeoutMs / 2) {
            nudged = true;
            console.log(`vlab: ${station} has not reconnected by itself: wpa_cli reconnect`);
            await this.wpaCli(station, 'reconnect').catch(() => undefined);
          }
          return undefined;
        },
        250,
      );
    } catch (e) {
      if (e instanceof StepFailure) throw e;
      throw new StepFailure((e as Error).message, explain);
    }
    const bssid = /Connection to ([0-9a-f:]{17})/.exec(connected!.text)?.[1];
    const toName = this.s.aps.find((a) => this.w.bssidOf(a.name) === bssid)?.name;
    if (!bssid || !toName) throw new StepFailure(`${station} connected to no AP of the scenario: ${connected!.text}`, explain);
    const authStartAt = afterFrom().find((l) => /Trying to authenticate with/.test(l.text) && l.text.includes(bssid))?.at;
    return { toName, bssid, connectedAt: connected!.at!, authStartAt };
  }

  /** kmsd's `station learned` for the station after `since`: the new Access-Accept went through the KMS. */
  private async expectNewAccept(station: string, kmsLog: string, since: number, at: string, explain: string[]): Promise<void> {
    const learned = new RegExp(`"sta":"${this.sta(station).mac}".*"msg":"station learned"`);
    const mark = { offset: 0 };
    try {
      await until(
        `a new Access-Accept for ${station} through the KMS`,
        this.t(10_000, 0),
        async () =>
          this.w.logs.linesSince(kmsLog, mark.offset).some((l) => l.at !== undefined && l.at >= since && learned.test(l.text))
            ? true
            : undefined,
        500,
      );
    } catch {
      throw new StepFailure(
        `${station} logged in again at ${at} with full EAP, but the KMS logged no 'station learned' for it after the disconnect (no new Access-Accept through the KMS)`,
        explain,
      );
    }
  }

  /** Records (and prints) one disconnect: admission → Deauthentication/Disassociation, and hostapd's events between. */
  private disconnectRecord(
    station: string,
    apName: string,
    admitted: WifiFrame,
    d: WifiFrame,
    withinMs: number,
    how: string,
    revokedAt?: number,
  ): DisconnectRecord {
    const mac = this.sta(station).mac;
    const lines = this.w.logs.linesSince(apName, 0).filter((l) => l.at !== undefined && l.at >= admitted.at - 2000);
    const connectedAt = lines.find((l) => l.text.includes(`AP-STA-CONNECTED ${mac}`))?.at;
    const goneAt = lines.find(
      (l) => l.text.includes(`AP-STA-DISCONNECTED ${mac}`) && (connectedAt === undefined || l.at! >= connectedAt),
    )?.at;
    const eventsMs = connectedAt !== undefined && goneAt !== undefined ? goneAt - connectedAt : null;
    const record: DisconnectRecord = {
      station,
      ap: apName,
      how,
      since: revokedAt === undefined ? 'admission' : 'revoke',
      admittedAt: admitted.at,
      ...(revokedAt === undefined ? {} : { revokedAt }),
      disconnectedAt: d.at,
      frame: d.kind === 'disassoc' ? 'disassoc' : 'deauth',
      reason: d.reason,
      captureMs: d.at - (revokedAt ?? admitted.at),
      eventsMs: revokedAt === undefined ? eventsMs : null,
      withinMs,
    };
    this.disconnects.push(record);
    console.log(`vlab: ${formatDisconnects([record]).split('\n')[1]!.trim()}`);
    return record;
  }

  private async ssh(apName: string, command: string, expect: string | undefined, timeoutMs: number): Promise<void> {
    // Placeholders let one scenario name AP-specific paths that differ between the lab and real APs.
    for (const [key, value] of Object.entries(this.w.apPlaceholders(apName))) command = command.replaceAll(`{${key}}`, value);
    command = this.fill(command);
    const r = await this.w.sshAp(apName, command, timeoutMs);
    const out = `${r.stdout}${r.stderr}`.trim();
    console.log(`vlab: ssh ${apName}: ${out.split('\n').slice(0, 6).join(' | ')}`);
    if (r.code !== 0) throw new StepFailure(`ssh to ${apName} exited ${r.code}: ${out}`, [`${apName}-ssh`]);
    if (expect !== undefined && !out.includes(expect))
      throw new StepFailure(`ssh ${apName} '${command}' printed no '${expect}':\n${out}`, [`${apName}-ssh`, apName]);
  }
}
