// The web dashboard's files: plain HTML, CSS and JS modules from the package's web/ folder, read
// once at start-up into memory. Only names listed there can be served (no path from the URL ever
// reaches the file system), and nothing refers to another origin. The files hold no data and no
// secret, so they are served without the token: the login page must load before the operator has
// pasted it. Every view then fetches the API with the bearer token, like kmsctl.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Sent with every response, API included: the dashboard runs only its own scripts and is never framed. */
export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export interface Asset {
  type: string;
  body: Buffer;
}

/** web/ beside daemon/ in the source tree and beside dist/ when built. */
export function defaultWebRoot(): string {
  const here = resolve(new URL('../..', import.meta.url).pathname);
  return here.endsWith('/dist') ? join(here, '..', 'web') : join(here, 'web');
}

/** URL path (under /ui/) → file, for every servable file in `root` and its sub-folders. */
export function loadAssets(root: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const walk = (dir: string, prefix: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full, `${prefix}${name}/`);
      else {
        const ext = name.slice(name.lastIndexOf('.'));
        if (TYPES[ext] && /^[\w.-]+$/.test(name)) assets.set(`/ui/${prefix}${name}`, { type: TYPES[ext]!, body: readFileSync(full) });
      }
    }
  };
  try {
    walk(root, '');
  } catch (e) {
    // A package without web/ still serves the API; /ui/ then answers 404.
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const index = assets.get('/ui/index.html');
  if (index) assets.set('/ui/', index);
  return assets;
}
