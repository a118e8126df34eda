// status's look at the data: how many rows, the newest, the last value per board and sensor
// (with the name each device gave itself), whether redeliveries are stored once, and the
// outcomes of subscriptions still pending.

import { numberColumn, SERVICE_LIMITS } from '../../templates/lambda/payload.js';
import { reshapeNeed } from '../../templates/lambda/reshape.js';
import { rollupLevelStatus } from '../../templates/lambda/rollup-hours.js';
import { companionTables } from '../../templates/lambda/schema-names.js';
import { sqlTime } from '../../templates/lambda/sql-time.js';
import { quoteTable, type Query } from '../../templates/lambda/schema.js';
import { deviceNames, quietDevices } from '../db/devices.js';
import { outcomesOf, type Outcome } from '../db/outcomes.js';

export interface DataSummary {
  rows: number;
  newest: string | null;
  /** The table has `uid`: a reading the service delivers again is stored once. */
  deduplicated: boolean;
  /** What the tables take and how fast they grow; absent before the rollup is complete. */
  storage?: StorageUse;
  /** lastValue and lastTs are absent when none of the series' raw readings is kept any more. */
  series: Array<{ board: string; name?: string; sensor: string; rows: number; lastValue?: number; lastTs?: string }>;
  /** With alerts: the known devices that sent nothing for the quiet period (the alarm's count), quietest first. */
  quietDevices?: Array<{ board: string; name?: string; lastSeen: string }>;
}

/** §4: the table as the function will find it. */
export interface TableCheck {
  state: 'ok' | 'missing' | 'no uid column' | 'missing columns';
  ok: boolean;
  note: string;
}

export interface ColumnInfo {
  name: string;
  dataType: string;
  columnType: string;
  width: number | null;
  numPrecision: number | null;
  numScale: number | null;
}

/**
 * The function works with any table that has ts, value, board and sensor; narrower text columns
 * or another number type cost readings that do not fit (skipped and logged), which is said.
 */
export function checkTable(columns: readonly ColumnInfo[], rows: number | null, rollup: 'complete' | 'filling' | 'none'): TableCheck {
  if (columns.length === 0) return { state: 'missing', ok: false, note: 'the function cannot store readings: run mbed-tsdb setup to create it' };
  const byName = new Map(columns.map((c) => [c.name.toLowerCase(), c]));
  const absent = ['ts', 'value', 'board', 'sensor'].filter((n) => !byName.has(n));
  if (absent.length > 0) return { state: 'missing columns', ok: false, note: `no ${absent.join(', ')}: the function cannot store readings` };
  const notes: string[] = [];
  for (const [name, limit] of [['board', SERVICE_LIMITS.board.maxChars], ['sensor', SERVICE_LIMITS.sensor.maxChars]] as const) {
    const width = Number(byName.get(name)!.width ?? 0);
    if (width < limit) notes.push(`${name} ${byName.get(name)!.columnType}, narrower than the service's ${limit}: longer ones are skipped`);
  }
  const value = byName.get('value')!;
  if (!['double', 'real'].includes(value.dataType.toLowerCase())) {
    // The function's own reading of the column: a scale means it rounds to it.
    const range = numberColumn(value.dataType, value.columnType, value.numPrecision === null ? null : Number(value.numPrecision), value.numScale === null ? null : Number(value.numScale));
    notes.push(`value ${value.columnType}: readings it cannot hold are skipped${range.scale !== undefined ? ', others rounded' : ''}`);
  }
  const counted = rows === null ? [] : [`${rows.toLocaleString('en')} rows`];
  const chart = rollup === 'complete' ? [] : rollup === 'filling' ? ['chart rollup still filling (run mbed-tsdb setup)'] : ['no chart rollup: charts read every row (run mbed-tsdb setup)'];
  if (!byName.has('uid')) {
    return { state: 'no uid column', ok: false, note: ['a reading the service delivers again is stored twice: run mbed-tsdb setup to add it', ...counted, ...notes].join('; ') };
  }
  return { state: 'ok', ok: true, note: [...counted, ...(notes.length ? notes : ['columns as the function expects']), ...chart].join('; ') };
}

