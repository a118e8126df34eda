// Tutorial §7: tell the service where to send notifications (with the secret header, and on
// Izuma the fields that make every reading count once and at the right time), then subscribe
// the devices. Pre-subscription rules are merged with the account's, and only the ones this
// tool added are recorded, so only those are ever removed. A callback that belongs to another
// application is replaced only with consent (setup asks it before the first change).

import { ConnectorClient, ConnectorError, IZUMA_SERIALIZATION, normalizedSerialization, type Callback } from '../../connector/client.js';
import { retry } from '../../util/wait.js';
import type { OurRule } from '../../connector/presubscriptions.js';
import { patientRemover, resolveDevice, subscribeAll, unsubscribeAll, type SubscriptionResult } from '../../connector/subscriptions.js';
import { DEFAULT_SECRET_HEADER } from '../../../templates/lambda/config.js';
import { UserFacingError } from '../../errors.js';
import type { StackState } from '../state.js';
import { reachableUrl, type PlanItem, type Step, type StepContext } from '../step.js';
import type { ApiOutput } from './api.js';

/** A device setup subscribed: by its ID (`endpoint`), with the name it gave itself and what the user typed. */
export type EndpointResult = SubscriptionResult & { name?: string; given?: string };

export interface ConnectorOutput {
  host: string;
  callbackUrl: string;
  replaced: string | null;
  /** The rules this tool added (an identical rule that was already there is not ours). */
  rules: OurRule[];
  endpoints: EndpointResult[];
}

/**
 * Subscriptions answered 202 whose outcome arrives later as an async response: those
 * `mbed-tsdb subscribe` recorded (newest), then those setup made.
 */
export function pendingSubscriptions(state: StackState): Array<{ endpoint: string; resource: string; asyncId: string }> {
  const later = state.pending ?? [];
  const fromSetup = ((state.outputs?.connector as ConnectorOutput | undefined)?.endpoints ?? [])
    .filter((e) => e.state === 'pending' && e.asyncId)
    .map((e) => ({ endpoint: e.endpoint, resource: e.resource, asyncId: e.asyncId! }))
    .filter((e) => !later.some((l) => l.endpoint === e.endpoint && l.resource === e.resource));
  return [...later, ...fromSetup];
}

/**
 * The devices the stack subscribes, by device ID: what setup resolved (kept in its output), what
 * `subscribe` recorded, and any answer given by name that setup has not resolved yet — looked up
 * in the device directory as setup does, since Izuma's subscription paths take IDs only.
 */
export async function stackSubscriptions(ctx: StepContext, client: ConnectorClient): Promise<Array<{ endpoint: string; name?: string; resource: string }>> {
  const saved = (ctx.state.outputs?.connector as ConnectorOutput | undefined)?.endpoints ?? [];
  const fromAnswers = await Promise.all(
    ctx.answers.endpoints.map(async (given) => {
      const known = saved.find((e) => e.given === given || e.endpoint === given || e.name === given);
      if (known) return { endpoint: known.endpoint, ...(known.name ? { name: known.name } : {}), resource: ctx.answers.resource };
      const device = await resolveDevice(client, given);
      return { endpoint: device.id, ...(device.name && device.name !== device.id ? { name: device.name } : {}), resource: ctx.answers.resource };
    }),
  );
  const all = [...fromAnswers, ...(ctx.state.subscribed ?? [])];
  return all.filter((p, i) => all.findIndex((o) => o.endpoint === p.endpoint && o.resource === p.resource) === i);
}

export function connectorClient(ctx: StepContext): ConnectorClient {
  if (!ctx.apiKey) {
    throw new UserFacingError('no Connector API key: pass it in MBED_CLOUD_SDK_API_KEY (or .env), or run setup in a terminal to be asked', { code: 'NO_API_KEY' });
  }
  return new ConnectorClient({ host: ctx.answers.connectorHost, apiKey: ctx.apiKey, sleep: ctx.sleep, ...(ctx.net ? { fetch: ctx.net.fetch } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}) });
}

