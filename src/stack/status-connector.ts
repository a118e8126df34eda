// status's look at the service: whether the key's callback is this stack's (and asks for the
// fields that store every reading once, at the right time), and each subscription — subscribed,
// pending the device's answer, failed, or waiting for the device to register.

import { maxChunkSize } from '../connector/batch.js';
import { ConnectorClient, IZUMA_SERIALIZATION, normalizedSerialization } from '../connector/client.js';
import { explainAsyncStatus } from '../connector/statuses.js';
import { DEFAULT_SECRET_HEADER } from '../../templates/lambda/config.js';
import type { StatusRow } from './status.js';
import { pendingSubscriptions, stackSubscriptions } from './steps/connector.js';
import type { StepContext } from './step.js';

export interface SubscriptionStatus {
  endpoint: string;
  name?: string;
  resource: string;
  state: 'subscribed' | 'pending' | 'failed' | 'waiting-for-device' | 'not-subscribed';
  subscribed: boolean;
  note?: string;
}

export interface ConnectorStatus {
  callbackUrl: string | null;
  ours: boolean;
  /** The callback asks for uid, timestamp and original-ep (Izuma). */
  serialization: boolean;
  subscriptions: SubscriptionStatus[];
}

export async function lookAtConnector(
  ctx: StepContext,
  ourUrl: string | undefined,
  outcomes: Map<string, { status: number; error: string | null }> | null,
): Promise<{ connector: ConnectorStatus; rows: StatusRow[] }> {
  const client = new ConnectorClient({ host: ctx.answers.connectorHost, apiKey: ctx.apiKey!, sleep: ctx.sleep, ...(ctx.net ? { fetch: ctx.net.fetch } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}) });
  const callback = await client.getCallback();
  // Without the state file the secret is unknown: the URL alone says whether it is ours.
  const secretMatches = ctx.state.webhookSecret === undefined || callback?.headers[DEFAULT_SECRET_HEADER] === ctx.state.webhookSecret;
  const ours = Boolean(callback && callback.url === ourUrl && secretMatches);
  const cfg = callback?.serialization?.cfg;
  // The fields that store every reading once and at its time, and batches the function can take.
  const chunk = normalizedSerialization(callback?.serialization)?.max_chunk_size ?? Infinity;
  const serialization = Boolean(cfg?.include_uid && cfg.include_timestamp && cfg.include_original_ep) && chunk <= maxChunkSize();
  const rows: StatusRow[] = [];
  rows.push({
    step: '§7 Connector',
    resource: 'webhook',
    state: !callback ? 'missing' : ours ? 'ours' : 'points elsewhere',
    ok: ours,
    ...(callback && !ours ? { note: `the callback is ${callback.url}` } : {}),
  });
  if (ours && !client.legacy && !serialization) {
    rows.push({
      step: '§7 Connector',
      resource: 'webhook serialization',
      state: 'drifted',
      ok: false,
      note:
        chunk > maxChunkSize()
          ? `batches of up to ${chunk} notifications can exceed what Lambda takes (6 MB), and one that does is refused on every delivery: run mbed-tsdb setup`
          : `without ${Object.keys(IZUMA_SERIALIZATION.cfg!).join(', ')}, redeliveries may be stored twice and readings stamped late: run mbed-tsdb setup`,
    });
  }
  const pairs = await stackSubscriptions(ctx, client);
  const rules = await client.preSubscriptions().catch(() => []);
  const subscriptions: SubscriptionStatus[] = [];
  for (const { endpoint, name, resource } of pairs) {
    const live = (await client.subscriptions(endpoint)).includes(resource);
    const pending = pendingSubscriptions(ctx.state).find((p) => p.endpoint === endpoint && p.resource === resource);
    const outcome = pending && outcomes?.get(pending.asyncId);
    const device = { endpoint, ...(name ? { name } : {}), resource };
    let entry: SubscriptionStatus;
    if (live) entry = { ...device, state: 'subscribed', subscribed: true };
    else if (outcome && outcome.status !== 200) entry = { ...device, state: 'failed', subscribed: false, note: `the device refused: ${explainAsyncStatus(outcome.status, outcome.error ?? undefined)}` };
    else if (pending && !outcome) entry = { ...device, state: 'pending', subscribed: false, note: outcomes ? 'waiting for the device’s answer' : 'its outcome is in the database, which is not reachable from here' };
    else {
      const ruled = rules.some((r) => r['endpoint-name'] === endpoint && (r['resource-path'] ?? []).includes(resource));
      const registered = client.legacy ? true : Boolean(await client.findDevice(endpoint).catch(() => true));
      entry =
        ruled && !registered
          ? { ...device, state: 'waiting-for-device', subscribed: false, note: 'the rule subscribes it when the device registers' }
          : { ...device, state: 'not-subscribed', subscribed: false, note: ruled ? 'the device re-registered without it: it is subscribed again when it next registers, or run mbed-tsdb subscribe' : 'run mbed-tsdb subscribe' };
    }
    subscriptions.push(entry);
    rows.push({
      step: '§7 Connector',
      resource: `${endpoint}${name ? ` (${name})` : ''} ${resource}`,
      state: entry.state.replace(/-/g, ' '),
      // Pending and waiting are where things stand, not faults.
      ok: entry.state === 'subscribed' || entry.state === 'pending' || entry.state === 'waiting-for-device',
      ...(entry.note ? { note: entry.note } : {}),
    });
  }
  return { connector: { callbackUrl: callback?.url ?? null, ours, serialization, subscriptions }, rows };
}