export interface StorageUse {
  /** The readings table with its rollups and companion tables. */
  tableBytes: number;
  /** Every table on the server (the database's storage also holds its logs). */
  usedBytes: number;
  /** Readings a day over the last week (or the table's life, if shorter), from the rollup. */
  readingsPerDay: number;
  /** What the tables grow by a day at that rate. */
  bytesPerDay: number;
}

/**
 * Bytes a reading takes with its indexes, as `npm run bench` measures it (bytes_per_reading at
 * 30 million readings, rollups included), for tables too small to tell: InnoDB's first pages of
 * each index make a young table look many times dearer per reading.
 */
export const BYTES_PER_READING = 150;
const MEASURED_FROM_READINGS = 100_000;
const GB = 2 ** 30;
/** Under this many days left, status fails (exit 1): time to act before RDS stops taking writes. */
export const FULL_WARNING_DAYS = 30;
const TEN_YEARS_DAYS = 3652;

/** Bytes per reading: the table's own figure once it has enough readings to tell. */
export const bytesPerReading = (tableBytes: number, rawReadings: number): number =>
  rawReadings >= MEASURED_FROM_READINGS ? tableBytes / rawReadings : BYTES_PER_READING;

/**
 * When the database's storage is full at today's rate: `limitGb` is how far it may grow (its
 * autoscaling limit, or its size when it cannot grow). Fails under FULL_WARNING_DAYS.
 */
export function storageForecast(use: StorageUse, limitGb: number): { ok: boolean; note: string; fullInDays: number | null } {
  const left = limitGb * GB - use.usedBytes;
  const fullInDays = use.bytesPerDay > 0 ? Math.max(0, Math.floor(left / use.bytesPerDay)) : null;
  const size = (bytes: number) => (bytes >= GB ? `${(bytes / GB).toFixed(1)} GB` : bytes >= 2 ** 20 ? `${Math.round(bytes / 2 ** 20)} MB` : `${Math.max(0, Math.round(bytes / 1024))} KB`);
  const rate = `${Math.round(use.readingsPerDay).toLocaleString('en')} readings a day`;
  const held = `tables ${size(use.usedBytes)} of ${limitGb} GB (readings ${size(use.tableBytes)})`;
  if (fullInDays === null) return { ok: true, note: `${held}; no readings this week`, fullInDays };
  const when = fullInDays > TEN_YEARS_DAYS ? 'not full within ten years' : `full in ${fullInDays.toLocaleString('en')} days`;
  const note = `${held}; ${rate}, +${size(use.bytesPerDay)} a day: ${when}`;
  if (fullInDays >= FULL_WARNING_DAYS) return { ok: true, note, fullInDays };
  return { ok: false, note: `${note} — RDS then takes no readings: raise the limit (setup --max-storage) or keep raw readings for less (setup --keep-raw)`, fullInDays };
}

/** What the tables take and their growth: sizes from information_schema, the rate from the rollup. Reads no reading. */
export async function storageUse(query: Query, table: string): Promise<StorageUse> {
  const mine = [table, ...Object.values(companionTables(table))];
  const [sizes] = (await query(
    'SELECT SUM(DATA_LENGTH + INDEX_LENGTH) AS used, SUM(IF(TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (?), DATA_LENGTH + INDEX_LENGTH, 0)) AS mine, ' +
      'SUM(IF(TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?, DATA_LENGTH + INDEX_LENGTH, 0)) AS readings, ' +
      // InnoDB's estimate of the raw rows: no count of them.
      'SUM(IF(TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?, TABLE_ROWS, 0)) AS rawRows FROM information_schema.TABLES',
    [mine, table, table],
  )) as Array<{ used: number | string | null; mine: number | string | null; readings: number | string | null; rawRows: number | string | null }>;
  const [week] = (await query(
    `SELECT SUM(n) AS n, UNIX_TIMESTAMP() - UNIX_TIMESTAMP(MIN(bucket)) AS span FROM ${quoteTable(companionTables(table).rollup)} WHERE bucket >= NOW() - INTERVAL 7 DAY`,
  )) as Array<{ n: number | string | null; span: number | string | null }>;
  const readingsPerDay = Number(week?.n ?? 0) / Math.min(7, Math.max(1 / 24, Number(week?.span ?? 0) / 86_400));
  const perReading = bytesPerReading(Number(sizes?.readings ?? 0), Number(sizes?.rawRows ?? 0));
  return { tableBytes: Number(sizes?.mine ?? 0), usedBytes: Number(sizes?.used ?? 0), readingsPerDay, bytesPerDay: readingsPerDay * perReading };
}

