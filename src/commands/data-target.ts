import { resolveDbTarget, type DbTarget } from '../db/target.js';
import type { CommandContext } from './context.js';

/** The database of the data commands, from their --db-url/--db-ca/--table options or the stack. */
export function dataTarget(context: CommandContext): DbTarget {
  const { options } = context;
  return resolveDbTarget({
    dbUrl: options.dbUrl as string | undefined,
    dbCa: options.dbCa as string | undefined,
    table: options.table as string | undefined,
    stack: context.settings.stack,
    env: context.env,
  });
}
