// Lambda entry point (handler "index.handler"). Everything the function needs is
// bundled into one file; nothing of the CLI is imported.

import { readConfig } from './config.js';
import { createHandler } from './handler.js';
import { createStore } from './store.js';

export { createHandler } from './handler.js';
export { readConfig } from './config.js';
export { createStore } from './store.js';

export const handler = createHandler({
  config: readConfig(process.env),
  store: (db, config) => createStore(db, config.chunkRows),
});
