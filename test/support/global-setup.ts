// One MariaDB for the whole run; each test file makes its own database on it.
import 'vitest';
import type { TestProject } from 'vitest/node';
import { findMariadbd, LocalMariaDb, urlFromAddress } from './mariadb.js';

declare module 'vitest' {
  export interface ProvidedContext {
    mysqlUrl: string | null;
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const external = process.env.MBED_TSDB_TEST_MYSQL_URL;
  if (external) {
    project.provide('mysqlUrl', external);
    return undefined;
  }
  if (!findMariadbd()) {
    if (process.env.CI) {
      throw new Error('CI: mariadbd is not installed and MBED_TSDB_TEST_MYSQL_URL is not set; the database tests must run here');
    }
    console.warn('\n!! mariadbd not found: database tests are SKIPPED (apt-get install mariadb-server, or set MBED_TSDB_TEST_MYSQL_URL)\n');
    project.provide('mysqlUrl', null);
    return undefined;
  }
  const server = await LocalMariaDb.create();
  project.provide('mysqlUrl', urlFromAddress(server.address()));
  return () => server.destroy();
}
