// The prices mbed-tsdb ships with, for when the Price List Query API is not allowed (no
// pricing:GetProducts), not reachable or too slow: on-demand list prices in USD as AWS's pricing
// pages gave them on that date (aws.amazon.com/rds/mysql/pricing, /rds/aurora/pricing,
// /api-gateway/pricing, /lambda/pricing, /cloudwatch/pricing, /vpc/pricing). Nothing here re-reads
// them (this machine reaches no AWS endpoint): update them, and the date, from the Price List.
// Dated: the plan says how old they are. Regions without a snapshot get no prices from it.

import type { Prices } from './prices.js';

export const SNAPSHOT_AS_OF = '2026-05-21';

const US: Prices = {
  'rds-instance:db.t4g.micro': 0.016,
  'rds-instance:db.t3.micro': 0.017,
  'rds-instance:db.t4g.small': 0.032,
  'rds-instance:db.t3.small': 0.034,
  'rds-gp3-storage': 0.115,
  'rds-backup': 0.095,
  'aurora-backup': 0.021,
  'aurora-acu': 0.12,
  'aurora-storage': 0.1,
  'aurora-io': 0.0000002,
  'api-request': 0.0000035,
  'lambda-gb-second': 0.0000133334,
  'lambda-request': 0.0000002,
  'logs-ingest': 0.5,
  'logs-storage': 0.03,
  metric: 0.3,
  'alarm-metric': 0.1,
  'public-ipv4': 0.005,
};

/** By region: US East (N. Virginia) and US West (Oregon) list the same prices for all of these. */
export const SNAPSHOT: Readonly<Record<string, Prices>> = {
  'us-east-1': US,
  'us-west-2': US,
};
