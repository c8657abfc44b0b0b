import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Registry } from 'prom-client';
import { normalizeMac } from '../common/mac.js';
import type { Log } from '../log/log.js';
import type { StationTable } from '../records/station-table.js';
import { pmkidFor, stationView } from './views.js';
import type { Placement } from '../distribution/placement.js';
import type { RoamLog } from '../roams/roam-log.js';
import type { RoamMethod } from '../roams/classify.js';
import type { RfGraph } from '../neighbors/rf-graph.js';
import type { Topology } from '../distribution/topology.js';
import type { HostapdVersion } from '../keys/akm.js';
import { neighborsRoute } from '../neighbors/api.js';
import { SECURITY_HEADERS, defaultWebRoot, loadAssets, type Asset } from './dashboard.js';
import type { ApStatusView } from './views.js';

// The local control API (loopback by default). Every route needs the bearer token, /metrics
// included: station lists are personal data. Read-only for now. The dashboard's static files
// (/ui/, see dashboard.ts) are the exception: they hold no data, and the page asks for the token.
// One route changes state: POST /v1/stations/<sta>/revoke (docs/revocation.md), same token.

export interface ApiDeps {
  token: string;
  stations: StationTable;
  metrics: Registry;
  /** Brings counters kept on other threads up to date before /metrics is answered. */
  refreshMetrics?(): Promise<void>;
  health(): object;
  /** GET /v1/cluster (kmsctl cluster); absent for a single kmsd. */
  cluster?(): Promise<object>;
  /** Key placements of one station (absent when distribution is not configured). */
  placementsFor?(staMac: string): Placement[];
  roams?: RoamLog;
  neighbors?: { graph: RfGraph; topology: Topology };
  /** Configured APs and their control channels (absent when distribution is not configured). */
  aps?(): ApStatusView[];
  /** Where the dashboard's files are; default: the package's web/ folder. */
  webRoot?: string;
  /** hostapd release line of the AP serving `bssid` (distribution.aps[].hostapdVersion); absent: 2.10. */
  hostapdVersionOf?(bssid: string): HostapdVersion | undefined;
  /**
   * Revokes a station (StationLife.revoke, then the APs are told): resolves once every AP
   * answered or ran out of tries, with what each was told; 'unknown' / 'already' otherwise.
   */
  revoke?(staMac: string, reason: string, trigger: 'api' | 'kmsctl'): Promise<{ kicks: object[] } | 'unknown' | 'already'>;
  logger: Log;
}

/** A revocation request's body is a reason and who asks, nothing more. */
const MAX_REVOKE_BODY = 4096;

export class ApiServer {
  private server: Server | null = null;
  private readonly tokenDigest: Buffer;
  private readonly assets: Map<string, Asset>;

  constructor(private readonly deps: ApiDeps) {
    this.tokenDigest = digest(deps.token);
    this.assets = loadAssets(deps.webRoot ?? defaultWebRoot());
  }

