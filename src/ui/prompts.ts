// Questions to the user behind one small interface: @inquirer/prompts on a terminal
// (on stderr, so stdout stays clean), a script in tests, and nothing at all with --yes.

import { EXIT, UserFacingError } from '../errors.js';

export interface Choice<T> {
  name: string;
  value: T;
}

export interface Prompter {
  input(question: { message: string; default?: string; validate?: (value: string) => true | string }): Promise<string>;
  /** Typed characters are masked. */
  password(question: { message: string; validate?: (value: string) => true | string }): Promise<string>;
  select<T>(question: { message: string; choices: Choice<T>[]; default?: T }): Promise<T>;
  confirm(question: { message: string; default?: boolean }): Promise<boolean>;
}

/** The user pressed Ctrl+C at a prompt. */
export class InterruptedError extends UserFacingError {
  override name = 'InterruptedError';
  constructor() {
    super('interrupted; nothing more was done', { code: 'INTERRUPTED', exitCode: EXIT.interrupted });
  }
}

export interface PromptStreams {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
}

/** Real prompts, loaded only when a question is actually asked. */
export function terminalPrompter(streams: PromptStreams): Prompter {
  const context = { input: streams.input, output: streams.output, clearPromptOnDone: false };
  const asked = async <T>(ask: () => Promise<T>): Promise<T> => {
    try {
      return await ask();
    } catch (error) {
      if ((error as Error)?.name === 'ExitPromptError' || (error as Error)?.name === 'AbortPromptError') throw new InterruptedError();
      throw error;
    }
  };
  return {
    input: (q) => asked(async () => (await import('@inquirer/prompts')).input({ ...q }, context)),
    password: (q) => asked(async () => (await import('@inquirer/prompts')).password({ ...q, mask: '*' }, context)),
    select: <T>(q: { message: string; choices: Choice<T>[]; default?: T }) =>
      asked(async () => (await import('@inquirer/prompts')).select<T>({ ...q }, context)),
    confirm: (q) => asked(async () => (await import('@inquirer/prompts')).confirm({ ...q }, context)),
  };
}

/** Answers given in order, for tests; records every question asked, and the choices offered. */
export function scriptedPrompter(answers: unknown[]): Prompter & { asked: string[]; choices: Record<string, string[]> } {
  const queue = [...answers];
  const asked: string[] = [];
  const choices: Record<string, string[]> = {};
  const next = <T>(message: string, validate?: (value: string) => true | string): T => {
    asked.push(message);
    if (queue.length === 0) throw new Error(`no scripted answer for: ${message}`);
    const answer = queue.shift();
    if (answer instanceof InterruptedError) throw answer;
    if (validate && typeof answer === 'string') {
      const verdict = validate(answer);
      if (verdict !== true) throw new Error(`scripted answer ${JSON.stringify(answer)} to "${message}" is invalid: ${verdict}`);
    }
    return answer as T;
  };
  return {
    asked,
    choices,
    input: async (q) => next<string>(q.message, q.validate),
    password: async (q) => next<string>(q.message, q.validate),
    select: async <T>(q: { message: string; choices: Choice<T>[] }) => {
      choices[q.message] = q.choices.map((c) => c.name);
      return next<T>(q.message);
    },
    confirm: async (q) => next<boolean>(q.message),
  };
}
