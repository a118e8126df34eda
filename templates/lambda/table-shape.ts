// What the stack's tables look like, as read from information_schema: what the events table holds
// and the companion tables' columns the same text also goes into. Pure: the store reads the rows.

import { DatabaseUnavailableError } from './db-errors.js';
import { DEVICE_COLUMNS, numberColumn, type DeviceColumns, type ReadingColumns, type TextColumn } from './payload.js';

/** What the stack's tables look like, read from the database (a user may have changed them). */
export interface TableShape extends ReadingColumns {
  /** The events table has `uid` (with its unique index): redeliveries are stored once. */
  uid: boolean;
  /**
   * A redelivery is known by (`ts`, `uid`), the table's unique key today; otherwise by `uid` alone
   * (a table made before, or the tutorial's given uid by migrate).
   */
  uidByTime: boolean;
  devices: boolean;
  /** The devices table's columns, as they are now. */
  deviceColumns: DeviceColumns;
  asyncResponses: boolean;
  /** The chart rollup exists. */
  rollup: boolean;
}

/** One column of the stack's tables, as information_schema.COLUMNS gives it. */
export interface ColumnRow {
  tbl: string;
  name: string;
  width: number | null;
  charset: string | null;
  dataType: string;
  columnType: string;
  numPrecision: number | null;
  numScale: number | null;
}

/** One column of a unique index of the events table, as information_schema.STATISTICS gives it. */
export interface UniqueKeyRow {
  index: string;
  seq: number;
  name: string;
}

/** Whether the events table's uid is unique with its time, (`ts`, `uid`), and not on its own. */
export function uidByTime(keys: readonly UniqueKeyRow[]): boolean {
  const indexes = new Map<string, string[]>();
  for (const key of [...keys].sort((a, b) => Number(a.seq) - Number(b.seq))) {
    const columns = indexes.get(key.index) ?? [];
    columns.push(key.name.toLowerCase());
    indexes.set(key.index, columns);
  }
  const shapes = [...indexes.values()].map((columns) => columns.join(','));
  return shapes.includes('ts,uid') && !shapes.includes('uid');
}

/**
 * The tables' shape from their columns: what the events table holds, and the columns of the
 * companion tables the same text also goes into — the rollup's (when kept) and the devices' —
 * each of which must hold it too, however their owner altered them.
 */
export function tableShape(
  rows: readonly ColumnRow[],
  names: { database: string; table: string; devices: string; asyncResponses: string; rollup: string },
  keepRollup: boolean,
  uniqueKeys: readonly UniqueKeyRow[] = [],
): TableShape {
  const columns = new Map<string, Map<string, ColumnRow>>();
  for (const row of rows) {
    let table = columns.get(row.tbl);
    if (!table) columns.set(row.tbl, (table = new Map()));
    table.set(row.name.toLowerCase(), row);
  }
  const events = columns.get(names.table) ?? new Map<string, ColumnRow>();
  const text = (table: string, name: string): TextColumn | undefined => {
    const row = columns.get(table)?.get(name);
    return row ? { maxChars: Number(row.width ?? 0), charset: row.charset ?? 'binary', ...(table === names.table ? {} : { name: `${table}.${name}` }) } : undefined;
  };
  const required = (name: string): TextColumn => {
    const found = text(names.table, name);
    if (found) return found;
    const message = events.size === 0 ? `table ${names.database}.${names.table} does not exist (run: mbed-tsdb setup)` : `table ${names.database}.${names.table} has no column ${name}`;
    // A table still missing is what setup is about to create: worth waiting for.
    throw events.size === 0 ? new DatabaseUnavailableError(message) : new Error(message);
  };
  const board = required('board');
  const sensor = required('sensor');
  const valueRow = events.get('value');
  const value = valueRow
    ? numberColumn(String(valueRow.dataType), String(valueRow.columnType), valueRow.numPrecision === null ? null : Number(valueRow.numPrecision), valueRow.numScale === null ? null : Number(valueRow.numScale))
    : undefined;
  const rollup = columns.has(names.rollup);
  const devices = columns.has(names.devices);
  const present = (...found: Array<TextColumn | undefined>) => found.filter((c): c is TextColumn => c !== undefined);
  const deviceColumns: DeviceColumns = {
    id: text(names.devices, 'device_id') ?? DEVICE_COLUMNS.id,
    name: text(names.devices, 'endpoint_name') ?? DEVICE_COLUMNS.name,
    type: text(names.devices, 'endpoint_type') ?? DEVICE_COLUMNS.type,
  };
  return {
    board,
    sensor,
    ...(value ? { value } : {}),
    boardAlso: present(rollup && keepRollup ? text(names.rollup, 'board') : undefined, devices ? deviceColumns.id : undefined),
    sensorAlso: present(rollup && keepRollup ? text(names.rollup, 'sensor') : undefined),
    uid: events.has('uid'),
    uidByTime: events.has('uid') && uidByTime(uniqueKeys),
    devices,
    deviceColumns,
    asyncResponses: columns.has(names.asyncResponses),
    rollup,
  };
}

/** The query that reads the columns tableShape takes, for the events table and its companions. */
export const TABLE_COLUMNS_SQL =
  'SELECT TABLE_NAME AS tbl, COLUMN_NAME AS name, CHARACTER_MAXIMUM_LENGTH AS width, CHARACTER_SET_NAME AS charset, ' +
  'DATA_TYPE AS dataType, COLUMN_TYPE AS columnType, NUMERIC_PRECISION AS numPrecision, NUMERIC_SCALE AS numScale ' +
  'FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (?, ?, ?, ?)';

/** The unique indexes' columns of the events table, for uidByTime. */
export const UNIQUE_KEYS_SQL =
  'SELECT INDEX_NAME AS `index`, SEQ_IN_INDEX AS seq, COLUMN_NAME AS name FROM information_schema.STATISTICS ' +
  'WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND NON_UNIQUE = 0';
