// The Node/V8 flags kmsd runs with, in one place: systemd/kmsd.service's ExecStart, the kmsd
// shebang, `npm start`, the Debian package's /usr/bin/kmsd, the lab and the tests all use these
// (a test checks the unit file; .ci/package-check the installed wrapper).
//
// --single-threaded-gc: with V8's parallel GC helpers, a collection of one thread's heap (the
// main thread's is the largest: API, placement planning, RF graph, roam log) occupies every core
// of a small machine and stalls the RADIUS thread with it. Collected on its own thread only, a heap
// leaves a core to RADIUS. Chosen from paired p99 runs on 2 cores, with no loss of throughput
// (docs/design.md, "The roam-time budget"); `npm run bench` measures the p99 of today's kmsd.
export const KMSD_NODE_FLAGS: readonly string[] = ['--single-threaded-gc'];
