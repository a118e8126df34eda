// The stack's tables. `events` is the tutorial's §4 schema with `board` and `sensor` widened
// to the service's own limits (device IDs and names ≤ 64, resource paths ≤ 128 characters),
// plus `uid`, the service's message ID, unique, so a redelivered reading is stored once. Next
// to it: the devices the service has told of (ID → name) and the outcomes of subscriptions.
// One migration serves setup (from the desktop) and the function (private mode).

import { SERVICE_LIMITS, UID_MAX_CHARS } from './payload.js';
import { createRollupTableSql } from './rollup.js';
import { ensureHourlyTables } from './rollup-hours.js';
import { partitionClause } from './partitions.js';

export { companionTables, DEFAULT_TABLE, isValidTableName, quoteTable } from './schema-names.js';
import { companionTables, DEFAULT_TABLE, quoteTable, retiringTable } from './schema-names.js';

/**
 * The readings table as made today: monthly partitions of `ts` (partitions.ts), and a redelivery
 * known by its time first, then its uid — the service sends it again with the same timestamp, so
 * the look-up and the insert touch the newest pages of that index, however large the table grows
 * (a key of uid alone is random: past the buffer pool, every new reading costs page reads). The
 * same index serves time ranges, so there is no second one on `ts`. Every unique key holds `ts`,
 * as partitioning requires. `fromMs`: the oldest reading it will hold, for a month of its own
 * from there (a table made to take an older one's readings).
 */
export function createTableSql(table: string = DEFAULT_TABLE, nowMs: number = Date.now(), fromMs: number = nowMs): string {
  return (
    `CREATE TABLE IF NOT EXISTS ${quoteTable(table)} (` +
    // The tutorial's int(11) runs out at 2 147 483 647 readings (ten boards a second: seven years).
    '`id` bigint unsigned NOT NULL AUTO_INCREMENT, ' +
    '`ts` datetime NOT NULL, ' +
    '`value` double NOT NULL, ' +
    `\`board\` varchar(${SERVICE_LIMITS.board.maxChars}) NOT NULL, ` +
    `\`sensor\` varchar(${SERVICE_LIMITS.sensor.maxChars}) NOT NULL, ` +
    `\`uid\` varchar(${UID_MAX_CHARS}) CHARACTER SET ascii COLLATE ascii_bin NULL, ` +
    'PRIMARY KEY (`id`, `ts`), UNIQUE KEY `ts` (`ts`, `uid`), KEY `board` (`board`)' +
    `) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 ${partitionClause(nowMs, fromMs)}`
  );
}

export function createDevicesTableSql(table: string = DEFAULT_TABLE): string {
  return (
    `CREATE TABLE IF NOT EXISTS ${quoteTable(companionTables(table).devices)} (` +
    `\`device_id\` varchar(${SERVICE_LIMITS.board.maxChars}) NOT NULL, ` +
    `\`endpoint_name\` varchar(${SERVICE_LIMITS.board.maxChars}) NULL, ` +
    '`endpoint_type` varchar(64) NULL, ' +
    '`registered_at` datetime NULL, ' +
    '`last_seen` datetime NOT NULL, ' +
    'PRIMARY KEY (`device_id`), KEY `endpoint_name` (`endpoint_name`)' +
    ') ENGINE=InnoDB DEFAULT CHARSET=utf8mb4'
  );
}

export function createAsyncResponsesTableSql(table: string = DEFAULT_TABLE): string {
  return (
    `CREATE TABLE IF NOT EXISTS ${quoteTable(companionTables(table).asyncResponses)} (` +
    '`id` varchar(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, ' +
    '`status` smallint NOT NULL, ' +
    '`error` varchar(255) NULL, ' +
    '`received_at` datetime NOT NULL, ' +
    'PRIMARY KEY (`id`)' +
    ') ENGINE=InnoDB DEFAULT CHARSET=utf8mb4'
  );
}

/** Runs one statement and returns its rows. */
export type Query = (sql: string, values?: unknown[]) => Promise<unknown>;

/**
 * Brings the stack's tables to this version: creates what is missing, and adds `uid` (with
 * its unique index) to an events table made before it existed — a tutorial-made table too, so
 * redeliveries are stored once from then on. Safe to run again at any time.
 */
