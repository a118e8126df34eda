// Writing a batch so that only what the database refuses is left out: runs of pieces under
// savepoints, halved on refusal down to the piece refused.

import type { Connection } from 'mysql2/promise';
import { describe, isDataRefused } from './db-errors.js';
import type { Batch } from './statements.js';
import type { WriteResult } from './store.js';

/** One reading, device fact or outcome of a batch, as a batch of its own. */
function pieces(batch: Batch): Batch[] {
  const none = { readings: [], devices: [], outcomes: [] };
  return [
    ...batch.readings.map((r) => ({ ...none, readings: [r] })),
    ...batch.devices.map((d) => ({ ...none, devices: [d] })),
    ...batch.outcomes.map((o) => ({ ...none, outcomes: [o] })),
  ];
}

const joined = (parts: readonly Batch[]): Batch => ({
  readings: parts.flatMap((p) => p.readings),
  devices: parts.flatMap((p) => p.devices),
  outcomes: parts.flatMap((p) => p.outcomes),
});

/**
 * Writes a batch inside an open transaction so that only what the database refuses is left out:
 * a run of pieces (each reading with its rollup row, each device fact, each outcome) is tried
 * under a savepoint; refused, it is undone and halved, down to the single piece refused — a
 * handful of statements for a few bad pieces among thousands.
 */
export async function writePieces(
  connection: Pick<Connection, 'query' | 'format'>,
  batch: Batch,
  statementsFor: (part: Batch) => Array<{ sql: string; rows: unknown[][]; counts?: boolean }>,
): Promise<{ inserted: number; refused: WriteResult['refused'] }> {
  const all = pieces(batch);
  const refused: WriteResult['refused'] = [];
  let inserted = 0;
  const attempt = async (from: number, to: number): Promise<void> => {
    if (from >= to) return;
    let counted = 0;
    await connection.query('SAVEPOINT piece');
    try {
      for (const statement of statementsFor(joined(all.slice(from, to)))) {
        const [result] = await connection.query(connection.format(statement.sql, [statement.rows]));
        if (statement.counts) counted += (result as { affectedRows: number }).affectedRows;
      }
      inserted += counted;
    } catch (error) {
      if (!isDataRefused(error)) throw error;
      await connection.query('ROLLBACK TO SAVEPOINT piece');
      if (to - from === 1) {
        const piece = all[from]!;
        refused.push({ item: piece.readings[0] ?? piece.devices[0] ?? piece.outcomes[0]!, reason: describe(error) });
        return;
      }
      const middle = (from + to) >> 1;
      await attempt(from, middle);
      await attempt(middle, to);
    }
  };
  await attempt(0, all.length);
  return { inserted, refused };
}