/** The callback this stack registers: its URL, the secret header, and Izuma's serialization. */
export function wantedCallback(ctx: StepContext, url: string, legacy: boolean): Callback {
  return { url, headers: { [DEFAULT_SECRET_HEADER]: ctx.state.webhookSecret! }, ...(legacy ? {} : { serialization: IZUMA_SERIALIZATION }) };
}

function sameCallback(a: Callback | null, b: Callback): boolean {
  return Boolean(
    a &&
      a.url === b.url &&
      a.headers[DEFAULT_SECRET_HEADER] === b.headers[DEFAULT_SECRET_HEADER] &&
      JSON.stringify(normalizedSerialization(a.serialization)) === JSON.stringify(normalizedSerialization(b.serialization)),
  );
}

/** The URL this stack's webhook has, or will have once the API exists (for comparing only). */
function ourUrl(ctx: StepContext): string | undefined {
  const saved = ctx.state.outputs?.connector as ConnectorOutput | undefined;
  const api = ctx.state.outputs?.api as ApiOutput | undefined;
  return saved?.callbackUrl ?? (api ? reachableUrl(ctx, api.url) : undefined);
}

/**
 * The callback the key has now, when it belongs to something other than this stack: replacing
 * it would cut that application off, so setup asks first.
 */
export async function foreignCallback(ctx: StepContext): Promise<string | null> {
  if (!ctx.apiKey) return null;
  const current = await connectorClient(ctx).getCallback();
  if (!current) return null;
  const ours = ourUrl(ctx);
  // Ours when it is our URL — or carries our secret (the API was made again, with a new URL).
  const mine = current.url === ours || (ctx.state.webhookSecret !== undefined && current.headers[DEFAULT_SECRET_HEADER] === ctx.state.webhookSecret);
  return mine ? null : current.url;
}

export const connectorStep: Step<ConnectorOutput> = {
  id: 'connector',
  title: '§7 Connector webhook and subscriptions',
  after: ['api', 'function'],

  async plan(ctx) {
    const endpoints = ctx.answers.endpoints.length ? ctx.answers.endpoints.join(', ') : 'no devices yet';
    const elsewhere = await foreignCallback(ctx);
    const items: PlanItem[] = [
      {
        step: 'connector',
        resource: `Connector webhook at ${ctx.answers.connectorHost}`,
        action: 'update',
        detail: elsewhere ? `REPLACES the callback ${elsewhere}, which another application receives` : 'registered with a secret header',
        ...(elsewhere ? { replaces: elsewhere } : {}),
      },
      { step: 'connector', resource: `subscriptions to ${ctx.answers.resource}`, action: 'update', detail: `${endpoints} (plus pre-subscription rules)` },
    ];
    return items;
  },

  async apply(ctx) {
    const client = connectorClient(ctx);
    const api = ctx.state.outputs!.api as ApiOutput;
    const url = reachableUrl(ctx, api.url);
    const wanted = wantedCallback(ctx, url, client.legacy);
    const task = ctx.progress.task('Connector', 'checking the webhook');
    const current = await client.getCallback();
    const same = sameCallback(current, wanted);
    const elsewhere = current && !same && current.url !== url && current.headers[DEFAULT_SECRET_HEADER] !== ctx.state.webhookSecret ? current.url : null;
    if (elsewhere && !ctx.answers.replaceCallback) {
      throw new UserFacingError(
        `the Connector's callback points at ${elsewhere}, which another application receives: run setup in a terminal to be asked, or pass --replace-callback to replace it`,
        { code: 'CALLBACK_ELSEWHERE' },
      );
    }
    if (!same) {
      task.update('registering the webhook (the service checks it with a PUT)');
      // A first deployment answers 403 (or the function 5xx) for some seconds: the service's check
      // fails then, and is asked again, bounded, as the self-test retries its reading.
      await retry(() => client.registerCallback(wanted), {
        what: 'the service to accept the webhook (its check PUT must get 200)',
        delay: { baseMs: 2_000, maxMs: 15_000, random: ctx.random },
        // Bounded by attempts (about two minutes of back-off): the database's boot runs alongside.
        attempts: 12,
        sleep: ctx.sleep,
        now: ctx.now,
        shouldRetry: (error) => error instanceof ConnectorError && error.reason === 'callback-check' && 'the webhook URL does not answer the check yet: asking again',
        onWait: ({ status }) => task.update(status),
      });
    }

    const previous = (ctx.state.outputs?.connector as ConnectorOutput | undefined)?.rules ?? [];
    const devices = await Promise.all(ctx.answers.endpoints.map((given) => resolveDevice(client, given)));
    const pairs = devices.map((d) => ({ endpoint: d.id, resource: ctx.answers.resource }));
    task.update(`subscribing ${pairs.length} device(s)`);
    const { added, results } = await subscribeAll(client, pairs, {
      // Saved with the state when the step fails, so teardown removes it.
      onRulesKept: (kept) => void (ctx.state.rules = [...(ctx.state.rules ?? []), ...kept]),
    });
    const endpoints: EndpointResult[] = results.map((r, i) => {
      const device = devices[i]!;
      const named = { ...(device.name && device.name !== r.endpoint ? { name: device.name } : {}), ...(device.given !== r.endpoint ? { given: device.given } : {}) };
      return device.registered || r.state !== 'waiting-for-device' ? { ...r, ...named } : { ...r, note: `not registered with the service yet; ${r.note}` };
    });
    const rules = [...previous, ...added].filter((r, i, all) => all.findIndex((o) => o.endpoint === r.endpoint && o.resource === r.resource) === i);
    const summary = endpoints.map((e) => e.state).reduce<Record<string, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});
    task.done(`webhook ${same ? 'already registered' : 'registered'}; ${Object.entries(summary).map(([s, n]) => `${n} ${s}`).join(', ') || 'no devices'}`);
    return { host: ctx.answers.connectorHost, callbackUrl: url, replaced: elsewhere ?? null, rules, endpoints };
  },

  async remove(ctx) {
    await removeConnector(ctx);
  },
};

