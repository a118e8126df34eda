// mbed-tsdb dashboard: validate, connect, serve on loopback until Ctrl+C.

import { spawn } from 'node:child_process';
import { chartRequest } from '../chart/request.js';
import { explainDbError, openDatabase } from '../db/connect.js';
import { isLoopback, startDashboard } from '../dashboard/server.js';
import { UsageError } from '../errors.js';
import type { CommandContext } from './context.js';
import { dataTarget } from './data-target.js';

function integer(value: unknown, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${flag} must be a whole number from ${min} to ${max}`);
  return n;
}

export async function run(context: CommandContext): Promise<number> {
  const { options, out } = context;
  const port = integer(options.port, '--port', 0, 65535);
  const refreshSeconds = integer(options.refresh, '--refresh', 1, 3600);
  const host = String(options.host);
  const allowHosts = (options.allowHost as string[] | undefined) ?? [];
  for (const name of allowHosts) {
    if (!/^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i.test(name)) throw new UsageError(`--allow-host ${JSON.stringify(name)} is not a host name (with an optional :port)`);
  }
  const target = dataTarget(context);
  // Bad chart options fail here, before anything starts.
  chartRequest(options, target.config.table, Date.now() / 1000);
  const defaults = Object.fromEntries(['since', 'until', 'bucket', 'agg', 'board', 'sensor', 'tz'].map((k) => [k, options[k] as string | undefined]));

  const pool = await openDatabase(target);
  let dashboard;
  try {
    dashboard = await startDashboard({
      pool,
      table: target.config.table,
      defaults,
      refreshSeconds,
      host,
      port,
      allowHosts,
      explain: (error) => explainDbError(error, target).message,
      log: (message) => out.warn(message),
    });
  } catch (error) {
    await pool.end().catch(() => undefined);
    const code = (error as { code?: string }).code;
    if (code === 'EADDRINUSE') throw new UsageError(`port ${port} is in use: choose another with --port (0 picks a free one)`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new UsageError(`cannot listen on ${host}: not an address of this computer`);
    throw error;
  }
  if (!isLoopback(host)) out.warn(`listening on ${host}: anyone who can reach this computer can read your data`);
  out.result({ url: dashboard.url }, dashboard.url);
  out.info(`dashboard at ${dashboard.url} (${target.source}); Ctrl+C stops it`);
  if (options.open !== false && !context.env.CI) openBrowser(dashboard.url, () => out.info(`open ${dashboard.url} in your browser`));

  await context.interrupted;
  await dashboard.close();
  await pool.end().catch(() => undefined);
  out.info('dashboard stopped');
  return 0;
}

function openBrowser(url: string, failed: () => void): void {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    const child = spawn(command, [url], { detached: true, stdio: 'ignore' });
    child.once('error', failed);
    child.unref();
  } catch {
    failed();
  }
}
