// mbed-tsdb simulate: stand in for the Connector and a set of boards against the stack's real
// webhook (or --url/--secret), then say what arrived — and with --verify fail unless every
// reading is stored exactly once.

import { randomBytes } from 'node:crypto';
import { DEFAULT_SECRET_HEADER } from '../../templates/lambda/config.js';
import { checkResource, DEFAULT_RESOURCE } from '../connector/names.js';
import { explainDbError, openDatabase } from '../db/connect.js';
import { UsageError, UserFacingError } from '../errors.js';
import { parseDuration, simulatedDevices } from '../simulate/readings.js';
import { percentile, simulate, type SimulateStats } from '../simulate/run.js';
import { checkRows, type RowCheck } from '../simulate/verify.js';
import { readState } from '../stack/state.js';
import { reachableUrl } from '../stack/step.js';
import type { ApiOutput } from '../stack/steps/api.js';
import { createProgress, shouldAnimate } from '../ui/progress.js';
import type { CommandContext } from './context.js';
import { dataTarget } from './data-target.js';
import { commandSleep, interruptSignal, netOf, stateNotices } from './stack-context.js';

interface Flags {
  devices: string;
  resource: string;
  rate: string;
  duration: string;
  batch: string;
  url?: string;
  secret?: string;
  legacy?: boolean;
  verify?: boolean;
}

const MAX_BATCH = 10_000;

function whole(text: string, flag: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < min || n > max) throw new UsageError(`${flag} takes a whole number from ${min} to ${max.toLocaleString('en')}`);
  return n;
}

export async function run(context: CommandContext): Promise<number> {
  const { settings, out, hooks } = context;
  const flags = context.options as unknown as Flags;
  const devices = whole(flags.devices, '--devices', 1, 10_000);
  const batch = whole(flags.batch, '--batch', 1, MAX_BATCH);
  const rate = Number(flags.rate);
  if (!(rate > 0 && rate <= 100_000)) throw new UsageError('--rate takes notifications per second, more than 0 and at most 100000 (e.g. 5 or 0.5)');
  const durationMs = parseDuration(flags.duration);
  if (durationMs === null || durationMs <= 0 || durationMs > 24 * 3_600_000) throw new UsageError('--duration takes a duration such as 30s, 10m or 1h (at most 24h)');
  const resource = checkResource(flags.resource ?? DEFAULT_RESOURCE);

  // The stack's webhook and secret, unless both are given.
  const state = readState(context.env, settings.stack, stateNotices(context));
  const savedUrl = (state?.outputs?.api as ApiOutput | undefined)?.url;
  const url = flags.url ?? (savedUrl ? reachableUrl(hooks, savedUrl) : undefined);
  const secret = flags.secret ?? (flags.url === undefined ? state?.webhookSecret : undefined);
  if (!url) throw new UserFacingError(`no webhook known for stack ${settings.stack} on this machine: run mbed-tsdb setup, or pass --url and --secret`, { code: 'NO_WEBHOOK' });
  if (flags.secret !== undefined) out.warn('--secret on the command line is visible to other users of this computer (ps): without --url, simulate takes the stack\'s own secret');
  try {
    new URL(url);
  } catch {
    throw new UsageError(`--url ${JSON.stringify(url)} is not a URL`);
  }

  const fetch = netOf(context).fetch;
  const now = hooks.now ?? Date.now;
  const sleep = commandSleep(context);
  const runId = randomBytes(4).toString('hex');
  const boards = simulatedDevices(devices);
  const progress = createProgress({ stream: context.stderr, animate: !hooks.sleep && shouldAnimate(context.stderr.isTTY, context.env), now });
  const task = progress.task('simulate', `${devices} board(s), ${rate}/s for ${flags.duration} → ${new URL(url).host}`);
  let lastShown = 0;
  const stats = await simulate({
    devices: boards,
    resource,
    rate,
    durationMs,
    batch,
    izuma: !flags.legacy,
    runId,
    now,
    sleep,
    put: async (body) => {
      const response = await fetch(url, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', ...(secret ? { [DEFAULT_SECRET_HEADER]: secret } : {}) },
        body,
        signal: AbortSignal.any([AbortSignal.timeout(30_000), interruptSignal(context)]),
      });
      return { status: response.status, text: await response.text() };
    },
    onProgress: (s) => {
      if (now() - lastShown < 250) return;
      lastShown = now();
      task.update(describeProgress(s));
    },
  });
  if (stats.undelivered > 0) task.fail(describeProgress(stats));
  else task.done(describeProgress(stats));

  // What actually arrived, where the database can be read from here.
  let rows: RowCheck | { unavailable: string };
  try {
    const target = dataTarget(context);
    const pool = await openDatabase(target);
    try {
      rows = await checkRows(async (sql, values) => (await pool.query(sql, values))[0], target.config.table, { runId, uids: stats.uids, deviceIds: boards.map((b) => b.id), delivered: stats.delivered }).catch(
        (error: unknown) => {
          throw explainDbError(error, target);
        },
      );
    } finally {
      await pool.end().catch(() => undefined);
    }
  } catch (error) {
    rows = { unavailable: error instanceof Error ? error.message : String(error) };
  }

  const summary = {
    webhook: new URL(url).origin + new URL(url).pathname,
    runId,
    devices: boards.map((b) => ({ id: b.id, name: b.name })),
    resource,
    sent: stats.made,
    delivered: stats.delivered,
    stored: stats.stored,
    duplicates: stats.duplicates,
    rejected: stats.rejected,
    undelivered: stats.undelivered,
    requests: stats.requests,
    failedRequests: stats.failed,
    latencyMs: { p50: percentile(stats.latencies, 50), p99: percentile(stats.latencies, 99) },
    seconds: stats.elapsedMs / 1000,
    rows,
  };
  out.result(summary, describeSummary(summary, stats));
  if (flags.verify) {
    if ('unavailable' in rows) throw new UserFacingError(`--verify could not read the rows back: ${rows.unavailable}`, { code: 'DB_UNREACHABLE' });
    if (rows.missing > 0 || rows.duplicated > 0 || stats.undelivered > 0) {
      throw new UserFacingError(`verify failed: ${rows.missing + stats.undelivered} reading(s) missing, ${rows.duplicated} stored twice`, { code: 'VERIFY_FAILED' });
    }
  }
  return 0;
}