/**
 * Our subscriptions and rules, and the webhook if it is still ours; everyone else's stay. A
 * busy service does not stop the rest of a teardown: what it kept refusing is returned.
 */
export async function removeConnector(ctx: StepContext): Promise<{ left: string[] }> {
  const client = connectorClient(ctx);
  const saved = ctx.state.outputs?.connector as ConnectorOutput | undefined;
  // Those setup subscribed, and those added since with mbed-tsdb subscribe (which records a
  // device on the stack's resource among the answers' endpoints).
  const subscribed = [
    ...(saved?.endpoints ?? []).map(({ endpoint, resource }) => ({ endpoint, resource })),
    ...ctx.answers.endpoints.map((endpoint) => ({ endpoint, resource: ctx.answers.resource })),
    ...(ctx.state.subscribed ?? []),
  ];
  const pairs = subscribed.filter((r, i) => subscribed.findIndex((o) => o.endpoint === r.endpoint && o.resource === r.resource) === i);
  const ours = [...(saved?.rules ?? []), ...(ctx.state.rules ?? [])];
  const task = ctx.progress.task('Connector', 'removing subscriptions');
  const remover = patientRemover(ctx.sleep);
  await unsubscribeAll(client, pairs, ours, remover);
  const api = ctx.state.outputs?.api as ApiOutput | undefined;
  const url = saved?.callbackUrl ?? (api ? reachableUrl(ctx, api.url) : undefined);
  const current = await remover.patiently('the webhook', () => client.getCallback());
  const removeCallback = Boolean(current && url !== undefined && current.url === url);
  const removed = removeCallback && (await remover.patiently('the webhook', async () => (await client.deleteCallback(), true)));
  const { left } = remover;
  const webhook = removed ? ', webhook removed' : current && !removeCallback ? ', webhook left (it points elsewhere)' : '';
  const parts = [`${pairs.length} subscription(s)`, `${ours.length} pre-subscription rule(s)`, ...(removed ? ['the webhook'] : [])];
  (ctx.removed ??= []).push(`Connector: ${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`);
  if (left.length === 0) task.done(`${pairs.length} subscription(s) and ${ours.length} rule(s) of ours removed${webhook}`);
  else task.fail(`the service is busy; left for now: ${left.join('; ')}. Run mbed-tsdb teardown again later to remove them`);
  return { left };
}
