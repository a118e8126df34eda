// What the function does on the master user's login an invocation carries (private mode: the
// desktop cannot reach the database): make the tables, fill the rollup, reshape an old table,
// keep the partitions. Each on the store's one connection, one at a time with its writes; a
// connection that dropped is replaced for the next, and a failure reads as unavailable or not.

import type { Connection } from 'mysql2/promise';
import { asUnavailable, isConnectionError } from './db-errors.js';
import { maintainPartitions, type MaintenanceResult } from './maintenance.js';
import { reshapeTable, type ReshapeProgress } from './reshape.js';
import { fillRollup, type FillProgress } from './rollup.js';
import { settleHours } from './rollup-hours.js';
import { companionTables, ensureMaintenanceUser, ensureWebhookUser, migrate, quoteTable } from './schema.js';
import { sqlTime } from './sql-time.js';

export interface AdminOperations {
  /**
   * Creates the tables, or brings them up to date (an existing table is kept); with user names,
   * also the webhook's user and the maintenance user (needs the master user's login).
   */
  migrate(webhookUser?: string, maintenanceUser?: string): Promise<void>;
  /** Fills the chart rollup from the stored rows until done or for about this long (ms); needs the master user. */
  fillRollup(forMs: number): Promise<FillProgress>;
  /** Moves a table made before monthly partitions to them, for about this long (ms); needs the master user. */
  reshape(forMs: number): Promise<ReshapeProgress>;
  /**
   * Hours settled, months made ahead and, with `keepRawMs`, raw months older dropped, by the
   * database's clock; needs the master user or the maintenance user.
   */
  maintain(keepRawMs: number | null): Promise<MaintenanceResult>;
  /** Known devices whose newest reading is older than `beforeMs` (the devices table; 0 without one). */
  quietDevices(beforeMs: number): Promise<number>;
}

export interface AdminContext {
  table: string;
  now: () => number;
  connect(): Promise<Connection>;
  /** A second session of the same login (the reshape's swap locks from it); the caller ends it. */
  openAnother(): Promise<Connection>;
  discard(): Promise<void>;
  /** Runs after the store's other work, and before the next. */
  serially<T>(work: () => Promise<T>): Promise<T>;
  /** The tables may have changed: their shape is read again before the next write. */
  forgetShape(): void;
}

export function adminOperations(ctx: AdminContext): AdminOperations {
  const onConnection = <T>(work: (connection: Connection, query: (sql: string, values?: unknown[]) => Promise<unknown>) => Promise<T>): Promise<T> =>
    ctx.serially(async () => {
      try {
        const connection = await ctx.connect();
        return await work(connection, async (sql, values) => (await connection.query(sql, values))[0]);
      } catch (error) {
        if (isConnectionError(error)) await ctx.discard();
        throw asUnavailable(error);
      }
    });
  const until = (forMs: number) => {
    const deadline = ctx.now() + forMs;
    return () => ctx.now() >= deadline;
  };

  return {
    migrate: (webhookUser, maintenanceUser) =>
      onConnection(async (_connection, query) => {
        await migrate(query, ctx.table);
        if (webhookUser) await ensureWebhookUser(query, webhookUser, ctx.table);
        if (maintenanceUser) await ensureMaintenanceUser(query, maintenanceUser, ctx.table);
        ctx.forgetShape();
      }),
    fillRollup: (forMs) => onConnection((connection) => fillRollup(connection, ctx.table, { stop: until(forMs) })),
    reshape: (forMs) =>
      onConnection(async (connection) => {
        try {
          return await reshapeTable(connection, ctx.table, { nowMs: ctx.now(), stop: until(forMs), second: () => ctx.openAnother() });
        } finally {
          ctx.forgetShape();
        }
      }),
    maintain: (keepRawMs) =>
      onConnection(async (_connection, query) => {
        // By the database's clock: the months are the table's.
        const [clock] = (await query('SELECT UNIX_TIMESTAMP() AS now')) as Array<{ now: number | string }>;
        const now = Number(clock!.now);
        // Hours first: the 15-minute rollup holds what dropped months leave, the hours sum it.
        await settleHours(query, ctx.table, { now });
        return maintainPartitions(query, ctx.table, now * 1000, keepRawMs);
      }),
    quietDevices: (beforeMs) =>
      onConnection(async (_connection, query) => {
        const devices = companionTables(ctx.table).devices;
        const [table] = (await query('SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?', [devices])) as unknown[];
        if (!table) return 0;
        const [row] = (await query(`SELECT COUNT(*) AS n FROM ${quoteTable(devices)} WHERE \`last_seen\` < ?`, [sqlTime(beforeMs)])) as Array<{ n: number | string }>;
        return Number(row!.n);
      }),
  };
}
