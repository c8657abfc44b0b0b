export * from './akm.js';
export * from './kdf.js';
export * from './ft.js';
export * from './pmkid.js';
export * from './msk.js';
export * from './psk.js';
export * from './rrb-key.js';
