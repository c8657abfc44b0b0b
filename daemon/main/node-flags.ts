// The Node/V8 flags kmsd runs with, in one place: systemd/kmsd.service's ExecStart, the kmsd
// shebang, `npm start`, the Debian package's /usr/bin/kmsd, the lab and the tests all use these
// (a test checks the unit file; .ci/package-check the installed wrapper).
//
// --single-threaded-gc: kmsd's RADIUS thread has a small heap and its own short collections;
// the main thread's heap grows with the station table. With V8's parallel GC helpers, a
// collection of the main heap occupied every core of a small machine and stalled the RADIUS
// thread with it. Collected on its own thread only, the main heap leaves a core to RADIUS: in
// paired runs on 2 cores, the proxy's p99 at 1,000 requests/s had a median of 1.24 ms against
// 1.97 ms, and no outlier above 2.4 ms against 4.2 and 7.9 ms. Throughput was not lower.
export const KMSD_NODE_FLAGS: readonly string[] = ['--single-threaded-gc'];
