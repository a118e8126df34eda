// The dashboard's HTTP side: the page, its assets, the JSON endpoint and its validation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from 'mysql2/promise';
import { startDashboard, type RunningDashboard } from '../../src/dashboard/server.js';
import { explainDbError } from '../../src/db/connect.js';
import type { DbTarget } from '../../src/db/target.js';
import { connectionOptions } from '../../templates/lambda/store.js';
import { hasDatabase } from '../support/db.js';
import { getJson } from '../support/http.js';
import { hourStart, seededDashboard } from '../support/seed.js';

describe.skipIf(!hasDatabase)('dashboard server', () => {
  let dashboard: RunningDashboard;
  let fixture: Awaited<ReturnType<typeof seededDashboard>>;

  beforeAll(async () => {
    fixture = await seededDashboard({ refreshSeconds: 5 });
    dashboard = fixture.dashboard;
  });
  afterAll(async () => fixture?.close());

  it('serves the page with its settings, script and style from itself only', async () => {
    const page = await fetch(dashboard.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await page.text();
    expect(html).toContain('"since":"6h"');
    expect(html).toContain('<script src="/app.js"');
    expect(html).not.toMatch(/https?:\/\//);
    for (const asset of ['app.js', 'app.css']) {
      const response = await fetch(new URL(asset, dashboard.url));
      expect(response.status).toBe(200);
      expect(await response.text()).not.toMatch(/\bhttps?:\/\/(?!www\.w3\.org)/);
    }
  });

  it('answers the series as JSON, one point per bucket', async () => {
    const response = await fetch(new URL('/api/series?since=6h&bucket=hour&agg=sum', dashboard.url));
    expect(response.status).toBe(200);
    const series = (await response.json()) as any;
    expect(series.points).toHaveLength(7);
    expect(series.points.map((p: { value: number | null }) => p.value)).toEqual([null, 3, null, 4, 9, 2, 2]); // 6 hours ago … this hour
    expect(series.points[0].start).toBe(new Date(hourStart(6) * 1000).toISOString());
  });

  it('filters by board and sensor, and lists them', async () => {
    const series = await getJson(new URL('/api/series?since=6h&board=dev-2', dashboard.url));
    expect(series.points.filter((p: { value: number | null }) => p.value !== null)).toHaveLength(1);
    const sources = await getJson(new URL('/api/sources?since=1d', dashboard.url));
    expect(sources.map((s: { board: string }) => s.board)).toEqual(['dev-1', 'dev-2']);
  });

  it('names a board stored by device ID with the name it gave itself, and filters by either', async () => {
    await fixture.db.query("INSERT INTO events_devices (device_id, endpoint_name, last_seen) VALUES ('dev-2', 'porch-button', NOW())");
    try {
      const sources = await getJson(new URL('/api/sources?since=1d', dashboard.url));
      expect(sources.map((s: { board: string; name?: string }) => [s.board, s.name])).toEqual([['dev-1', undefined], ['dev-2', 'porch-button']]);
      const byName = await getJson(new URL('/api/series?since=6h&board=porch-button', dashboard.url));
      const byId = await getJson(new URL('/api/series?since=6h&board=dev-2', dashboard.url));
      expect(byName.points.map((p: { value: number | null }) => p.value)).toEqual(byId.points.map((p: { value: number | null }) => p.value));
      expect(byName.boardIds).toEqual(['dev-2']);
    } finally {
      await fixture.db.query('DELETE FROM events_devices');
    }
  });

  it.each([
    ['/api/series?since=soon', 400, 'neither a duration'],
    ['/api/series?since=1h&until=2h', 400, 'later than'],
    ['/api/series?bucket=week', 400, '--bucket must be one of'],
    ['/api/series?agg=median', 400, '--agg must be one of'],
    ['/api/series?tz=Nowhere/Else', 400, 'not a time zone'],
    ['/api/series?bucket=minute&since=300d', 400, 'more than 100000'],
    // Found by a hostile-input run: a cross-site <img> could send these; they once ran the
    // process out of memory (36500d of minutes) or kept it busy for minutes (99999999999w).
    ['/api/series?since=36500d&bucket=minute', 400, 'before 1970'],
    ['/api/series?since=3650d&bucket=minute', 400, 'more than 100000 minutes'],
    ['/api/series?since=99999999999w&bucket=day', 400, 'before 1970'],
    ['/api/series?since=99999999999w', 400, 'before 1970'],
    ['/api/series?since=2026-01-01&until=99999-01-01', 400, 'neither a duration'],
    ['/api/series?since=2026-01-01&until=9999-12-31T23:59:59Z', 400, 'more than 100000 hours'],
    ['/api/sources?since=99999999999w', 400, 'before 1970'],
    ['/api/nothing', 404, 'not found'],
  ])('%s → %i', async (path, status, message) => {
    const response = await fetch(new URL(path, dashboard.url));
    expect(response.status).toBe(status);
    expect(((await response.json()) as any).error).toContain(message);
  });

  it('answers only GET', async () => {
    const response = await fetch(new URL('/api/series', dashboard.url), { method: 'POST', body: '{}' });
    expect(response.status).toBe(405);
  });

  const wideOptions = () => ({ pool: fixture.pool, table: 'events', defaults: {}, refreshSeconds: 5, port: 0, explain: String });

  /** A GET with exactly these headers (fetch would set some of its own). */
  const rawGet = async (base: string, path: string, headers: Record<string, string>) => {
    const { request } = await import('node:http');
    return new Promise<number>((resolve, reject) => {
      const url = new URL(base);
      request({ host: url.hostname, port: url.port, path, headers }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
  };

  it('refuses requests for another host name (DNS rebinding)', async () => {
    expect(await rawGet(dashboard.url, '/api/series', { host: 'evil.example:80' })).toBe(421);
  });

  // Fetch Metadata (w3.org/TR/fetch-metadata): browsers mark each request with where it came
  // from. A page elsewhere — another site, or another port of this machine (same-site) — may
  // send a GET (an <img>, a form) but must not be answered with data.
  it.each([
    [{ 'sec-fetch-site': 'cross-site' }, 403],
    [{ 'sec-fetch-site': 'same-site' }, 403],
    [{ origin: 'https://evil.example' }, 403],
    [{ origin: 'http://localhost:1' }, 403],
    [{ 'sec-fetch-site': 'same-origin' }, 200],
    [{ 'sec-fetch-site': 'none' }, 200],
  ])('answers /api/* with %j: %i', async (headers, status) => {
    const host = new URL(dashboard.url).host;
    expect(await rawGet(dashboard.url, '/api/series?since=1h', { host, ...headers })).toBe(status);
    expect(await rawGet(dashboard.url, '/api/sources', { host, ...headers })).toBe(status);
  });

  it('takes an Origin that is the dashboard itself', async () => {
    const { host, origin } = new URL(dashboard.url);
    expect(await rawGet(dashboard.url, '/api/series?since=1h', { host, origin, 'sec-fetch-site': 'same-origin' })).toBe(200);
  });

  it('keeps the Host allow-list when listening on every interface: this machine’s names and --allow-host only', async () => {
    const { hostname } = await import('node:os');
    const open = await startDashboard({ ...wideOptions(), host: '0.0.0.0', allowHosts: ['dash.example'] });
    try {
      const port = new URL(open.url).port;
      const local = `http://127.0.0.1:${port}/`;
      expect(await rawGet(local, '/api/series?since=1h', { host: 'evil.example' })).toBe(421);
      expect(await rawGet(local, '/api/series?since=1h', { host: `evil.example:${port}` })).toBe(421);
      for (const name of [`127.0.0.1:${port}`, `localhost:${port}`, `${hostname().toLowerCase()}:${port}`, `dash.example:${port}`, `DASH.example:${port}`]) {
        expect(await rawGet(local, '/api/series?since=1h', { host: name }), name).toBe(200);
      }
    } finally {
      await open.close();
    }
  });

  it('says 503 with the reason when the database fails, in the words the command gives it', async () => {
    // A port nobody listens on: the real driver's ECONNREFUSED, through the real explanation.
    const { createServer } = await import('node:net');
    const closed = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as import('node:net').AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const target: DbTarget = {
      config: { host: '127.0.0.1', port: closed, user: 'u', password: 'p', database: 'tsdb', table: 'events', tls: { kind: 'off' }, connectTimeoutMs: 2000 },
      source: '--db-url',
    };
    const pool = createPool({ ...connectionOptions(target.config), connectionLimit: 1 });
    const broken = await startDashboard({
      pool,
      table: 'events',
      defaults: {},
      refreshSeconds: 5,
      host: '127.0.0.1',
      port: 0,
      explain: (error) => explainDbError(error, target).message,
    });
    try {
      const response = await fetch(new URL('/api/series', broken.url));
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ error: `the database at 127.0.0.1:${closed} (from --db-url) refused the connection` });
    } finally {
      await broken.close();
      await pool.end();
    }
  });
});
