import { notAvailable } from './not-available.js';

export const run = notAvailable('teardown', 'removing the stack');
