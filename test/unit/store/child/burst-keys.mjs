// Keys for station number i of save-burst.mjs, recomputable by the parent that checks them.
import { createHash } from 'node:crypto';

export function burstKeys(i) {
  const h = (label) => createHash('sha256').update(`${label}:${i}`).digest();
  return { pmk: h('pmk'), mpmk: h('mpmk'), pmkR0: h('pmkR0'), pmkR0Name: h('name').subarray(0, 16) };
}

export function burstMac(i) {
  return (0x020000000000 + i).toString(16).padStart(12, '0').replace(/(..)(?!$)/g, '$1:');
}
