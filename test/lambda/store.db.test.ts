// The function's Store (templates/lambda/store.ts) on MariaDB, below the handler: what a write
// leaves behind — committed, rolled back (the self-test), piece by piece — what it remembers
// between requests, and when it reads the tables' shape again.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DbConfig } from '../../templates/lambda/config.js';
import { DatabaseUnavailableError } from '../../templates/lambda/db-errors.js';
import type { DeviceFact, Reading } from '../../templates/lambda/payload.js';
import { createStore, ShapeChangedError, type Batch, type Store } from '../../templates/lambda/store.js';
import { freshDatabase, hasDatabase } from '../support/db.js';
import type { TestDatabase } from '../support/mariadb.js';

const AT = new Date('2026-12-01T10:00:00Z');
const reading = (value: number, uid?: string, board = 'board-1'): Reading => ({ board, sensor: '/3200/0/5501', value, ...(uid ? { uid } : {}) });
const device = (id: string): DeviceFact => ({ id, name: `name-${id}`, seenAt: AT.getTime() });
const batch = (over: Partial<Batch>): Batch => ({ readings: [], devices: [], outcomes: [], ...over });

describe('an empty batch', () => {
  it('is answered without a database at all', async () => {
    const store = createStore({ host: '127.0.0.1', port: 1, user: 'u', password: '', database: 'x', table: 'events', tls: { kind: 'off' }, connectTimeoutMs: 200 }, 100);
    expect(await store.write(batch({}), AT)).toEqual({ stored: 0, duplicates: 0, refused: [] });
    await expect(store.write(batch({ outcomes: [{ id: 'a', status: 200, at: AT.getTime() }] }), AT)).rejects.toBeInstanceOf(DatabaseUnavailableError);
    await store.close();
  });
});

