// What every provisioning step is: one tutorial section that can find, create (or adopt),
// describe and delete its own resources, talking to AWS only through the client factory.

import type { AwsClients } from '../aws/clients.js';
import type { Progress } from '../ui/progress.js';
import type { StackNames } from './naming.js';
import type { StackState } from './state.js';

export type StepId = 'role' | 'network' | 'access' | 'database' | 'table' | 'function' | 'api' | 'connector' | 'selftest';

export interface StepContext {
  stack: string;
  names: StackNames;
  tags: Record<string, string>;
  aws: AwsClients;
  /** The state as saved so far; steps read earlier outputs from it. */
  state: StackState;
  progress: Progress;
  sleep: (ms: number) => Promise<void>;
  /** Milliseconds; injected so waits can run on a fake clock. */
  now: () => number;
}

/** What planning found for one resource. */
export interface PlanItem {
  step: StepId;
  resource: string;
  action: 'create' | 'update' | 'keep';
  detail?: string;
}

export interface Step<Out = unknown> {
  id: StepId;
  /** The tutorial section, for the plan and the progress lines. */
  title: string;
  /** Steps whose outputs this one needs. */
  after: StepId[];
  /** Read-only: what exists and what apply would do. Throws ConflictError for a foreign resource. */
  plan(ctx: StepContext): Promise<PlanItem[]>;
  /** Finds or creates; safe to run again at any point. Returns what later steps need. */
  apply(ctx: StepContext): Promise<Out>;
  /** Deletes what this step created, if it is still there and ours. */
  remove(ctx: StepContext): Promise<void>;
}

/** A resource with our name that belongs to somebody else: never adopted, never deleted. */
export class ConflictError extends Error {
  override name = 'ConflictError';
}
