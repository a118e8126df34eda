// A table's comment, where the stack keeps what a table holds (rollup progress, raw readings kept,
// a reshape's progress): read from information_schema, without touching the table.

type Query = (sql: string, values?: unknown[]) => Promise<unknown>;

/** The table's comment ('' when it has none), or null when there is no such table. */
export async function tableComment(query: Query, table: string): Promise<string | null> {
  const rows = (await query('SELECT TABLE_COMMENT AS c FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?', [table])) as Array<{ c: string }>;
  return rows[0]?.c ?? null;
}
