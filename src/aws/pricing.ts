// Prices from the AWS Price List Query API: one GetProducts query per price (its pages followed),
// read by the pure onDemandPrice. What to ask for and how to read it is in ../cost/prices.ts.

import { GetProductsCommand, type Filter } from '@aws-sdk/client-pricing';
import { onDemandPrice, priceQuery, type PriceKey, type Prices } from '../cost/prices.js';
import type { AwsClients } from './clients.js';

/** Queries in flight at once: the API allows a few requests a second per account. */
const AT_ONCE = 4;

async function productsOf(aws: AwsClients, region: string, key: PriceKey, signal: AbortSignal | undefined): Promise<unknown[]> {
  const query = priceQuery(key);
  const client = await aws.pricing();
  const Filters: Filter[] = Object.entries({ regionCode: region, ...query.filters }).map(([Field, Value]) => ({ Type: 'TERM_MATCH', Field, Value }));
  const items: unknown[] = [];
  let NextToken: string | undefined;
  do {
    const page = await client.send(new GetProductsCommand({ ServiceCode: query.serviceCode, FormatVersion: 'aws_v1', Filters, MaxResults: 100, ...(NextToken ? { NextToken } : {}) }), {
      ...(signal ? { abortSignal: signal } : {}),
    });
    items.push(...((page.PriceList ?? []) as unknown[]));
    NextToken = page.NextToken;
  } while (NextToken);
  return items;
}

/** The on-demand prices of `keys` in `region`; a key the list has no single price for is left out. Throws what the API throws. */
export async function listPrices(aws: AwsClients, region: string, keys: PriceKey[], signal?: AbortSignal): Promise<Prices> {
  const prices: Prices = {};
  const queue = [...keys];
  const worker = async () => {
    for (let key = queue.shift(); key !== undefined && !signal?.aborted; key = queue.shift()) {
      const price = onDemandPrice(await productsOf(aws, region, key, signal), priceQuery(key));
      if (price !== null) prices[key] = price;
    }
  };
  await Promise.all(Array.from({ length: Math.min(AT_ONCE, keys.length) }, worker));
  return prices;
}
