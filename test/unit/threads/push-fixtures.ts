import type { PmkR1Entry } from '../../../daemon/ports/pmk-r1-transport.js';

/** A PUSH's entry for station `staMac`, its keys in pooled Buffers as the planner makes them. */
export const pushEntry = (staMac: string): PmkR1Entry => ({
  staMac,
  r0khId: 'ap1.example.com',
  r1khId: '02:00:00:00:01:02',
  pmkR0Name: Buffer.from('11'.repeat(16), 'hex'),
  pmkR1: Buffer.from('ee'.repeat(32), 'hex'),
  pmkR1Name: Buffer.from('22'.repeat(16), 'hex'),
  pairwise: 0x10,
  expiresInS: 3600,
  vlan: null,
  identity: null,
  cui: null,
  sessionTimeoutS: 0,
});
