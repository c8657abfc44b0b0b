import { defineConfig } from 'vitest/config';

// Integration tests start real FreeRADIUS/hostapd processes and network namespaces;
// running test files one at a time keeps them from fighting over ports and names.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
