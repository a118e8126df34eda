import { resolveDbTarget, type DbTarget } from '../db/target.js';
import type { CommandContext } from './context.js';
import { stateNotices } from './stack-context.js';

/** The database of the data commands, from their --db-url/--db-ca/--table options or the stack. */
export function dataTarget(context: CommandContext): DbTarget {
  const { options } = context;
  const target = resolveDbTarget({
    dbUrl: options.dbUrl as string | undefined,
    dbCa: options.dbCa as string | undefined,
    table: options.table as string | undefined,
    stack: context.settings.stack,
    env: context.env,
    notices: stateNotices(context),
  });
  if (options.dbUrl !== undefined && target.config.password) {
    context.out.warn('a password in --db-url is visible to other users of this computer (ps) and stays in your shell history: put the URL in MBED_TSDB_DB_URL (environment or .env) instead');
  }
  return target;
}
