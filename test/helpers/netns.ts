/**
 * Process and network-namespace plumbing for the integration tests.
 *
 * Everything a test starts (child processes, namespaces, veth pairs, temp dirs) is registered
 * here so that it is torn down even when a test fails or the worker dies:
 *  - every child is spawned through `setpriv --pdeathsig KILL`, so the kernel kills it if the
 *    Node process that started it goes away without cleaning up (crash, SIGKILL, timeout);
 *    `setpriv` and `ip netns exec` both exec(), so the PID we hold is the real program's PID;
 *  - namespaces and temp dirs are named `kmsT<pid>-…`, veth ends `k<pid base36><n>…`; a later
 *    run deletes namespaces and temp dirs whose creating PID no longer exists (deleting a
 *    namespace also deletes every veth with an end in it, and every veth made here has at
 *    least one end in such a namespace);
 *  - on normal exit and on SIGINT/SIGTERM/SIGHUP, a synchronous handler kills the children we
 *    started (by PID only) and deletes our namespaces and temp dirs.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { rmSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Prefix of every namespace this process creates; includes the PID so runs never collide. */
export const RUN_ID = `kmsT${process.pid}`;
const NETNS_PREFIX_RE = /^kmsT(\d+)-/;
/** Short per-run tag for interface names (IFNAMSIZ is 16 including the NUL). */
const IF_TAG = `k${process.pid.toString(36)}`;

let sequence = 0;
function nextSeq(): number {
  sequence += 1;
  return sequence;
}

// ---------------------------------------------------------------------------------------------
// Exit-time cleanup registry
// ---------------------------------------------------------------------------------------------

/** Synchronous cleanup actions, run in reverse registration order at exit. */
const exitActions = new Map<number, () => void>();
let handlersInstalled = false;

/**
 * Register a synchronous action to run if the process exits before it is unregistered.
 * Returns the function that unregisters it (call it after a normal, awaited cleanup).
 */
export function registerExitCleanup(action: () => void): () => void {
  installExitHandlers();
  const id = nextSeq();
  exitActions.set(id, action);
  return () => {
    exitActions.delete(id);
  };
}

function runExitActions(): void {
  const actions = [...exitActions.values()].reverse();
  exitActions.clear();
  for (const action of actions) {
    try {
      action();
    } catch {
      // Best effort: one failing action must not stop the others.
    }
  }
}

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', runExitActions);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      runExitActions();
      // If nobody else handles this signal, restore the default behaviour (terminate).
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}

/** Remove a directory tree at exit unless the caller removes it first. */
export function registerTempDir(dir: string): () => void {
  return registerExitCleanup(() => rmSync(dir, { recursive: true, force: true }));
}

/** Set KMS_TEST_KEEP=1 to keep temp dirs (configs, logs) for post-mortem debugging. */
export function keepTempFiles(): boolean {
  return process.env.KMS_TEST_KEEP === '1';
}

export interface TempDir {
  readonly path: string;
  /** Delete it now (unless KMS_TEST_KEEP=1). Idempotent. */
  remove(): Promise<void>;
}

let staleTempSwept = false;

/**
 * A fresh directory `$TMPDIR/kmsT<pid>-<kind>-XXXXXX`, removed at exit if the caller does not
 * remove it first. Directories of this pattern left by dead processes are swept on first use.
 */
export async function makeTempDir(kind: string): Promise<TempDir> {
  if (!staleTempSwept) {
    staleTempSwept = true;
    sweepStaleTempDirs();
  }
  const path = await mkdtemp(join(tmpdir(), `${RUN_ID}-${kind}-`));
  const unregister = keepTempFiles() ? () => {} : registerTempDir(path);
  let removed = false;
  return {
    path,
    remove: async () => {
      if (removed) return;
      removed = true;
      unregister();
      if (!keepTempFiles()) await rm(path, { recursive: true, force: true });
    },
  };
}

