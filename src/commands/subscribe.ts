import { notAvailable } from './not-available.js';

export const run = notAvailable('subscribe', 'subscribing endpoints through the Connector');
