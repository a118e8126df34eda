// mbed-tsdb subscribe <device>: subscribe (or --remove, or --list) a device's resources,
// keeping a pre-subscription rule so the subscription survives re-registration. The device is
// named by its ID, or by the name it gave itself (looked up in the device directory).

import { ConnectorClient } from '../connector/client.js';
import { checkEndpoint, checkResource, DEFAULT_RESOURCE } from '../connector/names.js';
import { withRule, type OurRule } from '../connector/presubscriptions.js';
import { explainAsyncStatus } from '../connector/statuses.js';
import { patientRemover, resolveDevice, subscribeAll, unsubscribeAll, type SubscriptionResult } from '../connector/subscriptions.js';
import { checkConnectorHost, chosenConnectorHost } from '../config/settings.js';
import { DEFAULT_SECRET_HEADER } from '../../templates/lambda/config.js';
import { UsageError, UserFacingError } from '../errors.js';
import { printable } from '../ui/printable.js';
import { readOutcomes } from '../db/outcomes.js';
import { readState, writeState, type StackState } from '../stack/state.js';
import { pendingSubscriptions, type ConnectorOutput } from '../stack/steps/connector.js';
import type { CommandContext } from './context.js';
import { commandSleep, connectorApiKey, interruptSignal, netOf, promptsFor, stateNotices } from './stack-context.js';

interface Flags {
  resource?: string[];
  remove?: boolean;
  list?: boolean;
  allowUnregistered?: boolean;
  connectorHost?: string;
}

export async function run(context: CommandContext): Promise<number> {
  const { settings, out, hooks } = context;
  const flags = context.options as Flags;
  const given = checkEndpoint(context.args[0] ?? '');
  const resources = [...new Set((flags.resource?.length ? flags.resource : [DEFAULT_RESOURCE]).map(checkResource))];
  if (flags.remove && flags.list) throw new UsageError('--remove and --list do not go together');
  if (flags.connectorHost !== undefined) checkConnectorHost(flags.connectorHost, '--connector-host');
  const state = readState(context.env, settings.stack, stateNotices(context));
  const savedHost = (state?.answers as { connectorHost?: string } | undefined)?.connectorHost;
  const host = chosenConnectorHost(flags.connectorHost, settings) ?? savedHost ?? settings.connectorHost;
  const apiKey = await connectorApiKey(context, promptsFor(context));
  const client = new ConnectorClient({ host, apiKey, sleep: commandSleep(context), fetch: netOf(context).fetch, signal: interruptSignal(context) });

  const device = await resolveDevice(client, given);
  if (!device.registered && !flags.allowUnregistered && !flags.remove) {
    throw new UserFacingError(
      `no device ${given} in this account's device directory: give its device ID (32 hex digits) or the name it gave itself, ` +
        'or pass --allow-unregistered to add only the pre-subscription rule, which subscribes it when it registers',
      { code: 'UNKNOWN_DEVICE' },
    );
  }
  if (device.id !== given) out.info(`${given} is device ${printable(device.id)}`);
  const endpoint = device.id;
  const pairs: OurRule[] = resources.map((resource) => ({ endpoint, resource }));

  if (flags.list) return list(context, client, endpoint, state);

  // Notifications go only where this key's callback points.
  const saved = state?.outputs?.connector as ConnectorOutput | undefined;
  const callback = await client.getCallback();
  const ours = callback && (callback.url === saved?.callbackUrl || (state?.webhookSecret !== undefined && callback.headers[DEFAULT_SECRET_HEADER] === state.webhookSecret));
  if (!flags.remove && !ours) {
    out.warn(
      callback
        ? `this key's notifications go to ${callback.url}, not to stack ${settings.stack}: they will not reach its database (run mbed-tsdb setup)`
        : `no webhook is registered for this key: notifications go nowhere until mbed-tsdb setup registers stack ${settings.stack}'s`,
    );
  }

  let results: Array<{ resource: string; state: string; words: string }>;
  if (flags.remove) {
    const recorded = [...(state?.rules ?? []), ...(saved?.rules ?? [])];
    const mine = pairs.filter((p) => recorded.some((r) => r.endpoint === p.endpoint && r.resource === p.resource));
    const remover = patientRemover(commandSleep(context));
    await unsubscribeAll(client, pairs, mine, remover);
    if (remover.left.length > 0) {
      // Nothing is forgotten from the state: the same command finishes it later.
      throw new UserFacingError(`the service is busy; not removed: ${remover.left.join('; ')}. Run the same command again later.`, { code: 'CONNECTOR_BUSY' });
    }
    results = resources.map((resource) => ({ resource, state: 'removed', words: 'unsubscribed' }));
    if (state) record(state, pairs, [], [], 'remove');
  } else if (!device.registered) {
    const before = await client.preSubscriptions();
    const added = pairs.filter((p) => withRule(before, p) !== null);
    if (added.length) await client.setPreSubscriptions([...before, ...added.map((p) => ({ 'endpoint-name': p.endpoint, 'resource-path': [p.resource] }))]);
    results = resources.map((resource) => ({ resource, state: 'waiting-for-device', words: 'waiting for the device: the pre-subscription rule subscribes it when it registers' }));
    if (state) record(state, pairs, added, [], 'add');
  } else {
    const done = await subscribeAll(client, pairs, {
      // A rule the service would not let go of stays on record, so --remove and teardown find it.
      onRulesKept: (kept) => {
        if (!state) return;
        state.rules = [...(state.rules ?? []), ...kept];
        writeState(context.env, state, stateNotices(context));
      },
    });
    results = done.results.map((r) => ({ resource: r.resource, state: r.state, words: words(r) }));
    if (state) record(state, pairs, done.added, done.results, 'add');
  }
  if (state) writeState(context.env, state, stateNotices(context));
  out.result({ endpoint, name: device.name ?? null, results }, results.map((r) => printable(`${endpoint} ${r.resource}: ${r.words}`)).join('\n'));
  return 0;
}