/** The largest id of each integer type (MariaDB's "Numeric Data Type Overview"). */
const ID_MAX: Record<string, { signed: number; unsigned: number }> = {
  tinyint: { signed: 127, unsigned: 255 },
  smallint: { signed: 32_767, unsigned: 65_535 },
  mediumint: { signed: 8_388_607, unsigned: 16_777_215 },
  int: { signed: 2_147_483_647, unsigned: 4_294_967_295 },
  integer: { signed: 2_147_483_647, unsigned: 4_294_967_295 },
  bigint: { signed: 2 ** 63 - 1, unsigned: 2 ** 64 - 1 },
};

/**
 * Past half of its id type's range (the next id, from the table's AUTO_INCREMENT, read without a
 * scan), a warning: once the last id is used every insert fails. null while there is room.
 */
export function idHeadroom(id: ColumnInfo | undefined, nextId: number | null, table: string): string | null {
  if (!id || nextId === null) return null;
  const limits = ID_MAX[id.dataType.toLowerCase()];
  if (!limits) return null;
  const max = /\bunsigned\b/i.test(id.columnType) ? limits.unsigned : limits.signed;
  const used = Math.max(0, nextId - 1);
  if (used <= max / 2) return null;
  return (
    `id ${id.columnType}: ${used.toLocaleString('en')} of ${max.toLocaleString('en')} ids used, inserts fail at the last; ` +
    'widen it: mbed-tsdb setup --reshape moves the table to BIGINT UNSIGNED ids while the webhook keeps writing ' +
    `(ALTER TABLE ${quoteTable(table)} MODIFY \`id\` bigint unsigned NOT NULL AUTO_INCREMENT also does, but blocks writes while it rebuilds the table)`
  );
}

export interface DataLook {
  /** null: the table is missing (or lacks what the data summary reads). */
  data: DataSummary | null;
  table: TableCheck;
  /** Outcomes of the pending subscriptions' async responses, by id. */
  outcomes: Map<string, Outcome>;
}

const iso = (t: Date | string) => (t instanceof Date ? t.toISOString() : new Date(`${t}Z`).toISOString());

/** `quietBeforeMs`: with alerts, devices whose newest reading is older than this are listed as quiet. */
export async function lookAtData(query: Query, table: string, pendingIds: string[], quietBeforeMs?: number): Promise<DataLook> {
  const columns = (await query(
    'SELECT COLUMN_NAME AS name, DATA_TYPE AS dataType, COLUMN_TYPE AS columnType, CHARACTER_MAXIMUM_LENGTH AS width, NUMERIC_PRECISION AS numPrecision, NUMERIC_SCALE AS numScale ' +
      'FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?',
    [table],
  )) as ColumnInfo[];
  const outcomes = await outcomesOf(query, table, pendingIds);
  const shape = checkTable(columns, null, 'none');
  if (shape.state === 'missing' || shape.state === 'missing columns') return { data: null, table: shape, outcomes };
  const levels = await rollupLevelStatus(query, table);
  const { rows, newest, series } = levels.complete ? await countsFromRollups(query, table, levels.hours.series) : await countsByScan(query, table);
  const names = await deviceNames(query, table, series.map((s) => s.board));
  const [next] = (await query('SELECT AUTO_INCREMENT AS next FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?', [table])) as Array<{ next: number | string | null }>;
  const headroom = idHeadroom(columns.find((c) => c.name.toLowerCase() === 'id'), next?.next === null || next?.next === undefined ? null : Number(next.next), table);
  const checked = checkTable(columns, rows, levels.complete ? 'complete' : levels.exists ? 'filling' : 'none');
  const storage = levels.complete ? await storageUse(query, table) : undefined;
  const reshape = await reshapeNeed(query, table);
  const quiet = quietBeforeMs === undefined ? undefined : await quietDevices(query, table, quietBeforeMs);
  const shaped = reshape.unpartitioned ? { ...checked, note: `${checked.note}; made before monthly partitions (inserts slow down as it grows, old readings cannot be dropped): run mbed-tsdb setup --reshape` } : checked;
  return {
    table: headroom ? { ...shaped, ok: false, note: `${shaped.note}; ${headroom}` } : shaped,
    data: {
      rows,
      newest: newest ? iso(newest) : null,
      deduplicated: columns.some((c) => c.name.toLowerCase() === 'uid'),
      ...(storage ? { storage } : {}),
      series: series.map((s) => ({
        board: s.board,
        ...(names.get(s.board) ? { name: names.get(s.board)! } : {}),
        sensor: s.sensor,
        rows: Number(s.n),
        ...(s.ts === null ? {} : { lastValue: Number(s.value), lastTs: iso(s.ts) }),
      })),
      ...(quiet ? { quietDevices: quiet } : {}),
    },
    outcomes,
  };
}

