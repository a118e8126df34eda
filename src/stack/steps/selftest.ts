// After setup: one synthetic notification through the real URL, with the secret, must come
// back 200 with one row stored — inside a transaction the function rolls back.

import { randomInt } from 'node:crypto';
import { DEFAULT_SECRET_HEADER, SELFTEST_HEADER } from '../../../templates/lambda/config.js';
import { UserFacingError } from '../../errors.js';
import { retry } from '../../util/wait.js';
import { reachableUrl, type Step } from '../step.js';
import type { ApiOutput } from './api.js';

export const SELFTEST_BOARD = 'mbed-tsdb-selftest';
export const SELFTEST_SENSOR = '/0/0/0';

export interface SelftestOutput {
  stored: boolean;
  rolledBack: boolean;
}

export const selftestStep: Step<SelftestOutput> = {
  id: 'selftest',
  title: 'self-test',
  after: ['api', 'configure', 'table'],

  async plan() {
    return [{ step: 'selftest', resource: 'self-test', action: 'update', detail: 'one reading through the webhook into the table, rolled back: no row remains' }];
  },

  async apply(ctx) {
    const api = ctx.state.outputs!.api as ApiOutput;
    const url = reachableUrl(ctx, api.url);
    const value = randomInt(1_000_000, 2_000_000_000);
    const task = ctx.progress.task('self-test', 'sending a reading through the webhook');
    const body = JSON.stringify({
      notifications: [{ ep: SELFTEST_BOARD, path: SELFTEST_SENSOR, ct: 'text/plain', payload: Buffer.from(String(value)).toString('base64'), 'max-age': 0 }],
    });
    // The function writes it in a transaction and rolls it back: the whole path is proven and
    // no reading of the self-test ever shows in a chart, in either access mode.
    const headers = { 'content-type': 'application/json', [DEFAULT_SECRET_HEADER]: ctx.state.webhookSecret!, [SELFTEST_HEADER]: '1' };
    // A fresh deployment or configuration can take a few seconds to serve.
    const reply = await retry(
      async () => {
        const response = await (ctx.net?.fetch ?? fetch)(url, { method: 'PUT', headers, body, signal: AbortSignal.timeout(30_000) });
        const text = await response.text();
        if (response.status !== 200) throw Object.assign(new Error(`the webhook answered ${response.status}: ${text.slice(0, 200)}`), { status: response.status });
        return JSON.parse(text) as { stored?: number; selftest?: boolean };
      },
      {
        what: 'the webhook to store a reading',
        // …and a new rds-db:connect permission some more to reach RDS (IAM is eventually consistent).
        delay: { baseMs: 2_000, maxMs: 15_000, random: ctx.random },
        attempts: 20,
        timeoutMs: 3 * 60_000,
        sleep: ctx.sleep,
        now: ctx.now,
        shouldRetry: (e) => ((e as { status?: number }).status ?? 500) >= 500 || (e as { status?: number }).status === 403,
      },
    ).catch((error: unknown) => {
      throw new UserFacingError(`self-test failed: ${(error as Error).message}`, { code: 'SELFTEST_FAILED', cause: error });
    });
    if (reply.stored !== 1 || reply.selftest !== true) {
      throw new UserFacingError(`self-test failed: the webhook answered ${JSON.stringify(reply)}, not one reading stored and rolled back`, { code: 'SELFTEST_FAILED' });
    }
    task.done('a reading went through the webhook into the table, and was rolled back');
    return { stored: true, rolledBack: true };
  },

  async remove() {
    // Nothing remains of it.
  },
};
