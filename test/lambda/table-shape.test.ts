// The tables' shape from information_schema's rows (templates/lambda/table-shape.ts), pure: what
// the events table holds, and which companion columns the same board and sensor must also fit.
import { describe, expect, it } from 'vitest';
import { DatabaseUnavailableError } from '../../templates/lambda/db-errors.js';
import { DEVICE_COLUMNS } from '../../templates/lambda/payload.js';
import { tableShape, uidByTime, type ColumnRow, type UniqueKeyRow } from '../../templates/lambda/table-shape.js';

const NAMES = { database: 'tsdb', table: 'events', devices: 'events_devices', asyncResponses: 'events_async_responses', rollup: 'events_rollup' };
const text = (tbl: string, name: string, width: number | null = 64, charset: string | null = 'utf8mb4'): ColumnRow => ({
  tbl,
  name,
  width,
  charset,
  dataType: 'varchar',
  columnType: `varchar(${width})`,
  numPrecision: null,
  numScale: null,
});
const number = (tbl: string, name: string, dataType: string, columnType: string, numPrecision: number | null, numScale: number | null): ColumnRow => ({
  tbl,
  name,
  width: null,
  charset: null,
  dataType,
  columnType,
  numPrecision,
  numScale,
});
const EVENTS = [text('events', 'board', 36), text('events', 'Sensor', 45), number('events', 'value', 'double', 'double', 22, null)];
const DEVICES = [text('events_devices', 'device_id', 100), text('events_devices', 'endpoint_name', 80), text('events_devices', 'endpoint_type', 20)];
const ROLLUP = [text('events_rollup', 'board', 64, 'latin1'), text('events_rollup', 'sensor', 128)];

describe('tableShape', () => {
  it('a missing events table is one setup is about to make: unavailable, worth waiting for', () => {
    const error = (() => {
      try {
        tableShape(DEVICES, NAMES, true);
      } catch (e) {
        return e as Error;
      }
      throw new Error('expected an error');
    })();
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect(error.message).toBe('table tsdb.events does not exist (run: mbed-tsdb setup)');
  });

  it('an events table without board or sensor is a plain error, naming the column', () => {
    for (const [rows, missing] of [
      [[EVENTS[1]!], 'board'],
      [[EVENTS[0]!], 'sensor'],
    ] as const) {
      let error: unknown;
      try {
        tableShape(rows, NAMES, false);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(DatabaseUnavailableError);
      expect((error as Error).message).toBe(`table tsdb.events has no column ${missing}`);
    }
  });

  it('every table: the events columns, and the rollup’s and devices’ columns the text must also fit', () => {
    expect(tableShape([...EVENTS, text('events', 'uid', 64, 'ascii'), ...DEVICES, ...ROLLUP, text('events_async_responses', 'id')], NAMES, true)).toEqual({
      board: { maxChars: 36, charset: 'utf8mb4' },
      sensor: { maxChars: 45, charset: 'utf8mb4' },
      value: { type: 'double', min: -Number.MAX_VALUE, max: Number.MAX_VALUE },
      boardAlso: [
        { maxChars: 64, charset: 'latin1', name: 'events_rollup.board' },
        { maxChars: 100, charset: 'utf8mb4', name: 'events_devices.device_id' },
      ],
      sensorAlso: [{ maxChars: 128, charset: 'utf8mb4', name: 'events_rollup.sensor' }],
      uid: true,
      uidByTime: false,
      devices: true,
      deviceColumns: {
        id: { maxChars: 100, charset: 'utf8mb4', name: 'events_devices.device_id' },
        name: { maxChars: 80, charset: 'utf8mb4', name: 'events_devices.endpoint_name' },
        type: { maxChars: 20, charset: 'utf8mb4', name: 'events_devices.endpoint_type' },
      },
      asyncResponses: true,
      rollup: true,
    });
  });

  it('the rollup’s columns count only when it is kept; the devices’ only when the table is there', () => {
    const notKept = tableShape([...EVENTS, ...ROLLUP], NAMES, false);
    expect(notKept).toMatchObject({ boardAlso: [], sensorAlso: [], rollup: true, devices: false, uid: false, asyncResponses: false });
    expect(notKept.deviceColumns).toEqual(DEVICE_COLUMNS);
    const noRollup = tableShape([...EVENTS, ...DEVICES], NAMES, true);
    expect(noRollup).toMatchObject({ sensorAlso: [], rollup: false });
    expect(noRollup.boardAlso?.map((c) => c.name)).toEqual(['events_devices.device_id']);
  });

  it('a devices column that is gone is taken as made', () => {
    const shape = tableShape([...EVENTS, DEVICES[0]!], NAMES, false);
    expect(shape.deviceColumns).toEqual({ id: { maxChars: 100, charset: 'utf8mb4', name: 'events_devices.device_id' }, name: DEVICE_COLUMNS.name, type: DEVICE_COLUMNS.type });
  });

  it('a column without width or character set (binary types) holds nothing as text', () => {
    const shape = tableShape([text('events', 'board', null, null), EVENTS[1]!], NAMES, false);
    expect(shape.board).toEqual({ maxChars: 0, charset: 'binary' });
    expect(shape).not.toHaveProperty('value');
  });

  it('reads the value column’s range from its type, precision and scale', () => {
    expect(tableShape([...EVENTS.slice(0, 2), number('events', 'value', 'decimal', 'decimal(6,2)', 6, 2)], NAMES, false).value).toEqual({ type: 'decimal(6,2)', min: -9999.99, max: 9999.99, scale: 2 });
    // Unknown precision and scale: DECIMAL's defaults (10, 0), not zero digits.
    expect(tableShape([...EVENTS.slice(0, 2), number('events', 'value', 'decimal', 'decimal', null, null)], NAMES, false).value).toEqual({ type: 'decimal', min: -9999999999, max: 9999999999, scale: 0 });
  });

  it('a redelivery is known by (ts, uid) when that is the unique key, and uid is not unique alone', () => {
    const UID = text('events', 'uid', 64, 'ascii');
    const key = (index: string, ...names: string[]): UniqueKeyRow[] => names.map((name, i) => ({ index, seq: i + 1, name }));
    const primary = key('PRIMARY', 'id', 'ts');
    expect(tableShape([...EVENTS, UID], NAMES, false, [...primary, ...key('ts', 'ts', 'uid')]).uidByTime).toBe(true);
    // information_schema gives the columns in any order, and names in any case.
    expect(uidByTime([{ index: 'ts', seq: 2, name: 'UID' }, { index: 'ts', seq: 1, name: 'Ts' }])).toBe(true);
    // The tutorial's table as migrate leaves it, or a table made before: uid alone.
    expect(tableShape([...EVENTS, UID], NAMES, false, [...key('PRIMARY', 'id'), ...key('uid', 'uid')]).uidByTime).toBe(false);
    // Both: uid alone is the one the insert would fail on, so it is what is looked up.
    expect(uidByTime([...key('ts', 'ts', 'uid'), ...key('uid', 'uid')])).toBe(false);
    // Other orders and wider keys do not find a redelivery by its time.
    expect(uidByTime(key('x', 'uid', 'ts'))).toBe(false);
    expect(uidByTime(key('x', 'ts', 'uid', 'board'))).toBe(false);
    // No uid column: nothing is looked up at all.
    expect(tableShape(EVENTS, NAMES, false, key('ts', 'ts', 'uid')).uidByTime).toBe(false);
  });
});
