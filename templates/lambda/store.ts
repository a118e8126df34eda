// The database side of the function: one connection per container, reused across
// invocations, replaced when it drops. Each request is written in one transaction (readings,
// device facts, subscription outcomes), one request at a time, so a rollback never undoes
// another request's rows. A reading the service delivers again (same uid) is stored once.

import type { DbConfig } from './config.js';
import { connectionKeeper } from './connection.js';
import { asUnavailable, describe, isConnectionError, isDataRefused, ShapeChangedError } from './db-errors.js';
import { createDeviceMemory } from './device-memory.js';
import { writePieces } from './pieces.js';
import { adminOperations, type AdminOperations } from './store-admin.js';
import { TABLE_COLUMNS_SQL, tableShape, UNIQUE_KEYS_SQL, type ColumnRow, type TableShape, type UniqueKeyRow } from './table-shape.js';
import { companionTables } from './schema.js';
import type { AsyncOutcome, DeviceFact, Reading } from './payload.js';
import { freshReadings, queryPackets, uidLookups, writeStatements, type Batch } from './statements.js';

export type { Batch } from './statements.js';
export type { TableShape } from './table-shape.js';
export type { MaintenanceResult } from './maintenance.js';
export type { ReshapeProgress } from './reshape.js';
// Where the rest of the CLI finds them.
export { BACKSLASH_ESCAPES_SQL, connectionOptions, withAuth } from './connection.js';
export { DatabaseUnavailableError, describe, ShapeChangedError } from './db-errors.js';

export interface WriteResult {
  stored: number;
  /** Readings whose uid was already stored: a redelivery. */
  duplicates: number;
  /** Pieces the database refused (isolate), each with its reason; the rest is written. */
  refused: Array<{ item: Reading | DeviceFact | AsyncOutcome; reason: string }>;
}

export interface Store extends AdminOperations {
  /** The tables' shape, read once per container (and again when a statement says it changed). */
  shape(): Promise<TableShape>;
  /**
   * Writes all of a request or nothing (a fault: nothing is half-written).
   * `rollback`: write, then undo (the self-test). `isolate`: a statement of this batch failed on its
   * data once already (and the shape was read again): write it piece by piece, refusing only the
   * pieces the database refuses.
   */
  write(batch: Batch, receivedAt: Date, options?: { rollback?: boolean; isolate?: boolean }): Promise<WriteResult>;
  close(): Promise<void>;
}

/**
 * The tables' shape is read again after this long: a table reshaped meanwhile (setup moves an old
 * one to today's keys while the webhook writes) is then looked up by its new key.
 */
export const SHAPE_TTL_MS = 60_000;

