// Which CA the desktop and the function verify the database's certificate against: the one
// given (--db-ca, or saved from an earlier run), else the bundled Amazon RDS CAs where they
// cover the region, else the region's bundle from Amazon's truststore, fetched now and kept.

import { bundledRegions, fetchRegionBundle, regionBundleUrl } from '../../aws/rds-ca.js';
import type { SetupAnswers } from '../../stack/step.js';

export interface DatabaseCa {
  pem: string | undefined;
  /** For the plan: where the CA comes from. */
  description: string;
  source: SetupAnswers['dbCaSource'];
}

export async function databaseCa(region: string, answers: SetupAnswers, truststoreUrl: string | undefined, fetch?: typeof globalThis.fetch): Promise<DatabaseCa> {
  if (answers.dbCaPem) {
    return {
      pem: answers.dbCaPem,
      source: answers.dbCaSource ?? 'flag',
      description: answers.dbCaSource === 'region-bundle' ? `the Amazon RDS ${region} bundle kept with the stack` : 'the CA given with --db-ca',
    };
  }
  if (bundledRegions().has(region)) return { pem: undefined, source: undefined, description: `the Amazon RDS CAs bundled with mbed-tsdb (they cover ${region})` };
  const pem = await fetchRegionBundle(region, { baseUrl: truststoreUrl, ...(fetch ? { fetch } : {}) });
  return { pem, source: 'region-bundle', description: `the Amazon RDS ${region} bundle from ${regionBundleUrl(region, truststoreUrl)}, kept with the stack` };
}
