import { macToBytes } from '../../../daemon/common/mac.js';

// The inputs every key-hierarchy vector is computed from (the hostapd runs and the Python
// cross-checks used the same ones).
export const hex = (s: string) => Buffer.from(s, 'hex');
export const seq = (from: number, to: number) => Buffer.from(Array.from({ length: to - from + 1 }, (_, i) => from + i));

export const MSK = seq(0x00, 0x3f);
export const SSID = Buffer.from('hostapd-kms');
export const MDID = hex('a1b2');
export const R0KH = Buffer.from('ap1.example.com');
export const STA = macToBytes('02:00:00:00:01:00');
export const AA1 = macToBytes('02:00:00:00:03:00');
export const AA2 = macToBytes('02:00:00:00:04:00');
