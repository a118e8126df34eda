// Tutorial §7: tell the Connector where to send notifications (with the secret header),
// then subscribe the endpoints. Pre-subscription rules are written first and merged with the
// account's own, so subscriptions survive device reboots and nobody else's rules are lost.

import { ConnectorClient, ConnectorError } from '../../connector/client.js';
import { changeRules, type OurRule } from '../../connector/presubscriptions.js';
import { DEFAULT_SECRET_HEADER } from '../../../templates/lambda/config.js';
import { UserFacingError } from '../../errors.js';
import { reachableUrl, type Step, type StepContext } from '../step.js';
import type { ApiOutput } from './api.js';

export interface EndpointResult {
  endpoint: string;
  resource: string;
  state: 'subscribed' | 'queued' | 'pending-registration';
  note?: string;
}

export interface ConnectorOutput {
  host: string;
  callbackUrl: string;
  replaced: string | null;
  rules: OurRule[];
  endpoints: EndpointResult[];
}

export function connectorClient(ctx: StepContext): ConnectorClient {
  if (!ctx.apiKey) throw new UserFacingError('no Connector API key: pass it in MBED_CLOUD_SDK_API_KEY (or .env), or run setup in a terminal to be asked', { code: "NO_API_KEY" });
  return new ConnectorClient({ host: ctx.answers.connectorHost, apiKey: ctx.apiKey, sleep: ctx.sleep });
}

export const connectorStep: Step<ConnectorOutput> = {
  id: 'connector',
  title: '§7 Connector webhook and subscriptions',
  after: ['api', 'function'],

  async plan(ctx) {
    const endpoints = ctx.answers.endpoints.length ? ctx.answers.endpoints.join(', ') : 'no endpoints yet';
    return [
      { step: 'connector', resource: `Connector webhook at ${ctx.answers.connectorHost}`, action: 'update', detail: 'registered with a secret header' },
      { step: 'connector', resource: `subscriptions to ${ctx.answers.resource}`, action: 'update', detail: `${endpoints} (plus pre-subscription rules)` },
    ];
  },

  async apply(ctx) {
    const client = connectorClient(ctx);
    const api = ctx.state.outputs!.api as ApiOutput;
    const url = reachableUrl(ctx, api.url);
    const headers = { [DEFAULT_SECRET_HEADER]: ctx.state.webhookSecret! };
    const task = ctx.progress.task('Connector', 'checking the webhook');
    const current = await client.getCallback();
    const same = current?.url === url && current.headers[DEFAULT_SECRET_HEADER] === headers[DEFAULT_SECRET_HEADER];
    if (!same) {
      task.update('registering the webhook (the Connector checks it with a PUT)');
      await client.registerCallback({ url, headers });
    }
    const rules = ctx.answers.endpoints.map((endpoint) => ({ endpoint, resource: ctx.answers.resource }));
    const merged = changeRules(await client.preSubscriptions(), rules, 'add');
    if (merged) await client.setPreSubscriptions(merged);
    const endpoints: EndpointResult[] = [];
    for (const { endpoint, resource } of rules) {
      task.update(`subscribing ${endpoint}`);
      try {
        if ((await client.subscriptions(endpoint)).includes(resource)) {
          endpoints.push({ endpoint, resource, state: 'subscribed' });
          continue;
        }
        const result = await client.subscribe(endpoint, resource);
        endpoints.push(
          result.state === 'subscribed'
            ? { endpoint, resource, state: 'subscribed' }
            : { endpoint, resource, state: 'queued', note: 'the device is asleep; the subscription applies when it wakes' },
        );
      } catch (error) {
        if (error instanceof ConnectorError && [404, 502, 503, 504].includes(error.status)) {
          endpoints.push({ endpoint, resource, state: 'pending-registration', note: `${error.message}; the pre-subscription rule subscribes it when it registers` });
          continue;
        }
        throw error;
      }
    }
    task.done(`webhook ${same ? 'already registered' : 'registered'}; ${endpoints.filter((e) => e.state === 'subscribed').length}/${endpoints.length} subscribed`);
    return { host: ctx.answers.connectorHost, callbackUrl: url, replaced: !same && current && current.url !== url ? current.url : null, rules, endpoints };
  },

  /** Our subscriptions and rules, and the webhook if it is still ours; everyone else's stay. */
  async remove(ctx) {
    const client = connectorClient(ctx);
    const saved = ctx.state.outputs?.connector as ConnectorOutput | undefined;
    // Those setup made, and those added since with mbed-tsdb subscribe.
    const all = [
      ...(saved?.rules ?? []),
      ...ctx.answers.endpoints.map((endpoint) => ({ endpoint, resource: ctx.answers.resource })),
      ...(ctx.state.subscribed ?? []),
    ];
    const rules = all.filter((r, i) => all.findIndex((o) => o.endpoint === r.endpoint && o.resource === r.resource) === i);
    const task = ctx.progress.task('Connector', 'removing subscriptions');
    for (const rule of rules) await client.unsubscribe(rule.endpoint, rule.resource).catch(ignoreGone);
    const kept = changeRules(await client.preSubscriptions(), rules, 'remove');
    if (kept) await client.setPreSubscriptions(kept);
    const api = ctx.state.outputs?.api as ApiOutput | undefined;
    const ours = saved?.callbackUrl ?? (api ? reachableUrl(ctx, api.url) : undefined);
    const current = await client.getCallback();
    const removeCallback = current !== null && ours !== undefined && current.url === ours;
    if (removeCallback) await client.deleteCallback();
    task.done(`${rules.length} subscription(s) and rule(s) removed${removeCallback ? ', webhook removed' : current ? ', webhook left (it points elsewhere)' : ''}`);
  },
};

function ignoreGone(error: unknown): void {
  if (error instanceof ConnectorError && (error.status === 404 || error.status === 502 || error.status === 503)) return;
  throw error;
}
