// Where an estimate's prices come from: the Price List Query API (kept a week beside the stacks'
// state, with the day it was read), else the dated snapshot shipped with mbed-tsdb, with the
// reason. Never fails a command: a missing price only leaves a line unpriced.

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AwsClients } from '../aws/clients.js';
import { explainAwsError, isAccessDenied } from '../aws/errors.js';
import { listPrices } from '../aws/pricing.js';
import { stateDir } from '../stack/state.js';
import type { Progress } from '../ui/progress.js';
import type { PriceBook, PriceKey, Prices } from './prices.js';
import { SNAPSHOT, SNAPSHOT_AS_OF } from './snapshot.js';

/** Prices change a few times a year; a week-old reading is good for an estimate. */
export const PRICES_KEPT_MS = 7 * 24 * 60 * 60_000;

/**
 * How long the Price List may take: the SDK waits for ever on a network that drops its packets
 * (no request timeout by default) and retries throttling 8 times; an estimate is not worth that.
 */
export const PRICE_LIST_DEADLINE_MS = 15_000;

export interface PriceSourceInput {
  aws: AwsClients;
  region: string;
  keys: PriceKey[];
  env: Record<string, string | undefined>;
  now: () => number;
  /** Shows the reading while it lasts (it can take the whole deadline). */
  progress?: Progress | undefined;
  /** Waits out the deadline; tests make it instant. Default: a timer that does not keep the process alive. */
  wait?: ((ms: number) => Promise<void>) | undefined;
}

class DeadlinePassed extends Error {}

const unrefWait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** The API's prices, or DeadlinePassed when it has not answered by then (its requests are then aborted). */
async function withinDeadline(input: PriceSourceInput): Promise<Prices> {
  const abort = new AbortController();
  const deadline = (input.wait ?? unrefWait)(PRICE_LIST_DEADLINE_MS).then(() => {
    throw new DeadlinePassed();
  });
  try {
    return await Promise.race([listPrices(input.aws, input.region, input.keys, abort.signal), deadline]);
  } finally {
    abort.abort();
    deadline.catch(() => undefined);
  }
}

interface Cached {
  readAt: number;
  prices: Prices;
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const cachePath = (env: Record<string, string | undefined>, region: string) => join(stateDir(env), 'prices', `${region}.json`);

/** The prices kept for the region, when read less than a week ago (by this clock), else null. */
function freshCache(input: PriceSourceInput): Cached | null {
  try {
    const cached = JSON.parse(readFileSync(cachePath(input.env, input.region), 'utf8')) as Cached;
    const fresh = typeof cached.readAt === 'number' && input.now() - cached.readAt < PRICES_KEPT_MS && input.now() >= cached.readAt;
    return fresh ? cached : null;
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
  if (error instanceof DeadlinePassed) return `the Price List API did not answer within ${PRICE_LIST_DEADLINE_MS / 1000} s`;
  if (isAccessDenied(error)) return 'the credentials may not call pricing:GetProducts';
  const explained = explainAwsError(error);
  return explained?.code === 'AWS_UNREACHABLE' ? 'the Price List API could not be reached' : `the Price List API failed: ${(explained ?? (error as Error)).message}`;
}

export async function priceBook(input: PriceSourceInput): Promise<PriceBook> {
  const cached = freshCache(input);
  if (cached && input.keys.every((key) => key in cached.prices)) return { region: input.region, source: 'price-list-api', asOf: day(cached.readAt), prices: cached.prices };
  const task = input.progress?.task('prices', 'reading the AWS Price List');
  try {
    const prices = await withinDeadline(input);
    const readAt = input.now();
    // Only a complete reading is kept: a price the list lacked is looked for again next time.
    if (input.keys.every((key) => key in prices)) writeCache(input, { readAt, prices: { ...cached?.prices, ...prices } });
    task?.done('read');
    return { region: input.region, source: 'price-list-api', asOf: day(readAt), prices };
  } catch (error) {
    const snapshot = SNAPSHOT[input.region];
    const why = whyNotApi(error);
    task?.done(`${why}: ${snapshot ? `the snapshot of ${SNAPSHOT_AS_OF}` : 'no prices'}`);
    return {
      region: input.region,
      source: 'snapshot',
      asOf: SNAPSHOT_AS_OF,
      prices: snapshot ?? {},
      why: snapshot ? why : `${why}, and the snapshot has no prices for ${input.region}`,
    };
  }
}
