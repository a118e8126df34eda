// Plan, then apply: every step's plan is read-only; apply runs the steps as a graph, each
// as soon as the steps it needs are done, saving the state after every one, so a run that
// stops anywhere is finished by the next.

import { UserFacingError } from '../errors.js';
import { asUserFacing } from '../failure.js';
import { ConflictError, type PlanItem, type Step, type StepContext, type StepId } from './step.js';
import type { StackState } from './state.js';

export async function planStack(steps: readonly Step[], ctx: StepContext): Promise<PlanItem[]> {
  const results = await Promise.allSettled(steps.map((step) => step.plan(ctx)));
  const conflicts = results.flatMap((r) => (r.status === 'rejected' && r.reason instanceof ConflictError ? [r.reason.message] : []));
  if (conflicts.length > 0) throw new UserFacingError(conflicts.join('\n'), { code: 'CONFLICT' });
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return results.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
}

export interface ApplyResult {
  outputs: Partial<Record<StepId, unknown>>;
}

/** One or more steps failed; each failure keeps its own code and cause. */
export class StepFailedError extends UserFacingError {
  override name = 'StepFailedError';
  readonly failures: Array<{ step: StepId; error: UserFacingError }>;
  constructor(failures: Array<{ step: StepId; error: unknown }>) {
    const explained = failures.map((f) => ({ step: f.step, error: asUserFacing(f.error) }));
    super(
      `${explained.map((f) => `${f.step}: ${f.error.message}`).join('\n')}\n` + 'What was made is recorded: run the same command again to continue from here.',
      { code: 'STEP_FAILED', cause: explained[0]?.error },
    );
    this.failures = explained;
  }

  override toJSON(): Record<string, unknown> {
    const { cause: _cause, ...rest } = super.toJSON();
    return { ...rest, steps: this.failures.map((f) => ({ step: f.step, ...f.error.toJSON() })) };
  }
}

export async function applyStack(steps: readonly Step[], ctx: StepContext, save: (state: StackState) => void): Promise<ApplyResult> {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const running = new Map<StepId, Promise<unknown>>();
  const failures: Array<{ step: StepId; error: unknown }> = [];
  ctx.state.outputs ??= {};

  const run = (step: Step): Promise<unknown> => {
    let promise = running.get(step.id);
    if (!promise) {
      promise = (async () => {
        for (const id of step.after) {
          const dependency = byId.get(id);
          // A run of some steps (mbed-tsdb alerts) stands on what an earlier setup recorded.
          if (!dependency && ctx.state.outputs?.[id] !== undefined) continue;
          if (!dependency) throw new Error(`step ${step.id} needs ${id}, which is not in this run`);
          await run(dependency);
        }
        ctx.signal?.throwIfAborted();
        const output = await step.apply(ctx);
        ctx.state.outputs![step.id] = output;
        save(ctx.state);
        return output;
      })();
      promise.catch((error: unknown) => {
        // A step that could not start because another failed is not a failure of its own.
        if (!(error instanceof DependencyFailed)) failures.push({ step: step.id, error });
      });
      running.set(step.id, promise.catch((error: unknown) => {
        throw error instanceof DependencyFailed ? error : new DependencyFailed(step.id);
      }));
    }
    return running.get(step.id)!;
  };

  await Promise.allSettled(steps.map(run));
  if (failures.length > 0) throw new StepFailedError(failures);
  return { outputs: ctx.state.outputs as Partial<Record<StepId, unknown>> };
}

class DependencyFailed extends Error {
  constructor(readonly step: StepId) {
    super(`${step} did not finish`);
  }
}