function describeProgress(s: SimulateStats): string {
  const perSecond = s.elapsedMs > 0 ? (s.requests / s.elapsedMs) * 1000 : 0;
  const p50 = percentile(s.latencies, 50);
  const p99 = percentile(s.latencies, 99);
  return (
    `sent ${s.delivered}/${s.made}, stored ${s.stored}, rejected ${s.rejected}` +
    (s.failed ? `, ${s.failed} failed request(s) retried` : '') +
    `, ${perSecond.toFixed(1)} requests/s` +
    (p50 !== null ? `, latency p50 ${Math.round(p50)} ms p99 ${Math.round(p99!)} ms` : '')
  );
}

function describeSummary(summary: { sent: number; delivered: number; stored: number; duplicates: number; rejected: number; undelivered: number; rows: RowCheck | { unavailable: string } }, stats: SimulateStats): string {
  const lines = [
    `Sent ${summary.sent} reading(s) in ${stats.requests} request(s); the webhook answered ${summary.stored} stored, ${summary.duplicates} duplicate(s), ${summary.rejected} rejected.`,
  ];
  if (summary.undelivered) lines.push(`${summary.undelivered} reading(s) were never accepted: the webhook kept failing.`);
  const rows = summary.rows;
  if ('unavailable' in rows) lines.push(`Rows in the table: not checked (${rows.unavailable}).`);
  else lines.push(`Rows in the table: ${rows.rows}${rows.missing || rows.duplicated ? ` — ${rows.missing} missing, ${rows.duplicated} stored twice` : ', every reading once'}.`);
  lines.push('See them: mbed-tsdb chart --since 1h --bucket minute');
  return lines.join('\n');
}
