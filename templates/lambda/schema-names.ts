// The stack's table names: validated, quoted, and the tables that go with an events table.

export const DEFAULT_TABLE = 'events';

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,47}$/;

export function isValidTableName(name: string): boolean {
  return TABLE_NAME.test(name);
}

/** Backtick-quotes a table name after validating it; identifiers cannot be bound as parameters. */
export function quoteTable(name: string): string {
  if (!isValidTableName(name)) {
    throw new Error(`invalid table name ${JSON.stringify(name)}: use letters, digits and _ (at most 48)`);
  }
  return `\`${name}\``;
}

/**
 * The tables that go with an events table: `events_devices`, `events_async_responses`,
 * `events_rollup`, `events_rollup_hour` and `events_sensor_hours`. (Suffixes of at most 16
 * characters: with a table name of 48, MySQL's 64.)
 */
export function companionTables(table: string): { devices: string; asyncResponses: string; rollup: string; rollupHour: string; sensorHours: string } {
  return {
    devices: `${table}_devices`,
    asyncResponses: `${table}_async_responses`,
    rollup: `${table}_rollup`,
    rollupHour: `${table}_rollup_hour`,
    sensorHours: `${table}_sensor_hours`,
  };
}


/**
 * The empty table a month of raw readings is swapped into before it goes (maintenance.ts), so its
 * file is deleted outside the readings table's lock.
 */
export const retiringTable = (table: string): string => `${table}_retiring`;
