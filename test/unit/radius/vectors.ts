// hostapd-generated vectors (made by hostapd 2.10's RADIUS code): secret testing123,
// Request Authenticator 10 11 … 1f, MSK 00 01 … 3f (Recv-Key = MSK[0..31], Send-Key = MSK[32..63]).
export const hex = (h: string): Buffer => Buffer.from(h.replace(/\s+/g, ''), 'hex');

export const SECRET = 'testing123';
export const REQUEST_AUTH = hex('101112131415161718191a1b1c1d1e1f');
export const MSK = Buffer.from(Array.from({ length: 64 }, (_, i) => i));
export const RECV_KEY = MSK.subarray(0, 32);
export const SEND_KEY = MSK.subarray(32, 64);
export const SEND_SALT = 0x8001;
export const RECV_SALT = 0x8002;

/** Access-Request, ID 0x2a, User-Name "alice", Message-Authenticator last (hostapd 2.10 layout). */
export const ACCESS_REQUEST = hex('012a002d101112131415161718191a1b1c1d1e1f0107616c696365501286ac70d007521590418f0734367671a9');
/** The Access-Accept answering it: Message-Authenticator only. */
export const ACCESS_ACCEPT = hex('022a0026bbb48d4061f65a451b5cccc30fc630525012823af978d257e3d1bbec9da8e50b2291');
/** Whole Vendor-Specific attributes (type, length, Vendor-Id 311, vendor type, vendor length, salt, cipher). */
export const SEND_VSA = hex(
  '1a3a00000137103480013536eed11651e64d29b8ef7832aedccf61e55a08717ec62c1981011c8412e36e1cad71cddcaa5902c763a72f8b13a358',
);
export const RECV_VSA = hex(
  '1a3a00000137113480023065f1f0b034772ef1566794d02240c2e405aa201a99bca9e2e4ef5893626d1aec301210e5743ddb1b69030867f744d1',
);