export function createStore(db: DbConfig, chunkRows: number, now: () => number = Date.now): Store {
  const companions = companionTables(db.table);
  let shape: TableShape | null = null;
  let shapeReadAt = 0;
  const devicesWritten = createDeviceMemory();
  // One request at a time on the container's one connection.
  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work).finally(touch);
    queue = run.catch(() => undefined);
    return run;
  };

  const { connect, discard, close, touch, openAnother } = connectionKeeper(db);

  const readShape = async (): Promise<TableShape> => {
    const connection = await connect();
    // One round trip: the columns, then the events table's unique keys.
    const [results] = await connection.query(`${TABLE_COLUMNS_SQL}; ${UNIQUE_KEYS_SQL}`, [db.table, companions.devices, companions.asyncResponses, companions.rollup, db.table]);
    const [columns, keys] = results as unknown as [ColumnRow[], UniqueKeyRow[]];
    shapeReadAt = now();
    return tableShape(columns, { database: db.database, table: db.table, ...companions }, db.rollup === true, keys);
  };
  const knownShape = () => (shape !== null && now() - shapeReadAt < SHAPE_TTL_MS ? shape : null);

  /**
   * Readings already stored (a redelivery) are known by their time and uid first — the columns
   * the webhook's user may read — and not written again. One statement is atomic on its own; more
   * (readings and their rollup rows, device facts…) go in one transaction, whole or not at all.
   * `isolate`: piece by piece instead, each under a savepoint, leaving out what is refused.
   */
  const writeAll = async (batch: Batch, receivedAt: Date, rollback: boolean, isolate = false): Promise<WriteResult> => {
    const connection = await connect();
    const tableShape = knownShape() ?? (shape = await readShape());
    const keepRollup = db.rollup === true && tableShape.rollup;
    const writeShape = { ...tableShape, rollup: keepRollup };
    let transaction = false;
    let inserted = 0;
    let refused: WriteResult['refused'] = [];
    try {
      if (rollback || isolate) {
        await connection.beginTransaction();
        transaction = true;
      }
      const stored = new Set<string>();
      const lookups = tableShape.uid ? uidLookups(db.table, batch.readings, tableShape.uidByTime, receivedAt.getTime()) : [];
      for (const lookup of lookups) {
        const [rows] = await connection.query(lookup.sql, lookup.values);
        for (const row of rows as Array<{ uid: string }>) stored.add(row.uid);
      }
      const fresh = { ...batch, readings: freshReadings(batch.readings, stored), devices: devicesWritten.news(batch.devices) };
      if (isolate) {
        ({ inserted, refused } = await writePieces(connection, fresh, (part) => writeStatements(db.table, part, writeShape, receivedAt.getTime(), chunkRows)));
        await connection.query(rollback ? 'ROLLBACK' : 'COMMIT');
      } else {
        const work = writeStatements(db.table, fresh, writeShape, receivedAt.getTime(), chunkRows);
        const begin = work.length > 1 && !transaction;
        if (begin) transaction = true;
        const texts = work.map((statement) => ({ text: connection.format(statement.sql, [statement.rows]), counts: statement.counts === true }));
        for (const packet of queryPackets(texts, { begin, end: transaction ? (rollback ? 'ROLLBACK' : 'COMMIT') : null })) {
          const [result] = await connection.query(packet.sql);
          const results = (packet.counts.length === 1 ? [result] : result) as Array<{ affectedRows: number }>;
          packet.counts.forEach((counts, i) => {
            if (counts) inserted += results[i]!.affectedRows;
          });
        }
      }
      transaction = false;
      if (!rollback && tableShape.devices) devicesWritten.remember(fresh.devices.filter((d) => !refused.some((r) => r.item === d)));
    } catch (error) {
      if (transaction) await connection.rollback().catch(() => undefined);
      throw error;
    }
    // Told to keep a rollup that was not there: read the tables again next time (setup makes it).
    if (db.rollup === true && !tableShape.rollup) shape = null;
    const refusedReadings = refused.filter((r) => batch.readings.includes(r.item as Reading)).length;
    return { stored: inserted, duplicates: batch.readings.length - inserted - refusedReadings, refused };
  };

  return {
    shape: () =>
      serially(async () => {
        if (!knownShape()) {
          try {
            shape = await readShape();
          } catch (error) {
            if (isConnectionError(error)) await discard();
            throw asUnavailable(error);
          }
        }
        return shape!;
      }),

    write: (batch, receivedAt, options = {}) =>
      serially(async () => {
        if (batch.readings.length + batch.devices.length + batch.outcomes.length === 0) return { stored: 0, duplicates: 0, refused: [] };
        const rollback = options.rollback === true;
        try {
          return await writeAll(batch, receivedAt, rollback);
        } catch (error) {
          const code = (error as { code?: string }).code ?? '';
          // Another copy of the function stored one of these uids between the look-up and the
          // insert: looked up again, it is a duplicate.
          if (code === 'ER_DUP_ENTRY') return await writeAll(batch, receivedAt, rollback).catch((retryError: unknown) => {
            throw asUnavailable(retryError);
          });
          if (isDataRefused(error)) {
            // The table was altered since its shape was read: the caller checks the readings
            // against the new shape and writes once more. Refused again, what the database
            // will not take is left out, piece by piece, and the rest written.
            if (!options.isolate) {
              shape = null;
              throw new ShapeChangedError(describe(error), { cause: error });
            }
            return await writeAll(batch, receivedAt, rollback, true).catch((retryError: unknown) => {
              throw asUnavailable(retryError);
            });
          }
          if (!isConnectionError(error)) throw asUnavailable(error);
          // Usually a connection the server closed while the container was idle. Retry once on a
          // new one; with uids, rows that did commit before it died are not stored twice.
          await discard();
          try {
            return await writeAll(batch, receivedAt, rollback);
          } catch (retryError) {
            if (isConnectionError(retryError)) await discard();
            throw asUnavailable(retryError);
          }
        }
      }),

    ...adminOperations({ table: db.table, now, connect, openAnother, discard, serially, forgetShape: () => void (shape = null) }),

    close,
  };
}

