// Device names for the chart and dashboard (src/db/devices.ts) on MariaDB: the name a device gave
// itself, and every device that calls itself a board's name.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boardsNamed, deviceNames } from '../../src/db/devices.js';
import { freshDatabase, hasDatabase } from '../support/db.js';
import type { TestDatabase } from '../support/mariadb.js';

describe.skipIf(!hasDatabase)('device names', () => {
  let db: TestDatabase;
  let bare: TestDatabase;
  const queryOf = (d: TestDatabase) => (sql: string, values?: unknown[]) => d.query(sql, values ?? []);
  beforeAll(async () => {
    db = await freshDatabase();
    bare = await freshDatabase({ table: 'none' });
    await db.query(
      "INSERT INTO events_devices (device_id, endpoint_name, last_seen) VALUES ('id-1', 'kitchen', NOW()), ('id-2', 'kitchen', NOW()), ('kitchen', 'kitchen', NOW()), ('id-3', 'id-3', NOW()), ('id-4', NULL, NOW())",
    );
  });
  afterAll(async () => {
    await db?.drop();
    await bare?.drop();
  });

  it('names a board only where its name differs from its ID', async () => {
    expect([...(await deviceNames(queryOf(db), 'events', ['id-1', 'id-3', 'id-4', 'kitchen', 'id-1']))]).toEqual([['id-1', 'kitchen']]);
    expect((await deviceNames(queryOf(bare), 'events', ['id-1'])).size).toBe(0);
  });

  it('a board name stands for itself first, then every device calling itself that, once each', async () => {
    expect(await boardsNamed(queryOf(db), 'events', 'kitchen')).toEqual(['kitchen', 'id-1', 'id-2']);
    expect(await boardsNamed(queryOf(db), 'events', 'nobody')).toEqual(['nobody']);
    expect(await boardsNamed(queryOf(bare), 'events', 'kitchen')).toEqual(['kitchen']);
  });
});