/** Remove `kmsT<pid>-…` temp dirs whose creating process is gone. */
export function sweepStaleTempDirs(): string[] {
  const removed: string[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync(tmpdir());
  } catch {
    return removed;
  }
  for (const name of entries) {
    const m = NETNS_PREFIX_RE.exec(name);
    if (!m || Number(m[1]) === process.pid || pidAlive(Number(m[1]))) continue;
    rmSync(join(tmpdir(), name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

// ---------------------------------------------------------------------------------------------
// Managed child processes
// ---------------------------------------------------------------------------------------------

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnOptions {
  /** Run inside this network namespace (name as given to `ip netns`). */
  netns?: string | Netns;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Cap on retained output; older lines are dropped (default 32 MiB). */
  maxOutputChars?: number;
}

export interface WaitForLineOptions {
  timeoutMs: number;
  /** Only consider lines at or after this mark (from `mark()`); default: all retained lines. */
  since?: number;
}

export interface ManagedProcess {
  readonly pid: number;
  /** Human-readable command line, for error messages. */
  readonly commandLine: string;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ProcessExit>;
  isRunning(): boolean;
  /** Interleaved stdout+stderr retained so far. */
  output(): string;
  /** A position in the output; pass to `waitForLine({ since })` to ignore earlier lines. */
  mark(): number;
  /** Resolve with the first (retained) line matching `pattern`; reject on timeout or exit. */
  waitForLine(pattern: RegExp, options: WaitForLineOptions): Promise<RegExpExecArray>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  stop(graceMs?: number): Promise<ProcessExit>;
}

function netnsName(netns: string | Netns | undefined): string | undefined {
  if (netns === undefined) return undefined;
  return typeof netns === 'string' ? netns : netns.name;
}

/** argv that runs `command` under a parent-death signal, optionally inside a namespace. */
function wrapArgv(command: string, args: readonly string[], netns?: string): string[] {
  const inner = netns ? ['ip', 'netns', 'exec', netns, command, ...args] : [command, ...args];
  return ['setpriv', '--pdeathsig', 'KILL', ...inner];
}

/** Line buffer with a size cap; line numbers stay stable when old lines are dropped. */
class LineLog {
  private lines: string[] = [];
  private firstLineNo = 0;
  private chars = 0;
  private partial = '';
  private listeners = new Set<() => void>();

  constructor(private readonly maxChars: number) {}

  push(chunk: string): void {
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.addLine(line);
    this.notify();
  }

  /** Flush a trailing line without newline (at process exit). */
  flush(): void {
    if (this.partial !== '') {
      this.addLine(this.partial);
      this.partial = '';
    }
    this.notify();
  }

  get end(): number {
    return this.firstLineNo + this.lines.length;
  }

  lineAt(lineNo: number): string | undefined {
    return this.lines[lineNo - this.firstLineNo];
  }

  get start(): number {
    return this.firstLineNo;
  }

  text(): string {
    return this.lines.join('\n') + (this.lines.length ? '\n' : '') + this.partial;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private addLine(line: string): void {
    this.lines.push(line);
    this.chars += line.length + 1;
    if (this.chars <= this.maxChars) return;
    // Drop old lines down to 3/4 of the cap in one splice: shifting one line per new line made
    // a chatty child (FreeRADIUS logging every request) cost its parent O(lines) per line.
    let drop = 0;
    let chars = this.chars;
    while (chars > (this.maxChars * 3) / 4 && drop < this.lines.length - 1) chars -= this.lines[drop++]!.length + 1;
    this.lines.splice(0, drop);
    this.chars = chars;
    this.firstLineNo += drop;
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

/** Keep only the last `n` lines of a log, for error messages. */
export function tail(text: string, n = 40): string {
  return text.split('\n').slice(-n).join('\n');
}

/**
 * Start a long-running child process (FreeRADIUS, hostapd, wpa_supplicant …) that dies with us.
 * stdin is /dev/null; stdout and stderr are captured line by line.
 */
export function spawnManaged(command: string, args: readonly string[], options: SpawnOptions = {}): ManagedProcess {
  const argv = wrapArgv(command, args, netnsName(options.netns));
  const child: ChildProcess = spawn(argv[0], argv.slice(1), {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) {
    throw new Error(`failed to spawn ${argv.join(' ')}`);
  }
  const pid = child.pid;
  const commandLine = [command, ...args].join(' ');
  const log = new LineLog(options.maxOutputChars ?? 32 * 1024 * 1024);
  let running = true;

  // If the test process exits abruptly, make sure the child goes too (pdeathsig is the backstop).
  const unregister = registerExitCleanup(() => {
    if (running) killQuietly(pid, 'SIGKILL');
  });

  child.stdout?.setEncoding('utf8').on('data', (d: string) => log.push(d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => log.push(d));
  const exited = new Promise<ProcessExit>((resolve) => {
    // 'close' fires after the stdio streams are drained, so output() is complete by then.
    child.on('close', (code, signal) => {
      running = false;
      unregister();
      log.flush();
      resolve({ code, signal });
    });
    child.on('error', (err) => {
      log.push(`\n[spawn error] ${err.message}\n`);
    });
  });

  const waitForLine = (pattern: RegExp, opts: WaitForLineOptions): Promise<RegExpExecArray> =>
    new Promise((resolve, reject) => {
      let next = Math.max(opts.since ?? log.start, log.start);
      let done = false;
      const finish = (fn: () => void): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        off();
        fn();
      };
      const scan = (): void => {
        if (done) return;
        next = Math.max(next, log.start);
        for (; next < log.end; next++) {
          const line = log.lineAt(next) ?? '';
          const m = pattern.exec(line);
          if (m) {
            finish(() => resolve(m));
            return;
          }
        }
        if (!running) {
          finish(() => reject(new Error(`${command} exited before printing ${pattern}\n${tail(log.text())}`)));
        }
      };
      const timer = setTimeout(
        () =>
          finish(() =>
            reject(new Error(`timed out after ${opts.timeoutMs} ms waiting for ${pattern} from ${command}\n${tail(log.text())}`)),
          ),
        opts.timeoutMs,
      );
      const off = log.onChange(scan);
      void exited.then(scan);
      scan();
    });

  const stop = async (graceMs = 5000): Promise<ProcessExit> => {
    if (running) killQuietly(pid, 'SIGTERM');
    const timer = setTimeout(() => {
      if (running) killQuietly(pid, 'SIGKILL');
    }, graceMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    pid,
    commandLine,
    exited,
    isRunning: () => running,
    output: () => log.text(),
    mark: () => log.end,
    waitForLine,
    stop,
  };
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface RunOptions {
  netns?: string | Netns;
  /** Kill the command (SIGKILL) after this long; default 60 s. */
  timeoutMs?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Run a short command to completion (also under pdeathsig) and collect its output.
 * Never rejects for a non-zero exit: callers decide what a failure means.
 */
export function runCommand(command: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
  const argv = wrapArgv(command, args, netnsName(options.netns));
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pid = child.pid;
    const unregister = pid === undefined ? () => {} : registerExitCleanup(() => killQuietly(pid, 'SIGKILL'));
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      if (pid !== undefined) killQuietly(pid, 'SIGKILL');
    }, options.timeoutMs ?? 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      unregister();
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      unregister();
      resolve({ code, signal, stdout, stderr, durationMs: performance.now() - started });
    });
  });
}

/** Run a command and throw (with its output) unless it exits 0. */
export async function runChecked(command: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  const r = await runCommand(command, args, options);
  if (r.code !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (code ${r.code}, signal ${r.signal}):\n${r.stderr}${r.stdout}`);
  }
  return r.stdout;
}

// ---------------------------------------------------------------------------------------------
// Namespaces
// ---------------------------------------------------------------------------------------------

export interface Netns {
  readonly name: string;
  /** Run a short command inside the namespace. */
  run(command: string, args: readonly string[], options?: Omit<RunOptions, 'netns'>): Promise<CommandResult>;
  /** Start a long-running process inside the namespace. */
  spawn(command: string, args: readonly string[], options?: Omit<SpawnOptions, 'netns'>): ManagedProcess;
  /** Delete the namespace (stop its processes first). Idempotent. */
  destroy(): Promise<void>;
}

/** True when this process can create namespaces (root); the wired tests need it. */
export function canUseNetns(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

let staleSwept = false;

/**
 * Delete namespaces left behind by earlier runs whose process is gone (a crashed or killed
 * test worker). Only names of our own pattern with a dead creator PID are touched.
 */
export function sweepStaleNamespaces(): string[] {
  let listing = '';
  try {
    listing = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const line of listing.split('\n')) {
    const name = line.split(' ')[0];
    const m = NETNS_PREFIX_RE.exec(name);
    if (!m || Number(m[1]) === process.pid || pidAlive(Number(m[1]))) continue;
    try {
      execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
      removed.push(name);
    } catch {
      // Someone else removed it meanwhile.
    }
  }
  return removed;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Create a fresh namespace `kmsT<pid>-<label>-<n>` with loopback up.
 * `label` is only for readability in `ip netns list`.
 */
export async function createNetns(label = 'ns'): Promise<Netns> {
  if (!staleSwept) {
    staleSwept = true;
    sweepStaleNamespaces();
  }
  const name = `${RUN_ID}-${label.replace(/[^A-Za-z0-9_]/g, '')}-${nextSeq()}`;
  await runChecked('ip', ['netns', 'add', name]);
  const unregister = registerExitCleanup(() => {
    execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
  });
  let destroyed = false;
  const ns: Netns = {
    name,
    run: (command, args, options = {}) => runCommand(command, args, { ...options, netns: name }),
    spawn: (command, args, options = {}) => spawnManaged(command, args, { ...options, netns: name }),
    destroy: async () => {
      if (destroyed) return;
      destroyed = true;
      unregister();
      await runCommand('ip', ['netns', 'del', name]);
    },
  };
  await runChecked('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  return ns;
}

// ---------------------------------------------------------------------------------------------
// veth pairs
// ---------------------------------------------------------------------------------------------

export interface VethEndSpec {
  /** Namespace for this end; `null` means the root namespace (only one end may be root). */
  netns: Netns | null;
  /** IPv4 address with prefix, e.g. `10.77.1.1/30`; omit for a pure L2 port. */
  address?: string;
  /** Optional fixed MAC (lower-case, colon-separated). */
  mac?: string;
}

export interface VethEnd {
  netns: Netns | null;
  ifname: string;
  mac: string;
  /** Address without prefix length, if one was assigned. */
  ip?: string;
}

export interface VethPair {
  a: VethEnd;
  b: VethEnd;
  /** Delete the pair (removing one end removes both). Idempotent. */
  destroy(): Promise<void>;
}

/** A fresh interface name that is unique for this run and fits in IFNAMSIZ. */
export function uniqueIfname(suffix: string): string {
  const name = `${IF_TAG}${nextSeq().toString(36)}${suffix}`;
  if (name.length > 15) throw new Error(`interface name too long: ${name}`);
  return name;
}

function ipArgs(netns: Netns | null, ...args: string[]): string[] {
  return netns ? ['-n', netns.name, ...args] : args;
}

/**
 * Create a veth pair between two namespaces (or one namespace and the root namespace),
 * set optional MACs and IPv4 addresses, and bring both ends up.
 *
 * At least one end must be in a namespace we created: deleting that namespace then removes
 * the pair, which is what makes crash cleanup (`sweepStaleNamespaces`) complete.
 */
export async function createVeth(aSpec: VethEndSpec, bSpec: VethEndSpec): Promise<VethPair> {
  if (!aSpec.netns && !bSpec.netns) {
    throw new Error('createVeth: at least one end must be in a test namespace');
  }
  // Create the pair with its first end in a namespace, so nothing exists only in the root.
  const [first, second] = aSpec.netns ? [aSpec, bSpec] : [bSpec, aSpec];
  const firstName = uniqueIfname('a');
  const secondName = uniqueIfname('b');
  const create = ['link', 'add', firstName, 'type', 'veth', 'peer', 'name', secondName];
  if (second.netns) create.push('netns', second.netns.name);
  // `ip link add … peer … netns X` creates both ends in the current namespace, then moves the
  // peer; running it with `-n first` puts the first end straight into the first namespace.
  // When the second end belongs in the root namespace we create there and move the first end.
  if (second.netns) {
    await runChecked('ip', ipArgs(first.netns, ...create));
  } else {
    await runChecked('ip', ['link', 'add', secondName, 'type', 'veth', 'peer', 'name', firstName, 'netns', first.netns!.name]);
  }
  const ends: VethEnd[] = [];
  for (const [spec, ifname] of [
    [first, firstName],
    [second, secondName],
  ] as const) {
    ends.push(await configureEnd(spec, ifname));
  }
  const [firstEnd, secondEnd] = ends;
  const [a, b] = aSpec.netns ? [firstEnd, secondEnd] : [secondEnd, firstEnd];
  let destroyed = false;
  return {
    a,
    b,
    destroy: async () => {
      if (destroyed) return;
      destroyed = true;
      await runCommand('ip', ipArgs(firstEnd.netns, 'link', 'del', firstEnd.ifname));
    },
  };
}

async function configureEnd(spec: VethEndSpec, ifname: string): Promise<VethEnd> {
  if (spec.mac) await runChecked('ip', ipArgs(spec.netns, 'link', 'set', ifname, 'address', spec.mac));
  if (spec.address) await runChecked('ip', ipArgs(spec.netns, 'addr', 'add', spec.address, 'dev', ifname));
  await runChecked('ip', ipArgs(spec.netns, 'link', 'set', ifname, 'up'));
  const json = await runChecked('ip', ipArgs(spec.netns, '-j', 'link', 'show', ifname));
  const [info] = JSON.parse(json) as Array<{ address: string }>;
  return { netns: spec.netns, ifname, mac: info.address, ip: spec.address?.split('/')[0] };
}

// ---------------------------------------------------------------------------------------------
// Private IPv4 subnets for links that touch the root namespace
// ---------------------------------------------------------------------------------------------

export interface Subnet30 {
  /** e.g. 10.213.4.0 */
  network: string;
  /** first host (…1) and second host (…2), without prefix */
  first: string;
  second: string;
  prefixLength: 30;
}

let subnetCounter = 0;

function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

function intToIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** Prefixes (network int, length) in use in the root namespace, excluding the default route. */
function rootPrefixesInUse(): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const routes = JSON.parse(execFileSync('ip', ['-j', '-4', 'route', 'show', 'table', 'all'], { encoding: 'utf8' })) as Array<{
    dst: string;
  }>;
  const addrs = JSON.parse(execFileSync('ip', ['-j', '-4', 'addr', 'show'], { encoding: 'utf8' })) as Array<{
    addr_info: Array<{ local: string; prefixlen: number }>;
  }>;
  const push = (ip: string, len: number): void => {
    const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
    out.push([(ipToInt(ip) & mask) >>> 0, len]);
  };
  for (const r of routes) {
    if (!r.dst || r.dst === 'default') continue;
    const [ip, len] = r.dst.split('/');
    push(ip, len === undefined ? 32 : Number(len));
  }
  for (const link of addrs) for (const a of link.addr_info) push(a.local, a.prefixlen);
  return out;
}

function overlaps(net: number, len: number, used: Array<[number, number]>): boolean {
  return used.some(([uNet, uLen]) => {
    const l = Math.min(len, uLen);
    const mask = l === 0 ? 0 : (0xffffffff << (32 - l)) >>> 0;
    return (net & mask) >>> 0 === (uNet & mask) >>> 0 && l > 0;
  });
}

/**
 * A /30 from private space that overlaps nothing routed or assigned in the root namespace, for a
 * veth between the root namespace and a test namespace (so traffic to it can never leave the
 * machine). The starting point is derived from our PID so parallel runs rarely try the same one;
 * if the host itself uses all of 10/8, 172.16/12 and then 192.168/16 are tried.
 */
export function allocateSubnet30(): Subnet30 {
  const used = rootPrefixesInUse();
  const bases = [`10.${100 + (process.pid % 100)}.0.0`, `172.${16 + (process.pid % 16)}.0.0`, '192.168.0.0'];
  for (const base of bases.map(ipToInt)) {
    for (let i = 0; i < 16384; i++) {
      subnetCounter += 1;
      const net = base + ((subnetCounter * 4) % 65536);
      if (!overlaps(net, 30, used)) {
        return { network: intToIp(net), first: intToIp(net + 1), second: intToIp(net + 2), prefixLength: 30 };
      }
    }
  }
  throw new Error('allocateSubnet30: no free private /30 found');
}