  listen(address: string, port: number): Promise<number> {
    const server = createServer((req, res) => {
      for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
      this.handle(req, res).catch((e) => {
        this.deps.logger.error({ err: (e as Error).message, url: req.url }, 'API request failed');
        send(res, 500, { error: 'internal error' });
      });
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, address, () => {
        server.off('error', reject);
        const a = server.address();
        resolve(typeof a === 'object' && a ? a.port : port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawPath = (req.url ?? '/').split('?')[0]!;
    if (req.method === 'GET' && (rawPath === '/' || rawPath === '/ui')) {
      res.writeHead(302, { Location: '/ui/', 'Content-Length': 0 });
      res.end();
      return;
    }
    if (req.method === 'GET' && rawPath.startsWith('/ui/')) {
      const asset = this.assets.get(rawPath);
      if (!asset) return send(res, 404, { error: `no such dashboard file: ${rawPath}` });
      res.writeHead(200, { 'Content-Type': asset.type, 'Content-Length': asset.body.length, 'Cache-Control': 'no-cache' });
      res.end(asset.body);
      return;
    }
    if (!this.authorized(req)) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      return send(res, 401, { error: 'missing or wrong bearer token' });
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const rv = /^\/v1\/stations\/([^/]+)\/revoke$/.exec(path);
    if (rv) return req.method === 'POST' ? this.revoke(req, res, rv[1]!) : send(res, 405, { error: 'revoke is a POST' });
    if (req.method !== 'GET') return send(res, 405, { error: 'only GET is supported (and POST /v1/stations/<sta>/revoke)' });

    if (path === '/metrics') {
      await this.deps.refreshMetrics?.();
      res.writeHead(200, { 'Content-Type': this.deps.metrics.contentType });
      res.end(await this.deps.metrics.metrics());
      return;
    }
    if (path === '/v1/health') return send(res, 200, this.deps.health());
    if (path === '/v1/cluster') {
      if (!this.deps.cluster) return send(res, 404, { error: 'this kmsd is not a cluster member (no cluster section)' });
      return send(res, 200, await this.deps.cluster());
    }
    if (path === '/v1/aps') {
      if (!this.deps.aps) return send(res, 404, { error: 'key distribution is not configured (no distribution section)' });
      return send(res, 200, { aps: this.deps.aps() });
    }
    if (path.startsWith('/v1/neighbors')) {
      if (!this.deps.neighbors) return send(res, 404, { error: 'RF-neighbour discovery is not configured (distribution.neighbors)' });
      const r = neighborsRoute(this.deps.neighbors.graph, this.deps.neighbors.topology, path, url.searchParams);
      if (r) {
        res.writeHead(r.status, { 'Content-Type': r.contentType, 'Content-Length': Buffer.byteLength(r.body) });
        res.end(r.body);
        return;
      }
    }
    if (path === '/v1/roams') {
      if (!this.deps.roams) return send(res, 404, { error: 'roam observation is not configured' });
      const q = url.searchParams;
      const sta = q.get('sta') === null ? undefined : normalizeMac(q.get('sta')!);
      if (sta === null) return send(res, 400, { error: `sta "${q.get('sta')}" is not a MAC address` });
      const limit = q.get('limit') === null ? undefined : Number(q.get('limit'));
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1))
        return send(res, 400, { error: 'limit must be a positive integer' });
      const since = q.get('since') === null ? undefined : Number(q.get('since'));
      return send(res, 200, {
        roams: this.deps.roams.list({ sta, limit, since, method: (q.get('method') ?? undefined) as RoamMethod | undefined }),
        stats: this.deps.roams.stats(),
      });
    }
    if (path === '/v1/stations') {
      return send(res, 200, { stations: this.deps.stations.list().map((r) => stationView(r)) });
    }
    const pm = /^\/v1\/stations\/([^/]+)\/placements$/.exec(path);
    if (pm) {
      const mac = normalizeMac(decodeURIComponent(pm[1]!));
      if (!mac) return send(res, 400, { error: `"${pm[1]}" is not a MAC address` });
      if (!this.deps.placementsFor) return send(res, 404, { error: 'key distribution is not configured (no distribution section)' });
      return send(res, 200, { staMac: mac, placements: this.deps.placementsFor(mac) });
    }
    const m = /^\/v1\/stations\/([^/]+)$/.exec(path);
    if (m) {
      const mac = normalizeMac(decodeURIComponent(m[1]!));
      if (!mac) return send(res, 400, { error: `"${m[1]}" is not a MAC address` });
      const record = this.deps.stations.get(mac);
      if (!record) return send(res, 404, { error: `no record for station ${mac}` });
      const bssidParam = url.searchParams.get('bssid');
      if (bssidParam === null) return send(res, 200, stationView(record));
      const bssid = normalizeMac(bssidParam);
      if (!bssid) return send(res, 400, { error: `bssid "${bssidParam}" is not a MAC address` });
      const keys = this.deps.stations.keysFor(mac);
      const hostapd = this.deps.hostapdVersionOf?.(bssid) ?? '2.10';
      return send(res, 200, stationView(record, { bssid, value: keys ? pmkidFor(record, keys, bssid, hostapd) : null, hostapd }));
    }
    return send(res, 404, { error: `no such route: ${path}` });
  }

  private async revoke(req: IncomingMessage, res: ServerResponse, macParam: string): Promise<void> {
    const mac = normalizeMac(decodeURIComponent(macParam));
    if (!mac) return send(res, 400, { error: `"${macParam}" is not a MAC address` });
    if (!this.deps.revoke) return send(res, 404, { error: 'revocation is not available' });
    const body = await readBody(req, MAX_REVOKE_BODY);
    if (body === null) return send(res, 413, { error: `the request body is over ${MAX_REVOKE_BODY} bytes` });
    let parsed: { reason?: unknown; via?: unknown } = {};
    if (body.length > 0) {
      try {
        parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
      } catch {
        return send(res, 400, { error: 'the body is not JSON: expected {"reason": "..."}' });
      }
      if (typeof parsed !== 'object' || parsed === null) return send(res, 400, { error: 'the body must be a JSON object' });
    }
    if (parsed.reason !== undefined && (typeof parsed.reason !== 'string' || parsed.reason.length > 200)) {
      return send(res, 400, { error: 'reason must be a string of at most 200 characters' });
    }
    const trigger = parsed.via === 'kmsctl' ? 'kmsctl' : 'api';
    const reason = (parsed.reason as string | undefined) ?? `revoked by the operator (${trigger})`;
    const r = await this.deps.revoke(mac, reason, trigger);
    if (r === 'unknown') return send(res, 404, { error: `no record for station ${mac}` });
    const record = this.deps.stations.get(mac);
    if (r === 'already')
      return send(res, 409, { error: `station ${mac} is revoked already`, station: record ? stationView(record) : null });
    return send(res, 200, { revoked: true, station: record ? stationView(record) : null, told: r.kicks });
  }

  private authorized(req: IncomingMessage): boolean {
    const h = req.headers.authorization ?? '';
    const m = /^Bearer (.+)$/.exec(h);
    return m !== null && timingSafeEqual(digest(m[1]!), this.tokenDigest);
  }
}

/** Comparing digests keeps the comparison constant-time whatever the token lengths. */
function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** The body, or null when it is longer than `max` bytes. */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= max) parts.push(c);
    });
    req.on('end', () => resolve(size > max ? null : Buffer.concat(parts)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
  res.end(text);
}
