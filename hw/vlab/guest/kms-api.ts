// `node kms-api.js [--post <json body>] <url>`: one GET (or POST) on kmsd's API with the bearer token
// from $KMS_TOKEN. Prints the HTTP status on the first line and the body after it. Run by the lab
// inside the KMS namespace, where the API listens on loopback (the runner itself lives in the
// guest's root namespace).
const args = process.argv.slice(2);
const post = args[0] === '--post' ? args[1] : undefined;
const url = post === undefined ? args[0] : args[2];
if (!url || (args[0] === '--post' && post === undefined)) {
  process.stderr.write('usage: kms-api.js [--post <json body>] <url>\n');
  process.exit(64);
}
const method = post === undefined ? 'GET' : 'POST';
try {
  const res = await fetch(url, {
    method,
    headers: {
      authorization: `Bearer ${process.env.KMS_TOKEN ?? ''}`,
      ...(post === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(post === undefined ? {} : { body: post }),
    // A revocation answers after every AP was told or given up on (an unreachable AP without a DAS:
    // its control channel's command timeout), so POSTs get longer than GETs.
    signal: AbortSignal.timeout(post === undefined ? 10_000 : 60_000),
  });
  process.stdout.write(`${res.status}\n${await res.text()}`);
} catch (e) {
  process.stderr.write(`${method} ${url}: ${(e as Error).message}\n`);
  process.exit(1);
}
