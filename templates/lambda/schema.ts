// The `events` table: the tutorial's §4 schema with `board` and `sensor` widened to the
// service's own limits (endpoint names ≤ 64, resource paths ≤ 128 characters).

import { SERVICE_LIMITS } from './payload.js';

export const DEFAULT_TABLE = 'events';

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export function isValidTableName(name: string): boolean {
  return TABLE_NAME.test(name);
}

/** Backtick-quotes a table name after validating it; identifiers cannot be bound as parameters. */
export function quoteTable(name: string): string {
  if (!isValidTableName(name)) {
    throw new Error(`invalid table name ${JSON.stringify(name)}: use letters, digits and _ (at most 64)`);
  }
  return `\`${name}\``;
}

export function createTableSql(table: string = DEFAULT_TABLE): string {
  return (
    `CREATE TABLE IF NOT EXISTS ${quoteTable(table)} (` +
    '`id` int(11) NOT NULL AUTO_INCREMENT, ' +
    '`ts` datetime NOT NULL, ' +
    '`value` double NOT NULL, ' +
    `\`board\` varchar(${SERVICE_LIMITS.board.maxChars}) NOT NULL, ` +
    `\`sensor\` varchar(${SERVICE_LIMITS.sensor.maxChars}) NOT NULL, ` +
    'PRIMARY KEY (`id`), KEY `ts` (`ts`), KEY `board` (`board`)' +
    ') ENGINE=InnoDB DEFAULT CHARSET=utf8mb4'
  );
}
