// Where an estimate's prices come from: the Price List Query API (kept a week beside the stacks'
// state, with the day it was read), else the dated snapshot shipped with mbed-tsdb, with the
// reason. Never fails a command: a missing price only leaves a line unpriced.

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AwsClients } from '../aws/clients.js';
import { explainAwsError, isAccessDenied } from '../aws/errors.js';
import { listPrices } from '../aws/pricing.js';
import { stateDir } from '../stack/state.js';
import type { PriceBook, PriceKey, Prices } from './prices.js';
import { SNAPSHOT, SNAPSHOT_AS_OF } from './snapshot.js';

/** Prices change a few times a year; a week-old reading is good for an estimate. */
export const PRICES_KEPT_MS = 7 * 24 * 60 * 60_000;

export interface PriceSourceInput {
  aws: AwsClients;
  region: string;
  keys: PriceKey[];
  env: Record<string, string | undefined>;
  now: () => number;
}

interface Cached {
  readAt: number;
  prices: Prices;
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const cachePath = (env: Record<string, string | undefined>, region: string) => join(stateDir(env), 'prices', `${region}.json`);

function readCache(input: PriceSourceInput): Cached | null {
  try {
    const cached = JSON.parse(readFileSync(cachePath(input.env, input.region), 'utf8')) as Cached;
    const fresh = typeof cached.readAt === 'number' && input.now() - cached.readAt < PRICES_KEPT_MS && input.now() >= cached.readAt;
    return fresh && input.keys.every((key) => key in cached.prices) ? cached : null;
  } catch {
    return null;
  }
}

function writeCache(input: PriceSourceInput, cached: Cached): void {
  try {
    const path = cachePath(input.env, input.region);
    mkdirSync(join(stateDir(input.env), 'prices'), { recursive: true, mode: 0o700 });
    writeFileSync(`${path}.tmp`, `${JSON.stringify(cached)}\n`);
    renameSync(`${path}.tmp`, path);
  } catch {
    // A cache that cannot be written costs a few queries next time, nothing more.
  }
}

function whyNotApi(error: unknown): string {
  if (isAccessDenied(error)) return 'the credentials may not call pricing:GetProducts';
  const explained = explainAwsError(error);
  return explained?.code === 'AWS_UNREACHABLE' ? 'the Price List API could not be reached' : `the Price List API failed: ${(explained ?? (error as Error)).message}`;
}

export async function priceBook(input: PriceSourceInput): Promise<PriceBook> {
  const cached = readCache(input);
  if (cached) return { region: input.region, source: 'price-list-api', asOf: day(cached.readAt), prices: cached.prices };
  try {
    const prices = await listPrices(input.aws, input.region, input.keys);
    const readAt = input.now();
    // Only a complete reading is kept: a price the list lacked is looked for again next time.
    if (input.keys.every((key) => key in prices)) writeCache(input, { readAt, prices: { ...readCache({ ...input, keys: [] })?.prices, ...prices } });
    return { region: input.region, source: 'price-list-api', asOf: day(readAt), prices };
  } catch (error) {
    const snapshot = SNAPSHOT[input.region];
    const why = whyNotApi(error);
    return {
      region: input.region,
      source: 'snapshot',
      asOf: SNAPSHOT_AS_OF,
      prices: snapshot ?? {},
      why: snapshot ? why : `${why}, and the snapshot has no prices for ${input.region}`,
    };
  }
}
