import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { ConfigError, loadConfig } from '../config/load.js';
import type { KmsConfig } from '../config/schema.js';
import { appliedConfig, planReload } from '../config/reload-plan.js';
import { setLogLevel } from '../log/logger.js';
import type { RadiusReloadResult, RadiusReloadTables } from '../threads/radius-messages.js';
import type { ApsReloaded } from './wire-distribution.js';
import { runStartupChecks, type StartupSecrets } from './startup-checks.js';

// kmsd's reload (SIGHUP, systemd's ExecReload): reads the configuration file again with the same
// loading and validation as start-up, and applies what can change while running
// (daemon/config/reload-plan.ts says which settings those are). A file that does not validate, or
// names a secret that cannot be read, is refused as a whole and the running configuration stays.
// Settings that need a restart keep their old value and are named in a warning.

export interface LoadedConfig {
  file: string;
  /** SHA-256 of the file as it was read. */
  sha256: string;
  loadedAt: string;
}

export interface ReloadStatus {
  loaded: LoadedConfig;
  lastReload: { at: string; result: 'applied' | 'refused' | 'failed'; error?: string; restartNeeded: string[] } | null;
}

export interface ReloadTargets {
  /** The root logger (the RADIUS thread sets its own from the tables). */
  log: Logger;
  /** The RADIUS thread's tables for `next`, with the secrets the start-up checks resolved. */
  radiusTables(next: KmsConfig, secrets: StartupSecrets): RadiusReloadTables;
  reconfigureRadius(t: RadiusReloadTables): Promise<RadiusReloadResult>;
  /** Present when key distribution runs. Returns the step that applies (checks come first). */
  prepareDistribution?(next: KmsConfig, secrets: StartupSecrets): () => Promise<ApsReloaded>;
  upstreamsChanged(result: RadiusReloadResult): void;
  /** Present when dynamic authorization runs: swaps in its upstreams and the APs' DAS table. */
  reconfigureDas?(next: KmsConfig, secrets: StartupSecrets): void;
  /** sd_notify around the reload. */
  reloading(): void;
  reloaded(): void;
}

export function fileDigest(file: string): string {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  } catch {
    return 'unreadable';
  }
}

export class Reloader {
  private running: KmsConfig;
  private status: ReloadStatus;
  private busy: Promise<void> | null = null;
  private again = false;
  private readonly outcomes: Counter;
  private readonly pending: Gauge;

  constructor(
    private readonly file: string,
    initial: KmsConfig,
    private readonly t: ReloadTargets,
    registry: Registry,
  ) {
    this.running = initial;
    this.status = { loaded: { file, sha256: fileDigest(file), loadedAt: new Date().toISOString() }, lastReload: null };
    this.outcomes = new Counter({
      name: 'kms_config_reloads_total',
      help: 'Configuration reloads (SIGHUP), by result: applied, refused (invalid; nothing changed) or failed (applied in part)',
      labelNames: ['result'],
      registers: [registry],
    });
    for (const result of ['applied', 'refused', 'failed']) this.outcomes.inc({ result }, 0);
    this.pending = new Gauge({
      name: 'kms_config_restart_pending',
      help: 'Changed settings that take effect only when kmsd restarts',
      registers: [registry],
    });
  }

  get config(): KmsConfig {
    return this.running;
  }

  health(): ReloadStatus {
    return this.status;
  }

  /** One reload at a time; a SIGHUP during a reload runs one more afterwards (the file may have changed again). */
  reload(): Promise<void> {
    if (this.busy) {
      this.again = true;
      return this.busy;
    }
    this.busy = (async () => {
      do {
        this.again = false;
        await this.once();
      } while (this.again);
      this.busy = null;
    })();
    return this.busy;
  }

  private async once(): Promise<void> {
    const log = this.t.log;
    const at = new Date().toISOString();
    this.t.reloading();
    try {
      const sha256 = fileDigest(this.file);
      let next: KmsConfig;
      let plan;
      let radius: RadiusReloadTables;
      let distribution: (() => Promise<ApsReloaded>) | undefined;
      let checked: StartupSecrets;
      try {
        next = loadConfig(this.file);
        // The same checks as start-up and --check (secrets readable with safe modes, key formats,
        // master key, interfaces): a file kmsd would not start with is not applied either.
        const secrets = runStartupChecks(next, this.file);
        checked = secrets;
        secrets.masterKey.fill(0);
        plan = planReload(this.running, next);
        next = appliedConfig(this.running, next, plan);
        radius = this.t.radiusTables(next, secrets);
        distribution = this.t.prepareDistribution?.(next, secrets);
      } catch (e) {
        const problems = e instanceof ConfigError ? e.problems : [(e as Error).message];
        this.outcomes.inc({ result: 'refused' });
        this.status = { ...this.status, lastReload: { at, result: 'refused', error: problems.join('; '), restartNeeded: [] } };
        log.error({ config: this.file, problems }, 'configuration reload refused; the running configuration stays');
        return;
      }
      setLogLevel(log, next.log.level);
      const result = await this.t.reconfigureRadius(radius);
      this.t.upstreamsChanged(result);
      this.t.reconfigureDas?.(next, checked);
      let aps: ApsReloaded | null = null;
      try {
        aps = distribution ? await distribution() : null;
      } catch (e) {
        // Secrets were checked before; what is left is the local system (a directory that cannot
        // be made, …). RADIUS has its new tables already: say so, and count it.
        this.running = next;
        this.outcomes.inc({ result: 'failed' });
        this.status = {
          loaded: { file: this.file, sha256, loadedAt: at },
          lastReload: { at, result: 'failed', error: (e as Error).message, restartNeeded: plan.restart },
        };
        log.error(
          { config: this.file, err: (e as Error).message },
          'configuration reload: RADIUS and log level applied, key distribution NOT; fix and reload again',
        );
        return;
      }
      this.running = next;
      this.outcomes.inc({ result: 'applied' });
      this.pending.set(plan.restart.length);
      this.status = {
        loaded: { file: this.file, sha256, loadedAt: at },
        lastReload: { at, result: 'applied', restartNeeded: plan.restart },
      };
      log.info(
        {
          config: this.file,
          sha256,
          changed: plan.live,
          upstreams: result,
          inFlight: result.inFlight,
          aps: aps ?? undefined,
        },
        'configuration reloaded',
      );
      if (plan.restart.length > 0) {
        log.warn({ settings: plan.restart }, `changed settings need a restart to take effect: ${plan.restart.join(', ')}`);
      }
    } finally {
      this.t.reloaded();
    }
  }
}
