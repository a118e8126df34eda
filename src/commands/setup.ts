import { notAvailable } from './not-available.js';

export const run = notAvailable('setup', 'creating the role, database, table, function, API and Connector registration');
