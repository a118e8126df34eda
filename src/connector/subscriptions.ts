// Subscribing devices the way setup, `subscribe` and teardown all do it: the device named by
// its ID (a name is looked up in the device directory), a pre-subscription rule so the
// subscription survives re-registration, then the subscription itself — and only the rules
// this tool added are ever removed again.

import { UsageError } from '../errors.js';
import { realSleep, retry } from '../util/wait.js';
import { ConnectorClient, ConnectorError } from './client.js';
import { changeRules, withRule, type OurRule } from './presubscriptions.js';

export interface DeviceRef {
  /** What the user gave: a device ID or the name the device gave itself. */
  given: string;
  /** The device ID the service knows it by (the given text when it is not registered). */
  id: string;
  name?: string;
  registered: boolean;
}

/** Device paths take exact IDs; wildcards belong in pre-subscription rules only. */
export function checkDevicePath(name: string): string {
  if (name.includes('*')) throw new UsageError(`${JSON.stringify(name)}: wildcards belong in pre-subscription rules, not in a device ID`);
  return name;
}

/** The device a name or ID stands for, from the device directory (the legacy Connector has none). */
export async function resolveDevice(client: ConnectorClient, given: string): Promise<DeviceRef> {
  checkDevicePath(given);
  if (client.legacy) return { given, id: given, registered: true };
  const found = await client.findDevice(given);
  return found ? { given, id: found.id, name: found.name, registered: true } : { given, id: given, registered: false };
}

export interface SubscriptionResult extends OurRule {
  state: 'subscribed' | 'pending' | 'waiting-for-device';
  /** For pending: the id its outcome will arrive under, as an async response. */
  asyncId?: string;
  note?: string;
}

/**
 * Writes the rules (only those missing), then subscribes each pair. A device that is not
 * registered or not connected keeps its rule, which subscribes it when it registers. Any other
 * refusal takes back the rules this call added, so none is left without its reason; when the
 * service will not let them be taken back either, `onRulesKept` is told, to put them on record.
 */
export async function subscribeAll(
  client: ConnectorClient,
  pairs: OurRule[],
  options: { onRulesKept?: (rules: OurRule[]) => void } = {},
): Promise<{ added: OurRule[]; results: SubscriptionResult[] }> {
  const before = await client.preSubscriptions();
  const added = pairs.filter((pair, i) => withRule(before, pair) !== null && pairs.findIndex((o) => o.endpoint === pair.endpoint && o.resource === pair.resource) === i);
  const rules = changeRules(before, added, 'add');
  if (rules) await client.setPreSubscriptions(rules);
  const results: SubscriptionResult[] = [];
  try {
    for (const pair of pairs) {
      if ((await client.subscriptions(pair.endpoint)).includes(pair.resource)) {
        results.push({ ...pair, state: 'subscribed' });
        continue;
      }
      try {
        const result = await client.subscribe(pair.endpoint, pair.resource);
        results.push(
          result.state === 'subscribed'
            ? { ...pair, state: 'subscribed' }
            : { ...pair, state: 'pending', asyncId: result.asyncId, note: 'accepted; the device’s answer comes later (see mbed-tsdb status)' },
        );
      } catch (error) {
        if (error instanceof ConnectorError && [404, 502, 503, 504].includes(error.status)) {
          results.push({ ...pair, state: 'waiting-for-device', note: 'the pre-subscription rule subscribes it when it registers' });
          continue;
        }
        throw error;
      }
    }
  } catch (error) {
    if (added.length > 0) {
      const takenBack = await (async () => {
        const kept = changeRules(await client.preSubscriptions(), added, 'remove');
        if (kept) await client.setPreSubscriptions(kept);
      })().then(
        () => true,
        () => false,
      );
      if (!takenBack) options.onRulesKept?.(added);
    }
    throw error;
  }
  return { added, results };
}

/** Answers that mean "not now" (a busy device queue, a gateway): retried a while, then left with a warning. */
const PASSING = new Set([429, 502, 503, 504]);

/**
 * For removals that may be left for another time: each action is retried through a short spell
 * of "not now"; a longer one is noted in `left` (and the action answers undefined) instead of
 * stopping everything else.
 */
export function patientRemover(sleep: (ms: number) => Promise<void> = realSleep) {
  const left: string[] = [];
  const patiently = <T>(what: string, action: () => Promise<T>): Promise<T | undefined> =>
    retry(action, {
      what,
      delay: { baseMs: 1000, maxMs: 8000 },
      attempts: 4,
      sleep,
      shouldRetry: (error) => error instanceof ConnectorError && PASSING.has(error.status),
    }).catch((error: unknown) => {
      if (error instanceof ConnectorError && PASSING.has(error.status)) {
        left.push(`${what} (${error.message})`);
        return undefined;
      }
      throw error;
    });
  return { left, patiently };
}

/**
 * Removes the subscriptions of the pairs and the rules this tool added (never an identical
 * rule somebody else had). What could not be removed for now is noted in the remover's `left`.
 */
export async function unsubscribeAll(client: ConnectorClient, pairs: OurRule[], ours: OurRule[], remover: ReturnType<typeof patientRemover>): Promise<void> {
  const { patiently } = remover;
  for (const pair of pairs) await patiently(`the subscription of ${pair.endpoint} to ${pair.resource}`, () => client.unsubscribe(pair.endpoint, pair.resource));
  if (ours.length === 0) return;
  const rules = await patiently('the pre-subscription rules', () => client.preSubscriptions());
  const kept = rules && changeRules(rules, ours, 'remove');
  if (kept) await patiently('the pre-subscription rules', () => client.setPreSubscriptions(kept));
}
