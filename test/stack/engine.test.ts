import { describe, expect, it } from 'vitest';
import { applyStack, planStack, StepFailedError } from '../../src/stack/engine.js';
import { ConflictError, type Step, type StepContext, type StepId } from '../../src/stack/step.js';
import type { StackState } from '../../src/stack/state.js';

function context(): StepContext {
  return { state: { version: 1, stack: 'demo' } } as unknown as StepContext;
}

/** A step that records when it starts and ends, and waits for its `gate` before finishing. */
function step(id: StepId, after: StepId[], log: string[], options: { fail?: boolean; gate?: Promise<void> } = {}): Step {
  return {
    id,
    title: id,
    after,
    plan: async () => [{ step: id, resource: id, action: 'create' }],
    apply: async () => {
      log.push(`start ${id}`);
      await options.gate;
      await new Promise((resolve) => setTimeout(resolve, 1));
      if (options.fail) throw new Error(`${id} broke`);
      log.push(`end ${id}`);
      return { made: id };
    },
    remove: async () => undefined,
  };
}

describe('applyStack', () => {
  it('runs independent steps at once and each as soon as what it needs is done', async () => {
    const log: string[] = [];
    let openDatabase!: () => void;
    const database = new Promise<void>((resolve) => (openDatabase = resolve));
    const steps = [
      step('role', [], log),
      step('network', [], log),
      step('access', ['network'], log),
      step('database', ['access'], log, { gate: database }),
      step('function', ['role', 'access'], log),
      step('table', ['database'], log),
    ];
    const ctx = context();
    const saves: string[] = [];
    const done = applyStack(steps, ctx, (state: StackState) => saves.push(Object.keys(state.outputs ?? {}).join(',')));
    await new Promise((resolve) => setTimeout(resolve, 30));
    // The function is made while the database is still being created.
    expect(log).toContain('end function');
    expect(log).not.toContain('end database');
    expect(log).not.toContain('start table');
    openDatabase();
    const result = await done;
    expect(log.indexOf('start table')).toBeGreaterThan(log.indexOf('end database'));
    expect(Object.keys(result.outputs).sort()).toEqual(['access', 'database', 'function', 'network', 'role', 'table']);
    // Saved after every step, each time with one more output.
    expect(saves.map((s) => s.split(',').length)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('finishes what it can when a step fails, skips what needs it, keeps the outputs, and says how to continue', async () => {
    const log: string[] = [];
    const ctx = context();
    const steps = [step('role', [], log), step('network', [], log, { fail: true }), step('access', ['network'], log), step('function', ['role', 'access'], log)];
    const error = await applyStack(steps, ctx, () => undefined).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StepFailedError);
    expect((error as StepFailedError).failures.map((f) => f.step)).toEqual(['network']);
    expect((error as Error).message).toContain('network: unexpected error: network broke');
    expect((error as StepFailedError).code).toBe('STEP_FAILED');
    // An error nobody anticipated is a bug, kept as the cause.
    expect((error as StepFailedError).failures[0]!.error.code).toBe('INTERNAL');
    expect(((error as StepFailedError).failures[0]!.error.cause as Error).message).toBe('network broke');
    expect((error as Error).message).toContain('run the same command again');
    expect(log).not.toContain('start access');
    expect(log).not.toContain('start function');
    expect(ctx.state.outputs).toEqual({ role: { made: 'role' } });
  });

  it('keeps each failure’s own code and cause, and lists them for --json', async () => {
    const { IAMServiceException } = await import('@aws-sdk/client-iam');
    const denied = new IAMServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: {}, message: 'not authorized to perform iam:CreateRole' });
    const failing = (id: StepId, error: unknown): Step => ({ ...step(id, [], []), apply: async () => Promise.reject(error) });
    const error = (await applyStack([failing('role', denied), failing('network', new ConflictError('the VPC is not ours'))], context(), () => undefined).catch((e: unknown) => e)) as StepFailedError;
    expect(error.failures.map((f) => [f.step, f.error.code])).toEqual([
      ['role', 'AWS_ACCESS_DENIED'],
      ['network', 'CONFLICT'],
    ]);
    expect(error.failures[0]!.error.cause).toBe(denied);
    const json = error.toJSON();
    expect(json).toMatchObject({ code: 'STEP_FAILED', exitCode: 1, steps: [{ step: 'role', code: 'AWS_ACCESS_DENIED' }, { step: 'network', code: 'CONFLICT' }] });
    expect(JSON.stringify(json)).toContain('AccessDenied: not authorized to perform iam:CreateRole');
  });
});

describe('planStack', () => {
  it('lists every step’s plan, and refuses with every conflict named', async () => {
    const log: string[] = [];
    expect(await planStack([step('role', [], log), step('network', [], log)], context())).toEqual([
      { step: 'role', resource: 'role', action: 'create' },
      { step: 'network', resource: 'network', action: 'create' },
    ]);
    const conflicting = (id: StepId): Step => ({ ...step(id, [], log), plan: async () => { throw new ConflictError(`${id} is someone else's`); } });
    const refused = await planStack([conflicting('role'), conflicting('api')], context()).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'CONFLICT', message: "role is someone else's\napi is someone else's" });
    expect(log).toEqual([]);
  });
});
