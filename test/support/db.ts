// Per-file access to the run's MariaDB (see global-setup.ts).
import { inject } from 'vitest';
import { addressFromUrl, createTestDatabase, type ServerAddress, type TestDatabase } from './mariadb.js';
import { migrate } from '../../templates/lambda/schema.js';

const url = inject('mysqlUrl');

/** False only outside CI on a machine without MariaDB; global setup fails CI in that case. */
export const hasDatabase = url !== null;

export function sharedServer(): ServerAddress {
  if (url === null) throw new Error('no test database server');
  return addressFromUrl(url);
}

/** A new database with the tables setup makes (its own migration), or none. */
export async function freshDatabase(options: { table?: 'mbed-tsdb' | 'none' } = {}): Promise<TestDatabase> {
  const db = await createTestDatabase(sharedServer());
  if ((options.table ?? 'mbed-tsdb') === 'mbed-tsdb') await migrate((sql, values) => db.query(sql, values as never));
  return db;
}

/** The tutorial's §4 table exactly as typed there: what a user who followed it already has. */
export const TUTORIAL_TABLE_SQL =
  'create table `events` (`id` int(11) NOT NULL AUTO_INCREMENT, `ts` datetime NOT NULL, `value` double NOT NULL, ' +
  '`board` varchar(36) NOT NULL, `sensor` varchar(45) NOT NULL, PRIMARY KEY (`id`), KEY `ts` (`ts`), KEY `board` (`board`));';

export interface EventRow {
  id: number;
  ts: string;
  value: number;
  board: string;
  sensor: string;
}

export async function events(db: TestDatabase): Promise<EventRow[]> {
  return db.query<EventRow>('SELECT id, ts, value, board, sensor FROM events ORDER BY id');
}
