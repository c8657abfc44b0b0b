#!/usr/bin/env node
// kmsd: the KMS daemon. daemon/main/ is the composition root, the one folder of daemon/ that
// imports adapters (wire.ts): it builds the outside world and hands it to the core.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/load.js';
import { startKms } from './wire.js';

const USAGE = `usage: kmsd [--config FILE] [--check]
  --config FILE  configuration (default /etc/hostapd-kms/kms.yaml)
  --check        validate the configuration and exit`;

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({ options: { config: { type: 'string' }, check: { type: 'boolean' }, help: { type: 'boolean' } } });
  } catch (e) {
    process.stderr.write(`kmsd: ${(e as Error).message}\n${USAGE}\n`);
    return 64;
  }
  if (args.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const file = args.values.config ?? '/etc/hostapd-kms/kms.yaml';
  let config;
  try {
    config = loadConfig(file);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`kmsd: ${e.message}\n`);
      return 78; // EX_CONFIG: the unit does not restart on it (RestartPreventExitStatus=78)
    }
    throw e;
  }
  if (args.values.check) {
    process.stdout.write(`${file}: configuration is valid\n`);
    return 0;
  }
  try {
    await startKms(config, file);
  } catch (e) {
    process.stderr.write(`kmsd: cannot start: ${(e as Error).message}\n`);
    return 1;
  }
  return -1; // running
}

main().then((code) => {
  if (code >= 0) process.exit(code);
}, (e) => {
  process.stderr.write(`kmsd: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
