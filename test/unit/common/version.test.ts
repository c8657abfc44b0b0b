import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KMS_VERSION } from '../../../daemon/common/version.js';

describe('KMS_VERSION', () => {
  it('is the version in package.json (which names the Debian package too)', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(KMS_VERSION).toBe(pkg.version);
  });
});
