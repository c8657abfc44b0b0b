// Checks a scenario's `expect.roams` against the analysed roam table. Each expectation consumes the
// first not-yet-used row for the same station, from and to, so repeated roams are matched in order.
import type { ExpectRoam } from './scenario.js';
import type { RoamRow } from './roams.js';

export function checkExpectations(expected: ExpectRoam[], rows: RoamRow[]): string[] {
  const used = new Set<number>();
  const problems: string[] = [];
  expected.forEach((e, i) => {
    const label = `expect.roams[${i}] (${e.station} ${e.from}→${e.to ?? 'any AP'})`;
    const idx = rows.findIndex(
      (r, j) => !used.has(j) && r.station === e.station && r.from === e.from && (e.to === undefined || r.to === e.to),
    );
    if (idx < 0) {
      problems.push(`${label}: no such roam happened`);
      return;
    }
    used.add(idx);
    const r = rows[idx]!;
    if (e.method !== undefined && r.method !== e.method) problems.push(`${label}: method was ${r.method}, expected ${e.method}`);
    if (e.eapFrames !== undefined && r.eapFrames !== e.eapFrames)
      problems.push(`${label}: ${r.eapFrames ?? 'unknown'} EAP frames, expected ${e.eapFrames}`);
    if (e.minEapFrames !== undefined && (r.eapFrames === null || r.eapFrames < e.minEapFrames))
      problems.push(`${label}: ${r.eapFrames ?? 'unknown'} EAP frames, expected at least ${e.minEapFrames}`);
    if (r.captureMs === null) problems.push(`${label}: the capture holds no timed exchange for this roam`);
    // Name the cause when the frames show one: a roam that did not use FT fails all the same.
    if (r.ftFailure && problems.length > 0 && problems[problems.length - 1]!.startsWith(label))
      problems[problems.length - 1] += ` (${r.ftFailure})`;
  });
  return problems;
}
