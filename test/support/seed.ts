// Rows whose hourly sums are known, placed relative to a fixed "now".
import type { TestDatabase } from './mariadb.js';

export const DASHBOARD_NOW = Date.parse('2026-11-28T12:30:00Z') / 1000;

/** Hours before now → the values stored in that UTC hour. Hours not listed are empty. */
export const HOURLY_VALUES: Record<number, number[]> = {
  0: [1, 1],
  1: [2],
  3: [1, 1, 1, 1],
  5: [0.5, 2.5],
};

export function hourStart(hoursAgo: number): number {
  return Math.floor(DASHBOARD_NOW / 3600) * 3600 - hoursAgo * 3600;
}

export const toSqlTs = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 19).replace('T', ' ');

export async function seedHourly(db: TestDatabase): Promise<void> {
  const rows: unknown[][] = [];
  for (const [hoursAgo, values] of Object.entries(HOURLY_VALUES)) {
    values.forEach((value, i) => rows.push([toSqlTs(hourStart(Number(hoursAgo)) + 60 * (i + 1)), value, 'dev-1', '/3200/0/5501']));
  }
  rows.push([toSqlTs(hourStart(2) + 30), 9, 'dev-2', '/3303/0/5700']);
  await db.query('INSERT INTO events (ts, value, board, sensor) VALUES ?', [rows]);
}

/** A dashboard on a fresh database seeded with HOURLY_VALUES, its clock stopped at DASHBOARD_NOW. */
export async function seededDashboard(options: { refreshSeconds: number }) {
  const { createPool } = await import('mysql2/promise');
  const { startDashboard } = await import('../../src/dashboard/server.js');
  const { freshDatabase } = await import('./db.js');
  const db = await freshDatabase();
  await seedHourly(db);
  const pool = createPool({ ...db.login, database: db.name, connectionLimit: 2, dateStrings: true });
  const dashboard = await startDashboard({
    pool,
    table: 'events',
    defaults: { since: '6h', bucket: 'hour', agg: 'sum', tz: 'UTC' },
    refreshSeconds: options.refreshSeconds,
    host: '127.0.0.1',
    port: 0,
    explain: (e) => `explained: ${String(e)}`,
    now: () => DASHBOARD_NOW,
  });
  return {
    db,
    pool,
    dashboard,
    async close() {
      await dashboard.close();
      await pool.end();
      await db.drop();
    },
  };
}
