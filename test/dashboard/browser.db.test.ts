/// <reference lib="dom" />
// The dashboard in real headless Chromium: the bars show the seeded sums, a new row
// appears after a refresh, and a screenshot is left for people to look at.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningDashboard } from '../../src/dashboard/server.js';
import { hasDatabase } from '../support/db.js';
import type { TestDatabase } from '../support/mariadb.js';
import { hourStart, seededDashboard, toSqlTs } from '../support/seed.js';

const CHROMIUM = process.env.MBED_TSDB_CHROMIUM ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium && process.env.CI) throw new Error(`CI: Chromium is required for the dashboard test (${CHROMIUM})`);
export const SCREENSHOT = join(import.meta.dirname, '..', '..', 'test-output', 'dashboard.png');

describe.skipIf(!hasDatabase || !hasChromium)('dashboard in Chromium', () => {
  let db: TestDatabase;
  let dashboard: RunningDashboard;
  let browser: Browser;
  let fixture: Awaited<ReturnType<typeof seededDashboard>>;

  beforeAll(async () => {
    fixture = await seededDashboard({ refreshSeconds: 1 });
    ({ db, dashboard } = fixture);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await fixture?.close();
  });

  it('draws one bar per hour with the seeded sums, updates on refresh, and leaves a screenshot', async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(dashboard.url);
    await page.waitForSelector('rect.bar', { state: 'attached' });

    const bars = () =>
      page.$$eval('rect.bar', (rects) =>
        rects.map((r) => ({
          start: r.getAttribute('data-start'),
          value: r.getAttribute('data-value'),
          height: Number(r.getAttribute('height')),
        })),
      );
    const first = await bars();
    expect(first.map((b) => b.start)).toEqual([6, 5, 4, 3, 2, 1, 0].map((h) => new Date(hourStart(h) * 1000).toISOString()));
    expect(first.map((b) => b.value)).toEqual(['', '3', '', '4', '9', '2', '2']);
    // Heights follow the values: empty bars are flat, the largest is tallest.
    expect(first[0]!.height).toBe(0);
    expect(first[4]!.height).toBeGreaterThan(first[3]!.height);
    expect(first[3]!.height).toBeGreaterThan(first[1]!.height);
    expect(await page.textContent('#title')).toBe('Hours with Button Presses');

    // A button press now: the current hour's bar grows at the next refresh.
    const refreshes = Number(await page.getAttribute('#status', 'data-refreshes'));
    await db.query('INSERT INTO events (ts, value, board, sensor) VALUES (?, 5, ?, ?)', [toSqlTs(hourStart(0) + 600), 'dev-1', '/3200/0/5501']);
    await page.waitForFunction(
      (before) => Number(document.getElementById('status')?.dataset.refreshes) > before + 1,
      refreshes,
      { timeout: 15_000 },
    );
    expect((await bars()).at(-1)!.value).toBe('7');

    // Controls change the chart: count per hour.
    await page.selectOption('select[name=agg]', 'count');
    await page.waitForFunction(() => document.getElementById('title')?.textContent === 'COUNT(*) per hour');
    expect((await bars()).map((b) => b.value)).toEqual(['0', '2', '0', '4', '1', '1', '3']);
    expect(page.url()).toContain('agg=count');

    await page.selectOption('select[name=agg]', 'sum');
    await page.waitForFunction(() => document.getElementById('title')?.textContent === 'Hours with Button Presses');
    mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(5000);

    // Everything came from the dashboard itself.
    const origin = new URL(dashboard.url).origin;
    expect(requests.filter((url) => !url.startsWith(origin))).toEqual([]);
  });
});
