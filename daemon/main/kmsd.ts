#!/usr/bin/env -S node --single-threaded-gc
// kmsd: the KMS daemon. daemon/main/ is the composition root, the one folder of daemon/ that
// imports adapters (wire.ts): it builds the outside world and hands it to the core.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/load.js';
import { startKms } from './wire.js';
import { runStartupChecks, type StartupSecrets } from './startup-checks.js';
import { generateMasterKeyFile } from '../../adapters/store/master-key.js';

const USAGE = `usage: kmsd [--config FILE] [--check] [--init-master-key FILE]
  --config FILE           configuration (default /etc/hostapd-kms/kms.yaml)
  --check                 run every check start-up runs (config, secrets and their file modes,
                          master key, RRB interface) without opening a socket, and exit;
                          a configuration error exits 78 (EX_CONFIG), here and at start
  --init-master-key FILE  create a new 256-bit master key (mode 0600; refuses to overwrite)`;

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        config: { type: 'string' },
        check: { type: 'boolean' },
        help: { type: 'boolean' },
        'init-master-key': { type: 'string' },
      },
    });
  } catch (e) {
    process.stderr.write(`kmsd: ${(e as Error).message}\n${USAGE}\n`);
    return 64;
  }
  if (args.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const keyFile = args.values['init-master-key'];
  if (keyFile) {
    try {
      generateMasterKeyFile(keyFile).fill(0);
    } catch (e) {
      process.stderr.write(`kmsd: ${(e as Error).message}\n`);
      return 1;
    }
    process.stdout.write(`${keyFile}: new master key written (mode 0600). Back it up: without it the stored keys cannot be read.\n`);
    return 0;
  }
  const file = args.values.config ?? '/etc/hostapd-kms/kms.yaml';
  // The same checks on both paths: a config --check accepts does not fail them at start.
  let config;
  let secrets: StartupSecrets;
  try {
    config = loadConfig(file);
    secrets = runStartupChecks(config, file);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`kmsd: ${e.message}\n`);
      return 78; // EX_CONFIG: the unit does not restart on it (RestartPreventExitStatus=78)
    }
    throw e;
  }
  if (args.values.check) {
    secrets.masterKey.fill(0);
    process.stdout.write(`${file}: configuration is valid (every start-up check passed)\n`);
    return 0;
  }
  try {
    await startKms(config, file, secrets);
  } catch (e) {
    // Past the checks: a port in use, a missing capability, the store: worth a restart.
    process.stderr.write(`kmsd: cannot start: ${(e as Error).message}\n`);
    return 1;
  }
  return -1; // running
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (e) => {
    process.stderr.write(`kmsd: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
