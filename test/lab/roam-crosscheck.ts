// The roam analyzer's proof on lab captures: the KMS's own roam analyzer (adapters/pcap + daemon/roams, the
// code behind `kmsctl roams` and live monitoring) must classify every roam of a lab run as the lab
// saw it and time it within 5 ms of the lab's own frame-based measurement.
import { expect } from 'vitest';
import { join } from 'node:path';
import { analyseCaptureFile } from '../../adapters/pcap/roam-analysis.js';
import type { LabRun } from '../../hw/vlab/run.js';

const SAME_METHOD: Record<string, string[]> = { ft: ['ft-over-air', 'ft-over-ds'], pmksa: ['pmksa'], 'full-eap': ['full-eap'] };

export async function expectAnalyzerAgrees(r: LabRun): Promise<void> {
  const analysis = await analyseCaptureFile(join(r.resultsDir, 'capture.pcap'));
  const roams = analysis.roams.filter((e) => e.method !== 'initial');
  expect(analysis.decode.malformedTotal, JSON.stringify(analysis.decode.malformed)).toBe(0);
  expect(roams.map((e) => e.method).length, `analyzer roams: ${JSON.stringify(roams.map((e) => [e.sta, e.method, e.durationMs]))}`).toBe(
    r.rows.length,
  );
  r.rows.forEach((row, i) => {
    const e = roams[i]!;
    expect(SAME_METHOD[row.method] ?? [row.method], `roam ${i + 1} (${row.from}->${row.to})`).toContain(e.method);
    expect(e.eapFrames).toBe(row.eapFrames);
    expect(
      Math.abs(e.durationMs - row.captureMs!),
      `roam ${i + 1}: analyzer ${e.durationMs} ms, lab ${row.captureMs} ms`,
    ).toBeLessThanOrEqual(5);
  });
}
