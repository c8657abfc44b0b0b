import type { StationKeys } from '../../../../daemon/records/station.js';

export declare function burstKeys(i: number): StationKeys;
export declare function burstMac(i: number): string;
