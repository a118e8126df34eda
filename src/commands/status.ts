import { notAvailable } from './not-available.js';

export const run = notAvailable('status', 'reporting the state of the stack');
