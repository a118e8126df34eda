// The chart rollup, filled with the readings stored before the function kept it (a stack made
// before mbed-tsdb had one): a day of buckets per transaction, with progress, resumable where it
// stopped, safe while the webhook keeps writing. Until it is complete, charts read the rows.

import { fillRollup, type FillProgress } from '../../../templates/lambda/rollup.js';
import { settleHours } from '../../../templates/lambda/rollup-hours.js';
import type { Step } from '../step.js';
import { invokeAsMaster, withDesktopConnection } from './table.js';

export interface RollupOutput {
  complete: true;
}

const day = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10);

function describeProgress(progress: FillProgress): string {
  return progress.filledBefore !== null && progress.end !== null ? `filled up to ${day(progress.filledBefore)} of ${day(progress.end - 1)}` : 'filling';
}

export const rollupStep: Step<RollupOutput> = {
  id: 'rollup',
  title: '§4 chart rollup',
  after: ['configure', 'table'],

  async plan(ctx) {
    const resource = `table ${ctx.names.table}_rollup`;
    // Once filled, the function keeps it; only a stack whose function stopped keeping it needs more.
    if ((ctx.state.outputs?.rollup as RollupOutput | undefined)?.complete && ctx.state.rollupWritersUntil === undefined) {
      return [{ step: 'rollup', resource, action: 'keep', detail: 'kept by the function with every request' }];
    }
    return [{ step: 'rollup', resource, action: 'update', detail: 'filled with the readings stored so far, so hour and day charts stay fast' }];
  },

  async apply(ctx) {
    const task = ctx.progress.task(`rollup ${ctx.names.table}_rollup`, 'checking');
    const waitMs = (ctx.state.rollupWritersUntil ?? 0) - ctx.now();
    if (waitMs > 0) {
      task.update(`waiting ${Math.ceil(waitMs / 1000)}s for copies of the function that did not keep it to finish`);
      await ctx.sleep(waitMs);
    }
    if (ctx.answers.access === 'my-ip') {
      await withDesktopConnection(ctx, async (query, connection) => {
        await fillRollup(connection, ctx.names.table, { onChunk: (progress) => task.update(describeProgress(progress)) });
        // Hourly sums of the hours no reading can arrive in any more; charts keep them up to date.
        await settleHours(query, ctx.names.table, { onChunk: ({ settledBefore, end }) => task.update(`hourly sums up to ${day(settledBefore)} of ${day(end - 1)}`) });
      });
    } else {
      // Inside the VPC, a bounded stretch per invocation, until done.
      for (;;) {
        const progress = (await invokeAsMaster(ctx, task, 'rollup', {}, 'fill the chart rollup')) as unknown as FillProgress;
        if (progress.complete) break;
        task.update(describeProgress(progress));
      }
    }
    delete ctx.state.rollupWritersUntil;
    task.done('complete');
    return { complete: true };
  },

  async remove() {
    // Goes with the database.
  },
};
