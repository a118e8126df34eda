// §4, kept over the years: the readings table's monthly partitions made ahead, and — with
// `--keep-raw` — raw readings older than that dropped a month at a time once the 15-minute rollup
// holds their sums (templates/lambda/maintenance.ts). Hour and day charts of any period still
// work from the rollups; a minute chart before the raw readings kept says so. As the master user:
// from this desktop in my-ip mode, by the function when invoked in private mode.

import { maintainPartitions, type MaintenanceResult } from '../../../templates/lambda/maintenance.js';
import type { Step, StepContext } from '../step.js';
import { invokeAsMaster, withDesktopConnection } from './table.js';

export interface RetentionOutput {
  /** Days raw readings are kept; null: forever. */
  keepRawDays: number | null;
  /** From when raw readings are kept (`YYYY-MM-DD`); null: all of them. */
  rawFrom: string | null;
}

const DAY_MS = 86_400_000;

/** How long raw readings are kept, in words. */
export function describeKeepRaw(days: number | null): string {
  if (days === null) return 'forever';
  if (days % 365 === 0) return `${days / 365} year${days === 365 ? '' : 's'}`;
  if (days % 30 === 0) return `${days / 30} month${days === 30 ? '' : 's'}`;
  if (days % 7 === 0) return `${days / 7} weeks`;
  return `${days} days`;
}

function describeResult(result: MaintenanceResult): string {
  const parts = [
    result.added.length > 0 ? `months made ahead to ${result.added.at(-1)!.slice(0, 7)}` : 'months ahead in place',
    result.dropped.length > 0 ? `${result.dropped.length} month${result.dropped.length === 1 ? '' : 's'} of raw readings dropped (about ${result.droppedRows.toLocaleString('en')})` : null,
    result.rawFrom ? `raw readings from ${result.rawFrom}` : null,
    result.kept ? `old months kept: ${result.kept}` : null,
  ];
  return parts.filter(Boolean).join('; ');
}

const keepRawDays = (ctx: StepContext) => ctx.answers.keepRawDays ?? null;

export const retentionStep: Step<RetentionOutput> = {
  id: 'retention',
  title: '§4 raw readings',
  // Raw months go only once the rollup holds them.
  after: ['rollup', 'reshape'],

  async plan(ctx) {
    const days = keepRawDays(ctx);
    const saved = ctx.state.outputs?.retention as RetentionOutput | undefined;
    const resource = `table ${ctx.names.table} (monthly partitions)`;
    if (days === null) {
      return [{ step: 'retention', resource, action: saved?.keepRawDays === null ? 'keep' : 'update', detail: 'raw readings kept forever; months made ahead' }];
    }
    return [
      {
        step: 'retention',
        resource,
        action: 'update',
        detail: `raw readings kept ${describeKeepRaw(days)}: older months dropped, their 15-minute and hourly sums kept (hour and day charts of any period still work)`,
      },
    ];
  },

  async apply(ctx) {
    const days = keepRawDays(ctx);
    const task = ctx.progress.task(`partitions of ${ctx.names.table}`, 'checking');
    let result: MaintenanceResult;
    if (ctx.answers.access === 'my-ip') {
      result = await withDesktopConnection(ctx, async (query) => {
        // By the database's clock: the months are the table's, not this computer's.
        const [now] = (await query('SELECT UNIX_TIMESTAMP() AS now')) as Array<{ now: number | string }>;
        return maintainPartitions(query, ctx.names.table, Number(now!.now) * 1000, days === null ? null : days * DAY_MS);
      });
    } else {
      result = (await invokeAsMaster(ctx, task, 'maintain', { keepRawDays: days }, 'keep the partitions')) as unknown as MaintenanceResult;
    }
    task.done(describeResult(result));
    return { keepRawDays: days, rawFrom: result.rawFrom };
  },

  async remove() {
    // Goes with the database.
  },
};
