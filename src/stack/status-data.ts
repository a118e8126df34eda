// status's look at the data: how many rows, the newest, the last value per board and sensor
// (with the name each device gave itself), whether redeliveries are stored once, and the
// outcomes of subscriptions still pending.

import { quoteTable, type Query } from '../../templates/lambda/schema.js';
import { deviceNames } from '../db/devices.js';
import { outcomesOf, type Outcome } from '../db/outcomes.js';

export interface DataSummary {
  rows: number;
  newest: string | null;
  /** The table has `uid`: a reading the service delivers again is stored once. */
  deduplicated: boolean;
  series: Array<{ board: string; name?: string; sensor: string; rows: number; lastValue: number; lastTs: string }>;
}

export interface DataLook {
  data: DataSummary;
  /** Outcomes of the pending subscriptions' async responses, by id. */
  outcomes: Map<string, Outcome>;
}

const iso = (t: Date | string) => (t instanceof Date ? t.toISOString() : new Date(`${t}Z`).toISOString());

export async function lookAtData(query: Query, table: string, pendingIds: string[]): Promise<DataLook> {
  const uid = (await query("SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = 'uid'", [table])) as unknown[];
  const t = quoteTable(table);
  const [total] = (await query(`SELECT COUNT(*) AS n, MAX(ts) AS newest FROM ${t}`)) as Array<{ n: number; newest: Date | string | null }>;
  const series = (await query(
    `SELECT e.board, e.sensor, m.n, e.value, e.ts FROM ${t} e JOIN (SELECT board, sensor, COUNT(*) AS n, MAX(id) AS id FROM ${t} GROUP BY board, sensor) m ON e.id = m.id ORDER BY e.board, e.sensor LIMIT 100`,
  )) as Array<{ board: string; sensor: string; n: number; value: number; ts: Date | string }>;
  const names = await deviceNames(query, table, series.map((s) => s.board));
  const outcomes = await outcomesOf(query, table, pendingIds);
  return {
    data: {
      rows: Number(total?.n ?? 0),
      newest: total?.newest ? iso(total.newest) : null,
      deduplicated: uid.length > 0,
      series: series.map((s) => ({
        board: s.board,
        ...(names.get(s.board) ? { name: names.get(s.board)! } : {}),
        sensor: s.sensor,
        rows: Number(s.n),
        lastValue: Number(s.value),
        lastTs: iso(s.ts),
      })),
    },
    outcomes,
  };
}
