// mbed-tsdb status: one row per step, the Connector, the data. Exit 0 healthy, 1 something
// missing or drifted — or a check that could not run (health unknown) —, 2 no such stack.

import { detectPublicIp } from '../net/public-ip.js';
import { MAX_QUIET_LISTED } from '../db/devices.js';
import { printable } from '../ui/printable.js';
import { readState, recordsNothingMade } from '../stack/state.js';
import { stackStatus, type StatusReport } from '../stack/status.js';
import { describeEstimate } from '../cost/estimate.js';
import type { CommandContext } from './context.js';
import { netOf, savedAnswers, stackContext, stackRegion, stateNotices } from './stack-context.js';

function table(report: StatusReport): string {
  const header = ['STEP', 'RESOURCE', 'STATE', 'NOTE'];
  // Names, notes and errors carry the devices' and the service's own text: escaped for the terminal.
  const rows = report.rows.map((r) => [r.step, printable(r.resource), r.ok ? r.state : `${r.state} !`, printable(r.note ?? '')]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const out = [`Stack ${report.stack} in ${report.region}, account ${report.account} as ${report.identity}`, '', line(header), ...rows.map(line)];
  for (const reason of report.unknown.filter((r) => r.startsWith('§3'))) out.push('', printable(reason));
  if ('unavailable' in report.connector) out.push('', `Connector: not checked (${printable(report.connector.unavailable)})`);
  if ('unavailable' in report.data) out.push('', `Data: not read (${printable(report.data.unavailable)})`);
  else {
    out.push('', `Data: ${report.data.rows} rows, newest ${report.data.newest ?? 'none'}${report.data.deduplicated ? '' : ' (no uid column: redelivered readings may be stored twice)'}`);
    for (const s of report.data.series) {
      const last = s.lastTs === undefined ? 'no raw readings kept' : `last ${s.lastValue} at ${s.lastTs}`;
      out.push(`  ${printable(s.name ? `${s.name} (${s.board})` : s.board)} ${printable(s.sensor)}: ${s.rows} rows, ${last}`);
    }
    const quiet = report.data.quietDevices ?? [];
    if (quiet.length > 0) {
      out.push('', `Quiet devices (nothing for the quiet period; §8 alarm): ${quiet.length}${quiet.length >= MAX_QUIET_LISTED ? ' or more' : ''}`);
      for (const d of quiet) out.push(`  ${printable(d.name ? `${d.name} (${d.board})` : d.board)}: last seen ${d.lastSeen}`);
    }
  }
  out.push('', 'unavailable' in report.estimate ? `Cost: not estimated (${report.estimate.unavailable})` : describeEstimate(report.estimate).replace(/^  /gm, ''));
  const verdict = {
    healthy: `Stack ${report.stack} is healthy.`,
    'needs attention': `Stack ${report.stack} needs attention (!): run mbed-tsdb setup to repair it.`,
    unknown: `Stack ${report.stack}: health unknown — what was checked is fine, but ${report.unknown.length === 1 ? 'one check' : `${report.unknown.length} checks`} could not run (above). Fix that and run mbed-tsdb status again.`,
  }[report.health];
  out.push('', verdict);
  return out.join('\n');
}

export async function run(context: CommandContext): Promise<number> {
  const { settings, out } = context;
  const state = readState(context.env, settings.stack, stateNotices(context));
  const region = stackRegion(context, state);
  const answers = savedAnswers(state, settings.connectorHost);
  const ctx = stackContext(context, { region, state: state ?? { version: 1, stack: settings.stack }, answers, apiKey: settings.apiKey });
  let currentCidr: string | { unavailable: string } | null = null;
  if (answers.access === 'my-ip' && state) {
    currentCidr = await detectPublicIp({ url: context.env.MBED_TSDB_IP_ECHO_URL || undefined, timeoutMs: 3000, fetch: netOf(context).fetch })
      .then((ip) => ip.cidr)
      .catch((error: unknown) => ({ unavailable: (error as Error).message }));
  }
  const report = await stackStatus(ctx, { currentCidr, env: context.env });
  // Answers kept by a setup that stopped before changing anything are no stack yet.
  if (!report.exists && (!state || recordsNothingMade(state))) {
    out.result(report, `No stack ${settings.stack} in ${region} of account ${report.account}: run mbed-tsdb setup.`);
    return 2;
  }
  out.result(report, table(report));
  return report.healthy ? 0 : 1;
}
