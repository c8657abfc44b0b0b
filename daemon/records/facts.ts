import type { VlanAssignment } from './station.js';

// What the RADIUS side tells the core. The adapter turns packets into these plain facts so the
// core never sees RADIUS encoding, and tests can drive the core without packets.

export interface AccessAcceptFacts {
  staMac: string;
  clientAddress: string;
  nasIdentifier: string | null;
  bssid: string | null;
  ssid: string | null;
  /** 4 hex digits. */
  mdid: string | null;
  akm: number | null;
  pairwiseCipher: number | null;
  userName: string | null;
  cui: string | null;
  classes: Buffer[];
  vlan: VlanAssignment | null;
  filterId: string | null;
  arubaUserRole: string | null;
  sessionTimeout: number | null;
  acctSessionId: string | null;
  /** Recv-Key || Send-Key; null when the Accept carried no MS-MPPE keys. */
  msk: Buffer | null;
}

export type AcctStatus = 'start' | 'interim' | 'stop' | 'accounting-on' | 'accounting-off';

export interface AccountingFacts {
  status: AcctStatus;
  /** Null for Accounting-On/Off, which speak for the whole NAS. */
  staMac: string | null;
  clientAddress: string;
  nasIdentifier: string | null;
  bssid: string | null;
  acctSessionId: string | null;
  /** Acct-Terminate-Cause by its RFC 2866 name (e.g. Admin-Reset), on a Stop that carries one. */
  terminateCause?: string | null;
}

/** Acct-Terminate-Cause names by value (RFC 2866 §5.10, and RFC 3580's 802.1X additions 19..22). */
export const ACCT_TERMINATE_CAUSES: readonly string[] = [
  '',
  'User-Request',
  'Lost-Carrier',
  'Lost-Service',
  'Idle-Timeout',
  'Session-Timeout',
  'Admin-Reset',
  'Admin-Reboot',
  'Port-Error',
  'NAS-Error',
  'NAS-Request',
  'NAS-Reboot',
  'Port-Unneeded',
  'Port-Preempted',
  'Port-Suspended',
  'Service-Unavailable',
  'Callback',
  'User-Error',
  'Host-Request',
  'Supplicant-Restart',
  'Reauthentication-Failure',
  'Port-Reinitialized',
  'Port-Administratively-Disabled',
];
