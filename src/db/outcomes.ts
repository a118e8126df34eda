// The outcomes of subscriptions the service accepted with 202: the function records each
// async response it is sent in the stack's database, where status and subscribe read them.

import { companionTables, quoteTable, type Query } from '../../templates/lambda/schema.js';
import { openDatabase } from './connect.js';
import { poolQuery } from './devices.js';
import { resolveDbTarget } from './target.js';

export interface Outcome {
  status: number;
  error: string | null;
}

/** The recorded outcomes of these async-response ids (missing: none arrived yet; none at all without the table). */
export async function outcomesOf(query: Query, table: string, ids: string[]): Promise<Map<string, Outcome>> {
  const found = new Map<string, Outcome>();
  const outcomes = companionTables(table).asyncResponses;
  if (ids.length === 0) return found;
  const present = (await query('SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?', [outcomes])) as unknown[];
  if (present.length === 0) return found;
  const rows = (await query(`SELECT id, status, error FROM ${quoteTable(outcomes)} WHERE id IN (?)`, [ids])) as Array<{ id: string; status: number; error: string | null }>;
  for (const row of rows) found.set(row.id, { status: Number(row.status), error: row.error });
  return found;
}

/** outcomesOf, in the stack's database. Throws when the database cannot be read. */
export async function readOutcomes(env: Record<string, string | undefined>, stack: string, ids: string[]): Promise<Map<string, Outcome>> {
  if (ids.length === 0) return new Map();
  const target = resolveDbTarget({ stack, env });
  const pool = await openDatabase(target);
  try {
    return await outcomesOf(poolQuery(pool), target.config.table, ids);
  } finally {
    await pool.end().catch(() => undefined);
  }
}
