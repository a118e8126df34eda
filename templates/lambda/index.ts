// Lambda entry point (handler "index.handler"). Everything the function needs is
// bundled into one file; nothing of the CLI is imported.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readConfig } from './config.js';
import { createHandler } from './handler.js';
import { createStore } from './store.js';

export { createHandler } from './handler.js';
export { readConfig } from './config.js';
export { createStore } from './store.js';

/** Files of the function's own package: Lambda unpacks the zip into LAMBDA_TASK_ROOT. */
function packageFile(name: string): string | undefined {
  try {
    return readFileSync(join(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), name), 'utf8');
  } catch {
    return undefined;
  }
}

export const handler = createHandler({
  config: readConfig(process.env, packageFile),
  store: (db, config) => createStore(db, config.chunkRows),
});
