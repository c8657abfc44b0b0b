// A diagnostic for the RADIUS bench, not a product mode: the KMS's own RadiusProxy with a
// learner that keeps nothing (no record, no key derivation, no sealing, no commit, no hand-over
// to a main thread). Measured next to kmsd, it splits the KMS's cost per request into the relay
// itself (what FreeRADIUS as a plain proxy also does) and the work of keeping the station.
//
// Usage: node relay-only.js <upstream-port> <secret>; prints "ready <auth-port>" once listening.
import { RadiusProxy } from '../adapters/radius/proxy.js';

const [upstreamPort, secretText] = process.argv.slice(2);
if (!upstreamPort || !secretText) {
  console.error('usage: relay-only.js <upstream-port> <secret>');
  process.exit(2);
}
const secret = Buffer.from(secretText);
const quiet = () => {};

const proxy = new RadiusProxy({
  authListen: { address: '127.0.0.1', port: 0 },
  acctListen: { address: '127.0.0.1', port: 0 },
  clients: [{ name: 'bench', address: '127.0.0.1', secret }],
  upstreams: [
    {
      name: 'fr',
      address: '127.0.0.1',
      authPort: Number(upstreamPort),
      acctPort: Number(upstreamPort) + 1,
      secret,
      timeoutMs: 3000,
      tries: 3,
    },
  ],
  learner: { onAccessAccept: async () => {}, onAccounting: quiet },
  // kmsd's defaults (config/schema.ts), so the duplicate cache is as large as in kmsd.
  deadProbeIntervalMs: 30_000,
  duplicateWindowMs: 30_000,
  maxInFlight: 8192,
  logger: { debug: quiet, info: quiet, warn: (o, m) => console.error(m, o), error: (o, m) => console.error(m, o) },
});
const { authPort } = await proxy.start();
console.log(`ready ${authPort}`);
process.on('SIGTERM', () => void proxy.stop().then(() => process.exit(0)));
