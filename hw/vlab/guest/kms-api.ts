// `node kms-api.js <url>`: one GET on kmsd's API with the bearer token from $KMS_TOKEN. Prints the
// HTTP status on the first line and the body after it. Run by the lab inside the KMS namespace, where
// the API listens on loopback (the runner itself lives in the guest's root namespace).
const url = process.argv[2];
if (!url) {
  process.stderr.write('usage: kms-api.js <url>\n');
  process.exit(64);
}
try {
  const res = await fetch(url, { headers: { authorization: `Bearer ${process.env.KMS_TOKEN ?? ''}` }, signal: AbortSignal.timeout(10_000) });
  process.stdout.write(`${res.status}\n${await res.text()}`);
} catch (e) {
  process.stderr.write(`GET ${url}: ${(e as Error).message}\n`);
  process.exit(1);
}
