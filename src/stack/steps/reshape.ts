// §4 for a stack made before monthly partitions: its `events` table (the tutorial's, or an older
// mbed-tsdb's) moved to today's shape — a redelivery known by (ts, uid) in the newest pages, a
// month per partition so raw readings can be dropped — while the webhook keeps writing
// (templates/lambda/reshape.ts). Only with consent (--reshape): it takes a while and, until it
// is done, as much storage again as the table. Without it, setup says what it would take.

import { RESHAPE_ROWS_PER_SECOND, reshapeNeed, reshapeTable, type ReshapeNeed, type ReshapeProgress } from '../../../templates/lambda/reshape.js';
import type { Step, StepContext } from '../step.js';
import type { Task } from '../../ui/progress.js';
import { invokeAsMaster, withDesktopConnection } from './table.js';

export interface ReshapeOutput {
  /** The table is in monthly partitions (made so, or reshaped). */
  partitioned: boolean;
}

/** What reshaping costs, in words: its time at RESHAPE_ROWS_PER_SECOND and the storage it needs. */
export function reshapeCost(need: ReshapeNeed): string {
  const minutes = Math.max(1, Math.ceil(need.rows / RESHAPE_ROWS_PER_SECOND / 60));
  const size = need.bytes >= 2 ** 30 ? `${(need.bytes / 2 ** 30).toFixed(1)} GB` : `${Math.max(1, Math.round(need.bytes / 2 ** 20))} MB`;
  return `about ${need.rows.toLocaleString('en')} readings: roughly ${minutes} minute${minutes === 1 ? '' : 's'}, and ${size} of free storage until the old table is dropped`;
}

const percent = (p: ReshapeProgress) => `${Math.min(100, Math.floor((100 * p.copiedThrough) / Math.max(1, p.lastId)))}%`;

async function reshapeFromDesktop(ctx: StepContext, task: Task): Promise<ReshapeNeed | null> {
  return withDesktopConnection(ctx, async (query, connection, another) => {
    const need = await reshapeNeed(query, ctx.names.table);
    if (!need.needed) return null;
    if (!ctx.answers.reshapeTable) return need;
    task.update(`moving ${ctx.names.table} to monthly partitions (${reshapeCost(need)})`);
    const [now] = (await query('SELECT UNIX_TIMESTAMP() AS now')) as Array<{ now: number | string }>;
    await reshapeTable(connection, ctx.names.table, { nowMs: Number(now!.now) * 1000, second: another, onChunk: (p) => task.update(`copied ${percent(p)} of ${ctx.names.table} (the webhook keeps writing)`) });
    return null;
  });
}

export const reshapeStep: Step<ReshapeOutput> = {
  id: 'reshape',
  title: '§4 monthly partitions',
  // After the rollup is complete (its sums stay right through the move), before retention needs the partitions.
  after: ['table', 'rollup'],

  async plan(ctx) {
    const saved = ctx.state.outputs?.reshape as ReshapeOutput | undefined;
    const resource = `table ${ctx.names.table}`;
    if (ctx.answers.reshapeTable && !saved?.partitioned) {
      return [{ step: 'reshape', resource, action: 'update', detail: `moved to monthly partitions if made before them, while the webhook keeps writing; the old table kept as ${ctx.names.table}_before_reshape` }];
    }
    return [{ step: 'reshape', resource, action: 'keep', detail: saved?.partitioned ? 'in monthly partitions' : 'checked for monthly partitions (a table made before them moves with --reshape)' }];
  },

  async apply(ctx) {
    const task = ctx.progress.task(`table ${ctx.names.table}`, 'checking its shape');
    let left: ReshapeNeed | null;
    if (ctx.answers.access === 'my-ip') left = await reshapeFromDesktop(ctx, task);
    else if (ctx.answers.reshapeTable) {
      // Inside the VPC, a bounded stretch per invocation, until done.
      for (;;) {
        const progress = (await invokeAsMaster(ctx, task, 'reshape', {}, 'reshape the table')) as unknown as ReshapeProgress;
        if (progress.complete) break;
        task.update(`copied ${percent(progress)} of ${ctx.names.table} (the webhook keeps writing)`);
      }
      left = null;
    } else {
      // Without consent the function is not asked to look: it would need the master login for it.
      task.done('not checked from here (private): run mbed-tsdb setup --reshape to move a table made before monthly partitions');
      return { partitioned: false };
    }
    if (left) {
      const why = left.unpartitioned ? 'made before monthly partitions, so inserts slow down as it grows and old readings cannot be dropped' : 'its ids are narrower than BIGINT, so inserts fail once they run out';
      task.done(`${why}: run mbed-tsdb setup --reshape (${reshapeCost(left)})`);
      return { partitioned: false };
    }
    task.done('in monthly partitions');
    return { partitioned: true };
  },

  async remove() {
    // Goes with the database.
  },
};
