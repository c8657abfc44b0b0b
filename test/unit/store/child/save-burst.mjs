// Child for crash.test.ts: saves stations one by one (autocommit, as the RADIUS proxy does)
// and prints each MAC only after saveStations() has returned. The parent kills it with
// SIGKILL mid-burst and checks every printed MAC is in the file.
// usage: node --import ./register-ts.mjs save-burst.mjs DB MASTER_KEY_HEX COUNT [BACKGROUND_CHECKPOINT_MS]
import { writeSync } from 'node:fs';
import { SqliteRecordStore } from '../../../../adapters/store/sqlite-store.js';
import { burstKeys, burstMac } from './burst-keys.mjs';

const [path, keyHex, countText, checkpointMs] = process.argv.slice(2);
const store = new SqliteRecordStore(path, Buffer.from(keyHex, 'hex'), { backgroundCheckpointMs: Number(checkpointMs ?? 0) });
const now = Date.now();

/**
 * Blocking write of one line. stdout is a pipe the parent set non-blocking, so a parent that
 * falls behind makes write() fail with EAGAIN: wait a moment and retry rather than drop it.
 */
const pause = new Int32Array(new SharedArrayBuffer(4));
function printLine(text) {
  const buf = Buffer.from(`${text}\n`);
  for (let off = 0; off < buf.length; ) {
    try {
      off += writeSync(1, buf, off);
    } catch (e) {
      if (e.code !== 'EAGAIN') throw e;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}

printLine('open');
for (let i = 0; i < Number(countText); i++) {
  const staMac = burstMac(i);
  store.saveStations([{ record: {
    staMac, ap: { bssid: null, nasIdentifier: 'ap1', clientAddress: '10.0.0.1' }, currentAp: null, ssid: 'corp',
    mdid: null, akm: null, pairwiseCipher: null, identity: `u${i}`, cui: null, classes: [], vlan: null,
    role: { filterId: null, arubaUserRole: null }, machineAuth: { authenticated: false, identity: null, at: null },
    sessionTimeout: null, acctSessionId: null, session: 'authenticated', pmkR0Name: null, hasPmk: true,
    authenticatedAt: now, updatedAt: now, expiresAt: now + 3_600_000,
  }, keys: burstKeys(i) }]);
  // Synchronous: the line has left the process before the next save starts.
  printLine(`${i} ${staMac}`);
}
store.close();
