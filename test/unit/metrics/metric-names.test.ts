// The names kmsd exports at /metrics, read from the registry itself (not from a list in a doc).
import { describe, expect, it } from 'vitest';
import { KmsMetrics } from '../../../daemon/metrics/metrics.js';

async function exportedNames(): Promise<string[]> {
  const text = await new KmsMetrics().registry.metrics();
  return [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]);
}

describe('metric names', () => {
  it('all start with kms_ and the default process metrics get the prefix once', async () => {
    const names = await exportedNames();
    expect(names.length).toBeGreaterThan(20);
    for (const n of names) expect(n).toMatch(/^kms_[a-z0-9_]+$/);
    expect(names.filter((n) => n.includes('process_process'))).toEqual([]);
    // prom-client's default set, under its own family names.
    expect(names).toContain('kms_process_cpu_seconds_total');
    expect(names).toContain('kms_process_resident_memory_bytes');
    expect(names).toContain('kms_nodejs_eventloop_lag_seconds');
    expect(names).toContain('kms_nodejs_heap_size_used_bytes');
  });
});
