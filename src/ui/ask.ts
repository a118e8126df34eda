// Validate → Ask → Execute: each value comes from its flag, else the saved answer, else a
// question — or, without a terminal or with --yes, the default, else one error naming
// every missing flag.

import { UsageError } from '../errors.js';
import type { Prompter } from './prompts.js';

export interface Question<T> {
  /** The flag that answers it, e.g. --connector-host. */
  flag: string;
  /** Given on the command line (or the environment). */
  given?: T | undefined;
  /** Answered in an earlier run and saved with the stack. */
  saved?: T | undefined;
  /** Used without asking in non-interactive runs; offered as the default when asking. */
  default?: T | undefined;
  /** `sofar`: the answers to the questions before this one. */
  ask: (prompter: Prompter, fallback: T | undefined, sofar: Record<string, unknown>) => Promise<T>;
}

export interface AskMode {
  interactive: boolean;
  prompter: Prompter;
}

export async function answer<T extends Record<string, unknown>>(
  questions: { [K in keyof T]: Question<T[K]> },
  mode: AskMode,
): Promise<T> {
  const missing: string[] = [];
  const result: Record<string, unknown> = {};
  for (const [key, q] of Object.entries(questions) as Array<[string, Question<unknown>]>) {
    const known = q.given ?? q.saved;
    if (known !== undefined) result[key] = known;
    else if (mode.interactive) result[key] = await q.ask(mode.prompter, q.default, result);
    else if (q.default !== undefined) result[key] = q.default;
    else missing.push(q.flag);
  }
  if (missing.length > 0) {
    throw new UsageError(`missing ${missing.join(', ')}: give ${missing.length > 1 ? 'them' : 'it'} on the command line (nothing is asked without a terminal or with --yes)`);
  }
  return result as T;
}
