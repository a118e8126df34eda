// Device names. On Izuma a board is stored under its device ID; the name the device gave itself
// (`original-ep`) is in the `<table>_devices` table the function keeps. A table made by the
// tutorial alone has no such table: its boards are known by what is stored.

import type { Pool } from 'mysql2/promise';
import { companionTables, quoteTable, type Query } from '../../templates/lambda/schema.js';
import { sqlTime } from '../../templates/lambda/sql-time.js';

/** mysql2's pool as the schema's Query (rows only). */
export const poolQuery =
  (pool: Pick<Pool, 'query'>): Query =>
  async (sql, values) =>
    (await pool.query(sql, values as never))[0];

async function hasDevices(query: Query, table: string): Promise<boolean> {
  const rows = (await query('SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?', [companionTables(table).devices])) as unknown[];
  return rows.length > 0;
}

/** The name each of these boards gave itself, where it differs from the stored ID. */
export async function deviceNames(query: Query, table: string, boards: string[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  if (boards.length === 0 || !(await hasDevices(query, table))) return names;
  const rows = (await query(`SELECT device_id, endpoint_name FROM ${quoteTable(companionTables(table).devices)} WHERE device_id IN (?) AND endpoint_name IS NOT NULL`, [
    [...new Set(boards)],
  ])) as Array<{ device_id: string; endpoint_name: string }>;
  for (const row of rows) if (row.endpoint_name !== row.device_id) names.set(row.device_id, row.endpoint_name);
  return names;
}

/**
 * What a `--board` given as text stands for: the device ID itself, and every device that
 * calls itself that (a name may be reused by a replaced board; its history stays together) —
 * all of them, however many.
 */
export async function boardsNamed(query: Query, table: string, board: string): Promise<string[]> {
  if (!(await hasDevices(query, table))) return [board];
  const rows = (await query(`SELECT device_id FROM ${quoteTable(companionTables(table).devices)} WHERE endpoint_name = ? ORDER BY device_id`, [board])) as Array<{
    device_id: string;
  }>;
  return [board, ...rows.map((r) => r.device_id).filter((id) => id !== board)];
}

/** Devices listed as quiet in status (the alarm counts all of them). */
export const MAX_QUIET_LISTED = 100;

/** Known devices whose newest reading is older than `beforeMs`, the quietest first. */
export async function quietDevices(query: Query, table: string, beforeMs: number): Promise<Array<{ board: string; name?: string; lastSeen: string }>> {
  if (!(await hasDevices(query, table))) return [];
  const rows = (await query(
    `SELECT device_id, endpoint_name, last_seen FROM ${quoteTable(companionTables(table).devices)} WHERE last_seen < ? ORDER BY last_seen, device_id LIMIT ${MAX_QUIET_LISTED}`,
    [sqlTime(beforeMs)],
  )) as Array<{ device_id: string; endpoint_name: string | null; last_seen: Date | string }>;
  return rows.map((r) => ({
    board: r.device_id,
    ...(r.endpoint_name && r.endpoint_name !== r.device_id ? { name: r.endpoint_name } : {}),
    lastSeen: (r.last_seen instanceof Date ? r.last_seen : new Date(`${r.last_seen}Z`)).toISOString(),
  }));
}
