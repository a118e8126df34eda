// Keeping a partitioned readings table: months made ahead, and raw readings older than asked for
// dropped a month at a time. Raw readings go only once the 15-minute rollup holds them (it is
// complete): their sums stay forever, so hourly and daily charts of any period still work. From
// when raw readings are kept is written in the table's comment, for the chart to say so.

import { maintenancePlan, PARTITIONS_SQL, type Partition } from './partitions.js';
import { rollupStatus } from './rollup.js';
import type { Query } from './schema.js';
import { quoteTable } from './schema-names.js';
import { tableComment } from './table-comment.js';

export interface MaintenanceResult {
  /** Months made ahead (their first days). */
  added: string[];
  /** Partitions dropped, and the readings they held (the server's estimate). */
  dropped: string[];
  droppedRows: number;
  /** Raw readings are kept from this day (`YYYY-MM-DD`), or null: all of them. */
  rawFrom: string | null;
  /** Why old months were kept although asked to drop them. */
  kept?: string;
}

/** The events table's comment once raw readings before a day are gone. */
export const rawFromComment = (day: string): string => `mbed-tsdb: raw readings from ${day}`;

export function readRawFrom(comment: string | null | undefined): string | null {
  return /^mbed-tsdb: raw readings from (\d{4}-\d{2}-\d{2})$/.exec(comment ?? '')?.[1] ?? null;
}

/** The table's comment, read: from when raw readings are kept (null: all of them, or no such table). */
export async function rawReadingsFrom(query: Query, table: string): Promise<string | null> {
  return readRawFrom(await tableComment(query, table));
}

/**
 * Runs one maintenance: months made ahead, and with `keepRawMs` the months wholly older dropped —
 * only when the 15-minute rollup is complete (its sums are then all that is left of them). Needs
 * ALTER on the table. A table not partitioned by month is left as it is.
 */
export async function maintainPartitions(query: Query, table: string, nowMs: number, keepRawMs: number | null): Promise<MaintenanceResult> {
  const partitions = ((await query(PARTITIONS_SQL, [table])) as Partition[]).map((p) => ({ ...p, rows: Number(p.rows ?? 0) }));
  let plan = maintenancePlan(table, partitions, nowMs, keepRawMs);
  let kept: string | undefined;
  if (plan.drop.length > 0 && !(await rollupStatus(query, table)).complete) {
    kept = 'the 15-minute rollup is not complete yet (run: mbed-tsdb setup), so the old months are all the record there is of them';
    plan = maintenancePlan(table, partitions, nowMs, null);
  }
  // Said before it is so: stopped in between, a chart warns of raw readings it still has, never the reverse.
  if (plan.rawFrom) await query(`ALTER TABLE ${quoteTable(table)} COMMENT = '${rawFromComment(plan.rawFrom)}'`);
  for (const statement of plan.statements) await query(statement);
  const rawFrom = plan.rawFrom ?? (await rawReadingsFrom(query, table));
  return { added: plan.add, dropped: plan.drop, droppedRows: plan.dropRows, rawFrom, ...(kept ? { kept } : {}) };
}
