// Deleting a stack, in the order its pieces depend on each other, each deletion waited for
// where a later one needs it gone; then a check by tag that nothing is left.

import { inventory, type InventoryItem } from './inventory.js';
import type { StackState } from './state.js';
import type { StepContext } from './step.js';
import { accessStep } from './steps/access.js';
import { apiStep } from './steps/api.js';
import { removeConnector } from './steps/connector.js';
import { databaseStep } from './steps/database.js';
import { functionStep } from './steps/function.js';
import { roleStep } from './steps/role.js';
import { alertsStep } from './steps/alerts.js';
import { scheduleStep } from './steps/schedule.js';

export interface TeardownResult {
  /** What of the stack AWS still lists by tag. */
  remaining: InventoryItem[];
  /** Connector subscriptions, rules or the webhook the busy service kept for now. */
  connectorLeft: string[];
  /** What was deleted, in the order it went. */
  removed: string[];
}

/**
 * What a stack's state keeps once AWS is empty but the Connector still has some of it: enough
 * to find and remove those (subscriptions, our rules, our webhook), and no database password.
 */
export function connectorRecord(state: StackState): StackState {
  const { version, stack, region, answers, webhookSecret, subscribed, rules, pending } = state;
  const connector = state.outputs?.connector;
  return { version, stack, region, answers, webhookSecret, subscribed, rules, pending, outputs: connector ? { connector } : {} };
}

export async function teardownStack(ctx: StepContext, options: { connector: boolean }): Promise<TeardownResult> {
  ctx.removed = [];
  const { left: connectorLeft } = options.connector ? await removeConnector(ctx) : { left: [] };
  await apiStep.remove(ctx);
  // The alarms would go off as everything else goes: they go first, with their topic.
  await alertsStep.remove(ctx);
  // Nothing invokes the function once its schedule is gone.
  await scheduleStep.remove(ctx);
  await functionStep.remove(ctx);
  // The database and the security groups go together: a group is free once the database and
  // the function's network interfaces have let go of it.
  const settled = await Promise.allSettled([databaseStep.remove(ctx), accessStep.remove(ctx)]);
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  // Lambda needs the role to remove the network interfaces: it goes last.
  await roleStep.remove(ctx);
  return { remaining: await inventory(ctx), connectorLeft, removed: ctx.removed };
}
