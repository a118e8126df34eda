// After setup: one synthetic notification through the real URL, with the secret, must come
// back 200 with one row stored; in my-ip mode the row is also read back, then removed.

import { randomInt } from 'node:crypto';
import { DEFAULT_SECRET_HEADER } from '../../../templates/lambda/config.js';
import { UserFacingError } from '../../errors.js';
import { retry } from '../../util/wait.js';
import { reachableUrl, type Step } from '../step.js';
import type { ApiOutput } from './api.js';
import { withDesktopConnection } from './table.js';

export const SELFTEST_BOARD = 'mbed-tsdb-selftest';
export const SELFTEST_SENSOR = '/0/0/0';

export interface SelftestOutput {
  stored: boolean;
  readBack: boolean;
}

export const selftestStep: Step<SelftestOutput> = {
  id: 'selftest',
  title: 'self-test',
  after: ['api', 'configure', 'table'],

  async plan() {
    return [{ step: 'selftest', resource: 'self-test', action: 'update', detail: 'one synthetic reading through the webhook, then removed' }];
  },

  async apply(ctx) {
    const api = ctx.state.outputs!.api as ApiOutput;
    const url = reachableUrl(ctx, api.url);
    const value = randomInt(1_000_000, 2_000_000_000);
    const task = ctx.progress.task('self-test', 'sending a reading through the webhook');
    const body = JSON.stringify({
      notifications: [{ ep: SELFTEST_BOARD, path: SELFTEST_SENSOR, ct: 'text/plain', payload: Buffer.from(String(value)).toString('base64'), 'max-age': 0 }],
    });
    // A fresh deployment or configuration can take a few seconds to serve.
    const reply = await retry(
      async () => {
        const response = await fetch(url, {
          method: 'PUT',
          headers: { 'content-type': 'application/json', [DEFAULT_SECRET_HEADER]: ctx.state.webhookSecret! },
          body,
          signal: AbortSignal.timeout(30_000),
        });
        const text = await response.text();
        if (response.status !== 200) throw Object.assign(new Error(`the webhook answered ${response.status}: ${text.slice(0, 200)}`), { status: response.status });
        return JSON.parse(text) as { stored?: number };
      },
      {
        what: 'the webhook to store a reading',
        delay: { baseMs: 2_000, maxMs: 10_000, random: ctx.random },
        attempts: 6,
        sleep: ctx.sleep,
        now: ctx.now,
        shouldRetry: (e) => ((e as { status?: number }).status ?? 500) >= 500 || (e as { status?: number }).status === 403,
      },
    ).catch((error: unknown) => {
      throw new UserFacingError(`self-test failed: ${(error as Error).message}`, { code: "SELFTEST_FAILED", cause: error });
    });
    if (reply.stored !== 1) throw new UserFacingError(`self-test failed: the webhook stored ${reply.stored ?? 0} rows instead of 1`, { code: "SELFTEST_FAILED" });
    let readBack = false;
    if (ctx.answers.access === 'my-ip') {
      await withDesktopConnection(ctx, async (query) => {
        const rows = (await query(`SELECT COUNT(*) AS n FROM \`${ctx.names.table}\` WHERE board = ? AND sensor = ? AND value = ?`, [SELFTEST_BOARD, SELFTEST_SENSOR, value])) as Array<{ n: number }>;
        readBack = Number(rows[0]?.n) === 1;
        await query(`DELETE FROM \`${ctx.names.table}\` WHERE board = ? AND sensor = ?`, [SELFTEST_BOARD, SELFTEST_SENSOR]);
      });
      if (!readBack) throw new UserFacingError('self-test failed: the webhook said it stored the reading, but the row is not in the table', { code: "SELFTEST_FAILED" });
    }
    task.done(readBack ? 'a reading went through the webhook into the table (and was removed)' : 'the webhook stored a reading');
    return { stored: true, readBack };
  },

  async remove() {
    // Nothing remains of it.
  },
};
