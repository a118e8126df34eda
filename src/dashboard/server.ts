// The dashboard: a page and its JSON endpoint on loopback. Everything it serves ships with
// the package (no CDN), so it works offline and sends the data nowhere else.

import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { Pool } from 'mysql2/promise';
import { chartRequest, checkBounds, type RawChartOptions } from '../chart/request.js';
import { parseInstant } from '../chart/time.js';
import { querySeries, querySources } from '../db/series.js';
import { UsageError } from '../errors.js';
import { packageRoot } from '../version.js';

export interface DashboardOptions {
  pool: Pick<Pool, 'query'>;
  table: string;
  /** The chart the page opens with (the command's options). */
  defaults: RawChartOptions;
  refreshSeconds: number;
  host: string;
  port: number;
  /** Turns a database error into the message the page shows. */
  explain: (error: unknown) => string;
  now?: () => number;
  log?: (message: string) => void;
  /** More names the dashboard may be reached by (`--allow-host`), e.g. behind a proxy. */
  allowHosts?: string[];
}

export interface RunningDashboard {
  url: string;
  close(): Promise<void>;
}

const ASSETS: Record<string, { file: string; type: string }> = {
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export function assetsDir(): string {
  return join(packageRoot(), 'dist', 'dashboard');
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * The Host headers the dashboard answers (DNS rebinding: a page elsewhere may point a name of its
 * own at this machine): its own address, this machine's names and addresses when it listens on
 * every interface, and the names given — each with the port.
 */
export function allowedHostHeaders(host: string, port: number, extra: string[] = []): Set<string> {
  const names = new Set<string>([host, ...extra].map((n) => n.toLowerCase()));
  if (isLoopback(host) || isWildcard(host)) for (const n of ['127.0.0.1', 'localhost', '::1']) names.add(n);
  if (isWildcard(host)) {
    names.add(hostname().toLowerCase());
    for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) names.add(i.address.toLowerCase());
  }
  const allowed = new Set<string>();
  for (const name of names) {
    const withPort = /:\d+$/.test(name) && !name.includes('::') && !name.startsWith('[') ? name : null;
    if (withPort) allowed.add(withPort);
    else allowed.add(`${name.includes(':') && !name.startsWith('[') ? `[${name}]` : name}:${port}`);
  }
  return allowed;
}

const isWildcard = (host: string) => host === '0.0.0.0' || host === '::';

/**
 * Fetch Metadata and Origin (w3.org/TR/fetch-metadata): a request a browser sent for a page of
 * another origin — another site, or another port here — gets no data. Tools send neither header.
 */
function fromElsewhere(request: IncomingMessage): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return true;
  const origin = request.headers.origin;
  return origin !== undefined && origin !== `http://${request.headers.host ?? ''}`;
}

export async function startDashboard(options: DashboardOptions): Promise<RunningDashboard> {
  const dir = assetsDir();
  const files = new Map<string, Buffer>();
  for (const name of ['index.html', 'app.js', 'app.css']) files.set(name, readFileSync(join(dir, name)));
  const now = options.now ?? (() => Date.now() / 1000);
  const config = JSON.stringify({ defaults: options.defaults, refreshSeconds: options.refreshSeconds }).replace(/</g, '\\u003c');
  const page = files.get('index.html')!.toString('utf8').replace('{{CONFIG}}', config);
  let allowedHosts: Set<string> = new Set();

  const send = (response: ServerResponse, status: number, type: string, body: string | Buffer) => {
    response.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': Buffer.byteLength(body) });
    response.end(body);
  };
  const json = (response: ServerResponse, status: number, body: unknown) =>
    send(response, status, 'application/json; charset=utf-8', JSON.stringify(body));

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    // A page elsewhere may point a name of its own at this machine (DNS rebinding): answer only our names.
    if (!allowedHosts.has((request.headers.host ?? '').toLowerCase())) {
      return json(response, 421, { error: 'unexpected Host header: add the name with --allow-host' });
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      return json(response, 405, { error: 'use GET' });
    }
    const url = new URL(request.url ?? '/', 'http://dashboard');
    if (url.pathname === '/') return send(response, 200, 'text/html; charset=utf-8', page);
    const asset = ASSETS[url.pathname];
    if (asset) return send(response, 200, asset.type, files.get(asset.file)!);
    const query = Object.fromEntries(url.searchParams);
    if (url.pathname.startsWith('/api/') && fromElsewhere(request)) {
      return json(response, 403, { error: 'the data is for the dashboard’s own page, not for pages of other origins' });
    }
    if (url.pathname === '/api/series') {
      let series;
      try {
        const seriesRequest = chartRequest(query, options.table, now());
        series = await querySeries(options.pool, seriesRequest);
      } catch (error) {
        if (error instanceof UsageError) return json(response, 400, { error: error.message });
        options.log?.(`dashboard: ${options.explain(error)}`);
        return json(response, 503, { error: options.explain(error) });
      }
      return json(response, 200, series);
    }
    if (url.pathname === '/api/sources') {
      try {
        const t = now();
        const since = parseInstant(query.since || '30d', t, 'UTC', 'since');
        const until = parseInstant(query.until || 'now', t, 'UTC', 'until');
        checkBounds(since, until);
        return json(response, 200, await querySources(options.pool, options.table, since, until + 1));
      } catch (error) {
        if (error instanceof UsageError) return json(response, 400, { error: error.message });
        return json(response, 503, { error: options.explain(error) });
      }
    }
    return json(response, 404, { error: 'not found' });
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      options.log?.(`dashboard: ${String(error)}`);
      if (!response.headersSent) json(response, 500, { error: 'internal error' });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  allowedHosts = allowedHostHeaders(options.host, port, options.allowHosts);
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host === '0.0.0.0' ? '127.0.0.1' : options.host;
  return {
    url: `http://${shownHost}:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
