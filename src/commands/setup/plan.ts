// Plan: read-only; what exists and what apply would do, shown before anything changes.

import { planStack } from '../../stack/engine.js';
import type { PlanItem, StepContext } from '../../stack/step.js';
import { SETUP_STEPS } from '../../stack/steps/index.js';

export async function planSetup(ctx: StepContext): Promise<PlanItem[]> {
  return planStack(SETUP_STEPS, ctx);
}

/** One line per resource: + create, ~ update, = keep. */
export function describePlan(items: PlanItem[]): string {
  const mark = { create: '+', update: '~', keep: '=' } as const;
  return items.map((i) => `  ${mark[i.action]} ${i.resource}${i.detail ? `: ${i.detail}` : ''}`).join('\n');
}
