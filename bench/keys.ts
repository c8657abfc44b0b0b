import { createHmac } from 'node:crypto';
import { derivePmkR1, derivePmkR1Name } from '../daemon/keys/index.js';

// PMK-R1 derivation rate against the raw HMAC-SHA256 rate it is built from (one HMAC per R1,
// plus one SHA-256 for the name): the goal is within 2x.

function rate(fn: (i: number) => void, ms = 1500): number {
  for (let i = 0; i < 2000; i++) fn(i); // warm-up
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 1000; i++) fn(n++);
    now = performance.now();
  }
  return n / ((now - start) / 1000);
}

export function benchKeys(): { hmacPerS: number; pmkR1PerS: number; pmkR1WithNamePerS: number } {
  const pmkR0 = Buffer.alloc(32, 7);
  const pmkR0Name = Buffer.alloc(16, 9);
  const sta = Buffer.from('020000000100', 'hex');
  const r1kh = Buffer.from('020000000400', 'hex');
  const msg = Buffer.alloc(2 + 5 + 12 + 2, 1); // the size of one KDF block's input for PMK-R1
  const hmacPerS = rate(() => createHmac('sha256', pmkR0).update(msg).digest());
  const pmkR1PerS = rate((i) => {
    r1kh[5] = i & 0xff;
    derivePmkR1(pmkR0, r1kh, sta);
  });
  const pmkR1WithNamePerS = rate((i) => {
    r1kh[5] = i & 0xff;
    derivePmkR1(pmkR0, r1kh, sta);
    derivePmkR1Name(pmkR0Name, r1kh, sta);
  });
  return { hmacPerS, pmkR1PerS, pmkR1WithNamePerS };
}
