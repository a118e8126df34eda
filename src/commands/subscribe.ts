// mbed-tsdb subscribe <endpoint>: subscribe (or --remove, or --list) an endpoint's resources,
// keeping the matching pre-subscription rule so the subscription survives device reboots.

import { ConnectorClient, type SubscribeResult } from '../connector/client.js';
import { checkEndpoint, checkResource, DEFAULT_RESOURCE } from '../connector/names.js';
import { changeRules } from '../connector/presubscriptions.js';
import { checkConnectorHost, chosenConnectorHost } from '../config/settings.js';
import { UsageError } from '../errors.js';
import { readState, writeState } from '../stack/state.js';
import { realSleep } from '../util/wait.js';
import type { CommandContext } from './context.js';
import { connectorApiKey, promptsFor } from './stack-context.js';

interface Flags {
  resource?: string[];
  remove?: boolean;
  list?: boolean;
  connectorHost?: string;
}

export async function run(context: CommandContext): Promise<number> {
  const { settings, out, hooks } = context;
  const flags = context.options as Flags;
  const endpoint = checkEndpoint(context.args[0] ?? '');
  const resources = [...new Set((flags.resource?.length ? flags.resource : [DEFAULT_RESOURCE]).map(checkResource))];
  if (flags.remove && flags.list) throw new UsageError('--remove and --list do not go together');
  if (flags.connectorHost !== undefined) checkConnectorHost(flags.connectorHost, '--connector-host');
  const state = readState(context.env, settings.stack);
  const savedHost = (state?.answers as { connectorHost?: string } | undefined)?.connectorHost;
  const host = chosenConnectorHost(flags.connectorHost, settings) ?? savedHost ?? settings.connectorHost;
  const apiKey = await connectorApiKey(context, promptsFor(context));
  const client = new ConnectorClient({ host, apiKey, sleep: hooks.sleep ?? realSleep });

  if (flags.list) {
    const subscribed = await client.subscriptions(endpoint);
    out.result({ endpoint, subscriptions: subscribed }, subscribed.length ? subscribed.map((p) => `${endpoint} ${p}`).join('\n') : `${endpoint} has no subscriptions`);
    return 0;
  }

  // Rules before subscriptions: on the legacy Connector, writing rules drops subscriptions.
  const rules = changeRules(await client.preSubscriptions(), resources.map((resource) => ({ endpoint, resource })), flags.remove ? 'remove' : 'add');
  if (rules) await client.setPreSubscriptions(rules);

  const results: Array<{ resource: string; state: string; words: string }> = [];
  for (const resource of resources) {
    if (flags.remove) {
      const removed = await client.unsubscribe(endpoint, resource);
      results.push({ resource, state: removed ? 'removed' : 'absent', words: removed ? 'unsubscribed' : 'was not subscribed' });
      continue;
    }
    let result: SubscribeResult;
    try {
      result = await client.subscribe(endpoint, resource);
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === 404 || status === 502 || status === 503 || status === 504) {
        results.push({ resource, state: 'pending-registration', words: `${(error as Error).message.replace(/^subscribing [^:]+: /, '')}; the pre-subscription rule subscribes it when it registers` });
        continue;
      }
      throw error;
    }
    results.push(
      result.state === 'subscribed'
        ? { resource, state: 'subscribed', words: 'subscribed' }
        : { resource, state: 'queued', words: 'queued: the device is asleep, the subscription applies when it wakes' },
    );
  }

  if (state) {
    // Recorded so status checks them and teardown removes them.
    const answers = (state.answers ?? {}) as { endpoints?: string[]; resource?: string };
    const endpoints = new Set(answers.endpoints ?? []);
    const stackResource = answers.resource ?? DEFAULT_RESOURCE;
    if (resources.includes(stackResource)) {
      if (flags.remove) endpoints.delete(endpoint);
      else endpoints.add(endpoint);
    }
    const others = (state.subscribed ?? []).filter((s) => !(s.endpoint === endpoint && resources.includes(s.resource)));
    const added = flags.remove ? [] : resources.filter((r) => r !== stackResource).map((resource) => ({ endpoint, resource }));
    state.answers = { ...answers, endpoints: [...endpoints] };
    state.subscribed = [...others, ...added];
    writeState(context.env, state);
  }
  out.result({ endpoint, results }, results.map((r) => `${endpoint} ${r.resource}: ${r.words}`).join('\n'));
  return 0;
}
