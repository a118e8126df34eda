// mbed-tsdb chart: validate the options, find the database, run one GROUP BY, print.

import { chartRequest } from '../chart/request.js';
import { renderChart, seriesCsv } from '../chart/render.js';
import { quickSightSteps } from '../chart/quicksight.js';
import { openDatabase, explainDbError } from '../db/connect.js';
import { planSeries, querySeries } from '../db/series.js';
import { readState } from '../stack/state.js';
import type { CommandContext } from './context.js';
import { stateNotices } from './stack-context.js';
import { dataTarget } from './data-target.js';

export async function run(context: CommandContext): Promise<number> {
  const { options, settings, out } = context;
  const target = dataTarget(context);

  if (options.quicksight) {
    const { host, port, database, table, user } = target.config;
    const region = settings.region ?? readState(context.env, settings.stack, stateNotices(context))?.region ?? settings.profileRegion;
    out.result({ host, port, database, table, user, region: region ?? null }, quickSightSteps({ host, port, database, table, user, region }));
    return 0;
  }

  const request = chartRequest(options, target.config.table, Date.now() / 1000);
  // Plan before connecting: a range with too many buckets is bad input, not a database error.
  const plan = planSeries(request);
  out.debug(`reading ${target.config.database}.${target.config.table} at ${target.config.host}:${target.config.port} (${target.source})`);
  const pool = await openDatabase(target);
  try {
    const series = await querySeries(pool, request, plan).catch((error: unknown) => {
      throw explainDbError(error, target);
    });
    if (series.rawFrom) {
      out.warn(
        series.bucket === 'minute'
          ? `raw readings before ${series.rawFrom} are no longer kept (setup --keep-raw): a minute chart has nothing before then; hour and day charts of that time come from the rollups`
          : `raw readings before ${series.rawFrom} are no longer kept (setup --keep-raw): the hours and days before then come from the rollups, whole buckets only`,
      );
    }
    if (options.csv && !settings.json) out.result(series, seriesCsv(series));
    else {
      const c = out.resultColors;
      out.result(series, renderChart(series, { width: context.columns, paint: { bar: c.cyan, negative: c.magenta, dim: c.dim, bold: c.bold } }));
    }
    return 0;
  } finally {
    await pool.end().catch(() => undefined);
  }
}
