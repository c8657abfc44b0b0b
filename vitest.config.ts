import { defineConfig } from 'vitest/config';

// Integration tests start real FreeRADIUS/hostapd processes and network namespaces;
// running test files one at a time keeps them from fighting over ports and names.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    // Bounds for a hung test, not speed limits: on a busy 2-core machine a test that starts
    // kmsd, FreeRADIUS and hostapd several times takes minutes, and is still right.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    reporters: ['default'],
  },
});