export async function migrate(query: Query, table: string = DEFAULT_TABLE): Promise<void> {
  await query(createTableSql(table));
  const columns = (await query(
    'SELECT COLUMN_NAME AS name, CHARACTER_SET_NAME AS charset, COLLATION_NAME AS collation FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?',
    [table],
  )) as Array<{ name: string; charset: string | null; collation: string | null }>;
  const column = (name: string) => columns.find((c) => c.name.toLowerCase() === name);
  if (!column('uid')) {
    await query(`ALTER TABLE ${quoteTable(table)} ADD COLUMN \`uid\` varchar(${UID_MAX_CHARS}) CHARACTER SET ascii COLLATE ascii_bin NULL, ADD UNIQUE KEY \`uid\` (\`uid\`)`);
  }
  await query(createDevicesTableSql(table));
  await query(createAsyncResponsesTableSql(table));
  // The rollup compares names as the events table does. New, it is not complete: setup fills it.
  const text = (name: string) => ({ charset: column(name)?.charset ?? 'utf8mb4', collation: column(name)?.collation ?? 'utf8mb4_general_ci' });
  await query(createRollupTableSql(table, text('board'), text('sensor')));
  // Its hourly sums, per series and per sensor, settled by the chart and setup; the function never writes them.
  await ensureHourlyTables(query, table, text('board'), text('sensor'));
}

const USER_NAME = /^[A-Za-z0-9_]{1,32}$/;

/**
 * A database user that logs in with RDS IAM authentication over TLS only, made or brought to those
 * terms (one made otherwise, by hand or before, is altered): its account and the statements.
 */
function iamUser(user: string): { account: string; made: string[] } {
  if (!USER_NAME.test(user)) throw new Error(`invalid database user name ${JSON.stringify(user)}`);
  const account = `'${user}'@'%'`;
  return {
    account,
    made: [`CREATE USER IF NOT EXISTS ${account} IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS' REQUIRE SSL`, `ALTER USER ${account} IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS' REQUIRE SSL`],
  };
}

/**
 * The webhook's own database user: it logs in with RDS IAM authentication (a token, never a
 * password: RDS docs, "Creating a database account using IAM authentication") over TLS only,
 * and may do what the function does and nothing else — add readings (knowing a redelivered one
 * by its time and uid, the columns it may read), keep the chart rollup, the devices and the
 * subscription outcomes. No
 * DDL, no other table, and no way to change or delete a stored reading. Safe to run again;
 * the tables must exist (migrate first).
 */
export function webhookUserStatements(user: string, table: string = DEFAULT_TABLE): string[] {
  const { account, made } = iamUser(user);
  const { devices, asyncResponses, rollup } = companionTables(table);
  return [
    ...made,
    // It reads a reading's time and uid, to know a redelivery before storing: its value it never sees.
    `GRANT SELECT (\`ts\`, \`uid\`), INSERT ON ${quoteTable(table)} TO ${account}`,
    `GRANT SELECT, INSERT, UPDATE ON ${quoteTable(devices)} TO ${account}`,
    `GRANT SELECT, INSERT, UPDATE ON ${quoteTable(asyncResponses)} TO ${account}`,
    `GRANT SELECT, INSERT, UPDATE ON ${quoteTable(rollup)} TO ${account}`,
  ];
}

/**
 * The function's user for its scheduled maintenance (the schedule carries no password): it logs
 * in as the webhook's user does, and may keep the readings table's partitions — ALTER TABLE
 * (which also takes CREATE and INSERT) and DROP PARTITION (DROP) on it: MySQL 8.0 reference,
 * "ALTER TABLE Partition Operations"; a month goes through the side table it is swapped into
 * (EXCHANGE PARTITION also takes DROP on both tables: "Exchanging Partitions and Subpartitions with
 * Tables"), granted before the table exists as CREATE lets a grant be — and settle hours: read the
 * 15-minute rollup, write the hourly levels and their comments — and read the devices table (the
 * watch counts those gone quiet). It is used by no web request.
 */
export function maintenanceUserStatements(user: string, table: string = DEFAULT_TABLE): string[] {
  const { account, made } = iamUser(user);
  const { rollup, rollupHour, sensorHours, devices } = companionTables(table);
  return [
    ...made,
    `GRANT SELECT, INSERT, ALTER, CREATE, DROP ON ${quoteTable(table)} TO ${account}`,
    // The watch counts devices gone quiet.
    `GRANT SELECT ON ${quoteTable(devices)} TO ${account}`,
    `GRANT INSERT, ALTER, CREATE, DROP ON ${quoteTable(retiringTable(table))} TO ${account}`,
    `GRANT SELECT ON ${quoteTable(rollup)} TO ${account}`,
    `GRANT SELECT, INSERT, UPDATE, ALTER, CREATE ON ${quoteTable(rollupHour)} TO ${account}`,
    `GRANT SELECT, INSERT, UPDATE, ALTER, CREATE ON ${quoteTable(sensorHours)} TO ${account}`,
  ];
}

/** Creates or updates the webhook's user (run as the master user, after migrate). */
export async function ensureWebhookUser(query: Query, user: string, table: string = DEFAULT_TABLE): Promise<void> {
  for (const sql of webhookUserStatements(user, table)) await query(sql);
}

/** Creates or updates the maintenance user (run as the master user, after migrate). */
export async function ensureMaintenanceUser(query: Query, user: string, table: string = DEFAULT_TABLE): Promise<void> {
  for (const sql of maintenanceUserStatements(user, table)) await query(sql);
}
