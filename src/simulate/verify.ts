// Reading a simulation's rows back: every reading once, none missing, none twice.

import { quoteTable, type Query } from '../../templates/lambda/schema.js';

export interface RowCheck {
  /** Rows of this run in the table. */
  rows: number;
  missing: number;
  duplicated: number;
}

/** With uids (Izuma): each of this run's uids exactly once. Without (legacy): the rows of its boards against the readings delivered. */
export async function checkRows(query: Query, table: string, run: { runId: string; uids: string[]; deviceIds: string[]; delivered: number }): Promise<RowCheck> {
  const t = quoteTable(table);
  if (run.uids.length > 0) {
    const found = (await query(`SELECT uid, COUNT(*) AS n FROM ${t} WHERE uid LIKE ? GROUP BY uid`, [`sim-${run.runId}-%`])) as Array<{ uid: string; n: number | string }>;
    const counts = new Map(found.map((r) => [r.uid, Number(r.n)]));
    const missing = run.uids.filter((uid) => !counts.has(uid)).length;
    const duplicated = [...counts.values()].reduce((sum, n) => sum + Math.max(0, n - 1), 0);
    return { rows: [...counts.values()].reduce((a, b) => a + b, 0), missing, duplicated };
  }
  const [row] = (await query(`SELECT COUNT(*) AS n FROM ${t} WHERE board IN (?)`, [run.deviceIds])) as Array<{ n: number | string }>;
  const rows = Number(row?.n ?? 0);
  return { rows, missing: Math.max(0, run.delivered - rows), duplicated: Math.max(0, rows - run.delivered) };
}