type SeriesRow = { board: string; sensor: string; n: number | string; value: number | null; ts: Date | string | null };
interface Counts {
  rows: number;
  newest: Date | string | null;
  series: SeriesRow[];
}
/** Series listed (the rest are counted in rows). */
const MAX_SERIES = 100;

/** Before the rollup is complete: every row counted, the newest of each series found by its id. */
async function countsByScan(query: Query, table: string): Promise<Counts> {
  const t = quoteTable(table);
  const [total] = (await query(`SELECT COUNT(*) AS n, MAX(ts) AS newest FROM ${t}`)) as Array<{ n: number; newest: Date | string | null }>;
  const series = (await query(
    `SELECT e.board, e.sensor, m.n, e.value, e.ts FROM ${t} e JOIN (SELECT board, sensor, COUNT(*) AS n, MAX(id) AS id FROM ${t} GROUP BY board, sensor) m ON e.id = m.id ORDER BY e.board, e.sensor LIMIT ${MAX_SERIES}`,
  )) as SeriesRow[];
  return { rows: Number(total?.n ?? 0), newest: total?.newest ?? null, series };
}

/**
 * With the rollup complete, nothing reads every reading: counts are the rollups' — the settled
 * hours (a row an hour per series), then the 15-minute buckets after them — the newest time is
 * the end of the `ts` index, and each series' last reading is found through the board index,
 * newest first. Readings whose raw rows retention dropped still count: their sums are kept.
 */
async function countsFromRollups(query: Query, table: string, settledBefore: number | null): Promise<Counts> {
  const { rollup, rollupHour } = companionTables(table);
  const settled = sqlTime((settledBefore ?? 0) * 1000);
  const hourly = settledBefore ? `SELECT board, sensor, n FROM ${quoteTable(rollupHour)} WHERE bucket < ? UNION ALL ` : '';
  const counted = (await query(
    `SELECT board, sensor, SUM(n) AS n FROM (${hourly}SELECT board, sensor, n FROM ${quoteTable(rollup)} WHERE bucket >= ?) s GROUP BY board, sensor ORDER BY board, sensor`,
    settledBefore ? [settled, settled] : [settled],
  )) as Array<{ board: string; sensor: string; n: number | string }>;
  const t = quoteTable(table);
  const [total] = (await query(`SELECT MAX(ts) AS newest FROM ${t}`)) as Array<{ newest: Date | string | null }>;
  const listed = counted.slice(0, MAX_SERIES);
  const last = new Map<string, { value: number; ts: Date | string }>();
  if (listed.length > 0) {
    const newest = listed.map(() => `(SELECT board, sensor, value, ts FROM ${t} WHERE board = ? AND sensor = ? ORDER BY id DESC LIMIT 1)`).join(' UNION ALL ');
    const rows = (await query(newest, listed.flatMap((s) => [s.board, s.sensor]))) as Array<{ board: string; sensor: string; value: number; ts: Date | string }>;
    for (const row of rows) last.set(`${row.board}\n${row.sensor}`, row);
  }
  return {
    rows: counted.reduce((sum, s) => sum + Number(s.n), 0),
    newest: total?.newest ?? null,
    series: listed.map((s) => {
      const found = last.get(`${s.board}\n${s.sensor}`);
      return { ...s, value: found?.value ?? null, ts: found?.ts ?? null };
    }),
  };
}