describe.skipIf(!hasDatabase)('the store on MariaDB', () => {
  let db: TestDatabase;
  let config: DbConfig;
  const stores: Store[] = [];
  const storeFor = (over: Partial<DbConfig> = {}, chunkRows = 1000) => {
    const store = createStore({ ...config, ...over }, chunkRows);
    stores.push(store);
    return store;
  };
  const count = async (table: string) => Number((await db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))[0]!.n);

  beforeAll(async () => {
    db = await freshDatabase();
    config = { host: db.login.host, port: db.login.port, user: db.login.user, password: db.login.password, database: db.name, table: 'events', tls: { kind: 'off' }, connectTimeoutMs: 5000 };
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    for (const table of ['events', 'events_devices', 'events_async_responses', 'events_rollup']) await db.query(`DELETE FROM ${table}`);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('counts what it stored and what was already there (by uid)', async () => {
    const store = storeFor();
    expect(await store.write(batch({ readings: [reading(1, 'u1'), reading(2, 'u2'), reading(3)] }), AT)).toEqual({ stored: 3, duplicates: 0, refused: [] });
    expect(await store.write(batch({ readings: [reading(1, 'u1'), reading(4, 'u4')] }), AT)).toEqual({ stored: 1, duplicates: 1, refused: [] });
    expect(await count('events')).toBe(4);
  });

  it.each([
    ['one statement', batch({ readings: [reading(1, 'r1')] })],
    ['several statements', batch({ readings: [reading(1, 'r1')], devices: [device('d1')], outcomes: [{ id: 'o1', status: 200, at: AT.getTime() }] })],
    ['several chunks', batch({ readings: [reading(1, 'r1'), reading(2, 'r2'), reading(3, 'r3')] })],
  ])('rollback (the self-test): %s written, counted, and undone', async (_name, written) => {
    const store = storeFor({}, 2);
    const result = await store.write(written, AT, { rollback: true });
    expect(result.stored).toBe(written.readings.length);
    expect([await count('events'), await count('events_devices'), await count('events_async_responses')]).toEqual([0, 0, 0]);
    // The connection is left outside any transaction: the next write commits.
    expect((await store.write(batch({ readings: [reading(9, 'after')] }), AT)).stored).toBe(1);
    expect(await count('events')).toBe(1);
  });

  it('a device written in a rolled-back request is written again by the next', async () => {
    const store = storeFor();
    await store.write(batch({ devices: [device('d1')] }), AT, { rollback: true });
    await store.write(batch({ devices: [device('d1')] }), AT);
    expect(await count('events_devices')).toBe(1);
    // …and one that was written is not written again (the memory of devices).
    await db.query('DELETE FROM events_devices');
    await store.write(batch({ devices: [device('d1')] }), AT);
    expect(await count('events_devices')).toBe(0);
  });

  it('a several-statement request is whole or not at all', async () => {
    const store = storeFor({}, 1);
    await db.query('ALTER TABLE events_async_responses MODIFY `status` tinyint NOT NULL');
    try {
      await expect(store.write(batch({ readings: [reading(1, 'w1'), reading(2, 'w2')], outcomes: [{ id: 'o', status: 99999, at: AT.getTime() }] }), AT)).rejects.toBeInstanceOf(
        ShapeChangedError,
      );
      expect([await count('events'), await count('events_async_responses')]).toEqual([0, 0]);
    } finally {
      await db.query('ALTER TABLE events_async_responses MODIFY `status` smallint NOT NULL');
    }
  });

  it('isolate: writes piece by piece, leaves out what the database refuses, and rolls back on request', async () => {
    await db.query('ALTER TABLE events_async_responses MODIFY `status` tinyint NOT NULL');
    try {
      const written = batch({ readings: [reading(1, 'i1')], devices: [device('d1')], outcomes: [{ id: 'o', status: 99999, at: AT.getTime() }] });
      const store = storeFor();
      const result = await store.write(written, AT, { isolate: true });
      expect(result.stored).toBe(1);
      expect(result.duplicates).toBe(0);
      expect(result.refused.map((r) => r.item)).toEqual([written.outcomes[0]]);
      expect([await count('events'), await count('events_devices'), await count('events_async_responses')]).toEqual([1, 1, 0]);
      await db.query('DELETE FROM events');
      await db.query('DELETE FROM events_devices');
      const undone = await storeFor().write(written, AT, { isolate: true, rollback: true });
      expect(undone.stored).toBe(1);
      expect([await count('events'), await count('events_devices')]).toEqual([0, 0]);
    } finally {
      await db.query('ALTER TABLE events_async_responses MODIFY `status` smallint NOT NULL');
    }
  });

  it('a refused reading is not counted as a duplicate', async () => {
    await db.query('ALTER TABLE events MODIFY `value` decimal(4,1) NOT NULL');
    try {
      const store = storeFor();
      const result = await store.write(batch({ readings: [reading(1.5, 'a'), reading(123456, 'b')] }), AT, { isolate: true });
      expect({ stored: result.stored, duplicates: result.duplicates, refused: result.refused.length }).toEqual({ stored: 1, duplicates: 0, refused: 1 });
    } finally {
      await db.query('ALTER TABLE events MODIFY `value` double NOT NULL');
    }
  });

  // MariaDB reports a failed CHECK constraint as errno 4025 (its ER_CONSTRAINT_FAILED, SQLSTATE
  // 23000); mysql2 names errors by MySQL's table, where 4025 is ER_INNODB_AUTOEXTEND_SIZE_OUT_OF_RANGE,
  // so the code alone did not say "refused on its data": the request got 500 at every redelivery.
  it('leaves out a reading a CHECK constraint refuses, on MariaDB too (errno 4025)', async () => {
    await db.query('ALTER TABLE events ADD CONSTRAINT `plausible` CHECK (`value` < 1000)');
    try {
      const store = storeFor();
      const written = batch({ readings: [reading(1, 'c1'), reading(5000, 'c2'), reading(3, 'c3')] });
      await expect(store.write(written, AT)).rejects.toBeInstanceOf(ShapeChangedError);
      const result = await store.write(written, AT, { isolate: true });
      expect({ stored: result.stored, duplicates: result.duplicates, refused: result.refused.map((r) => r.item) }).toEqual({ stored: 2, duplicates: 0, refused: [written.readings[1]] });
      expect(result.refused[0]!.reason).toContain('CONSTRAINT `plausible` failed');
    } finally {
      await db.query('ALTER TABLE events DROP CONSTRAINT `plausible`');
    }
  });

  it('reads the shape again once told to keep a rollup that was not there yet', async () => {
    await db.query('RENAME TABLE events_rollup TO rollup_aside');
    try {
      const store = storeFor({ rollup: true });
      expect((await store.shape()).rollup).toBe(false);
      await store.write(batch({ readings: [reading(1, 'x1')] }), AT);
      await db.query('RENAME TABLE rollup_aside TO events_rollup');
      await store.write(batch({ readings: [reading(2, 'x2')] }), AT);
      expect(await count('events_rollup')).toBe(1);
      expect((await store.shape()).rollup).toBe(true);
    } finally {
      await db.query('RENAME TABLE rollup_aside TO events_rollup').catch(() => undefined);
    }
  });

  it('a later outcome of the same subscription replaces the first; a device keeps what a later fact leaves out', async () => {
    const store = storeFor();
    await store.write(batch({ outcomes: [{ id: 'o', status: 202, at: AT.getTime() }] }), AT);
    await store.write(batch({ outcomes: [{ id: 'o', status: 404, error: 'NOT_FOUND', at: AT.getTime() + 1000 }] }), AT);
    expect(await db.query('SELECT status, error FROM events_async_responses')).toEqual([{ status: 404, error: 'NOT_FOUND' }]);
    await store.write(batch({ devices: [{ id: 'd', name: 'kitchen', type: 'box', registeredAt: AT.getTime(), seenAt: AT.getTime() }] }), AT);
    await store.write(batch({ devices: [{ id: 'd', type: 'crate', seenAt: AT.getTime() + 120_000 }] }), AT);
    expect(await db.query('SELECT endpoint_name AS name, endpoint_type AS type, registered_at AS reg, last_seen AS seen FROM events_devices')).toEqual([
      { name: 'kitchen', type: 'crate', reg: '2026-12-01 10:00:00', seen: '2026-12-01 10:02:00' },
    ]);
  });

  it('keeps the rollup only when told to', async () => {
    await storeFor().write(batch({ readings: [reading(1, 'k1')] }), AT);
    expect(await count('events_rollup')).toBe(0);
    await storeFor({ rollup: true }).write(batch({ readings: [reading(1, 'k2')] }), AT);
    expect(await count('events_rollup')).toBe(1);
  });

  it('looks uids up in chunks: a redelivery of more than a chunk is all duplicates', async () => {
    const many = Array.from({ length: 1200 }, (_, i) => reading(i, `m${i}`));
    const store = storeFor();
    expect((await store.write(batch({ readings: many }), AT)).stored).toBe(1200);
    expect(await store.write(batch({ readings: many }), AT)).toEqual({ stored: 0, duplicates: 1200, refused: [] });
  });

  it('a companion table dropped since the shape was read: the shape changed, and is read again', async () => {
    const store = storeFor();
    expect((await store.shape()).asyncResponses).toBe(true);
    await db.query('DROP TABLE events_async_responses');
    try {
      await expect(store.write(batch({ outcomes: [{ id: 'o', status: 200, at: AT.getTime() }] }), AT)).rejects.toBeInstanceOf(ShapeChangedError);
      expect((await store.shape()).asyncResponses).toBe(false);
    } finally {
      await storeFor().migrate();
    }
  });

  it('fillRollup fills within its time: none given, it stops before the first chunk', async () => {
    const store = storeFor();
    await store.write(batch({ readings: [reading(5, 'f1')] }), AT);
    expect((await store.fillRollup(0)).complete).toBe(false);
    expect(await count('events_rollup')).toBe(0);
    expect((await store.fillRollup(5000)).complete).toBe(true);
    expect(await count('events_rollup')).toBe(1);
  });
});