function words(result: SubscriptionResult): string {
  if (result.state === 'subscribed') return 'subscribed';
  if (result.state === 'pending') return 'accepted, pending: the device answers later (mbed-tsdb subscribe --list shows the outcome)';
  return `waiting for the device: ${result.note ?? 'the pre-subscription rule subscribes it when it registers'}`;
}

/** Recorded so status checks them and teardown removes them — only the rules this tool added. */
function record(state: StackState, pairs: OurRule[], added: OurRule[], results: SubscriptionResult[], change: 'add' | 'remove'): void {
  const answers = (state.answers ?? {}) as { endpoints?: string[]; resource?: string };
  const stackResource = answers.resource ?? DEFAULT_RESOURCE;
  const same = (a: OurRule, b: OurRule) => a.endpoint === b.endpoint && a.resource === b.resource;
  const endpoints = new Set(answers.endpoints ?? []);
  for (const pair of pairs.filter((p) => p.resource === stackResource)) {
    if (change === 'remove') endpoints.delete(pair.endpoint);
    else endpoints.add(pair.endpoint);
  }
  const others = (state.subscribed ?? []).filter((s) => !pairs.some((p) => same(p, s)));
  state.answers = { ...answers, endpoints: [...endpoints] };
  state.subscribed = change === 'remove' ? others : [...others, ...pairs.filter((p) => p.resource !== stackResource)];
  state.rules = change === 'remove' ? (state.rules ?? []).filter((r) => !pairs.some((p) => same(p, r))) : [...(state.rules ?? []), ...added];
  const pending = (state.pending ?? []).filter((p) => !pairs.some((q) => same(p, q)));
  if (change === 'add') for (const r of results) if (r.state === 'pending' && r.asyncId) pending.push({ endpoint: r.endpoint, resource: r.resource, asyncId: r.asyncId });
  state.pending = pending;
}

async function list(context: CommandContext, client: ConnectorClient, endpoint: string, state: StackState | null): Promise<number> {
  const subscribed = await client.subscriptions(endpoint);
  const pending = (state ? pendingSubscriptions(state) : []).filter((p) => p.endpoint === endpoint && !subscribed.includes(p.resource));
  const outcomes = await readOutcomes(context.env, context.settings.stack, pending.map((p) => p.asyncId)).catch(() => null);
  const rows = [
    ...subscribed.map((resource) => ({ resource, state: 'subscribed', words: 'subscribed' })),
    ...pending.map((p) => {
      const outcome = outcomes?.get(p.asyncId);
      if (!outcome) return { resource: p.resource, state: 'pending', words: outcomes ? 'pending: no answer from the device yet' : 'pending (its outcome is in the database, which is not reachable from here)' };
      return outcome.status === 200
        ? { resource: p.resource, state: 'subscribed', words: 'subscribed (the device accepted)' }
        : { resource: p.resource, state: 'failed', words: `failed: ${explainAsyncStatus(outcome.status, outcome.error ?? undefined)}` };
    }),
  ];
  context.out.result(
    { endpoint, subscriptions: rows },
    rows.length ? rows.map((r) => printable(`${endpoint} ${r.resource}: ${r.words}`)).join('\n') : `${printable(endpoint)} has no subscriptions`,
  );
  return rows.some((r) => r.state === 'failed') ? 1 : 0;
}
