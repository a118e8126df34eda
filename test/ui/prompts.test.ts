import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { answer, type Question } from '../../src/ui/ask.js';
import { InterruptedError, scriptedPrompter, terminalPrompter } from '../../src/ui/prompts.js';
import { UsageError } from '../../src/errors.js';

function terminal() {
  const input = new PassThrough();
  const output = new PassThrough();
  let screen = '';
  output.on('data', (chunk: Buffer) => (screen += chunk.toString()));
  // Behave enough like a TTY for readline.
  Object.assign(input, { isTTY: true, setRawMode: () => input });
  return { prompter: terminalPrompter({ input, output }), input, screen: () => screen };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('terminal prompts, driven through streams', () => {
  it('takes typed text, and the default on Enter', async () => {
    const t = terminal();
    const name = t.prompter.input({ message: 'Endpoint name', default: 'dev-1' });
    await tick();
    t.input.write('board-7\r');
    expect(await name).toBe('board-7');
    const host = t.prompter.input({ message: 'Connector host', default: 'https://api.us-east-1.mbedcloud.com' });
    await tick();
    t.input.write('\r');
    expect(await host).toBe('https://api.us-east-1.mbedcloud.com');
  });

  it('masks a password on screen', async () => {
    const t = terminal();
    const key = t.prompter.password({ message: 'Connector API key' });
    await tick();
    t.input.write('ak_secret_value\r');
    expect(await key).toBe('ak_secret_value');
    expect(t.screen()).not.toContain('ak_secret_value');
  });

  it('selects with the arrow keys and confirms', async () => {
    const t = terminal();
    const engine = t.prompter.select({ message: 'Engine', choices: [{ name: 'MySQL', value: 'mysql' }, { name: 'Aurora MySQL', value: 'aurora-mysql' }] });
    await tick();
    t.input.write('\u001b[B');
    await tick();
    t.input.write('\r');
    expect(await engine).toBe('aurora-mysql');
    const sure = t.prompter.confirm({ message: 'Create these?', default: true });
    await tick();
    t.input.write('n\r');
    expect(await sure).toBe(false);
  });

  it('turns Ctrl+C at a prompt into a clean interruption (exit 130)', async () => {
    const t = terminal();
    const pending = t.prompter.input({ message: 'Region' });
    await tick();
    t.input.write('\u0003');
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InterruptedError);
    expect((error as InterruptedError).exitCode).toBe(130);
  });
});

describe('answer: flags, saved answers, questions, defaults', () => {
  const questions = (given: { region?: string; engine?: string; endpoint?: string }, saved: { region?: string } = {}) => ({
    region: { flag: '--region', given: given.region, saved: saved.region, ask: (p, d) => p.input({ message: 'AWS region', default: d }) } as Question<string>,
    engine: { flag: '--engine', given: given.engine, default: 'mysql', ask: (p) => p.select({ message: 'Engine', choices: [{ name: 'MySQL', value: 'mysql' }] }) } as Question<string>,
    endpoint: { flag: '--endpoint', given: given.endpoint, ask: (p) => p.input({ message: 'Endpoint' }) } as Question<string>,
  });

  it('asks only what no flag or saved answer gives', async () => {
    const prompter = scriptedPrompter(['aurora-mysql', 'dev-9']);
    const result = await answer(questions({}, { region: 'eu-west-1' }), { interactive: true, prompter });
    expect(result).toEqual({ region: 'eu-west-1', engine: 'aurora-mysql', endpoint: 'dev-9' });
    expect(prompter.asked).toEqual(['Engine', 'Endpoint']);
  });

  it('never asks without a terminal: defaults, else one error naming every missing flag', async () => {
    const prompter = scriptedPrompter([]);
    await expect(answer(questions({}), { interactive: false, prompter })).rejects.toThrow(UsageError);
    await expect(answer(questions({}), { interactive: false, prompter })).rejects.toThrow('missing --region, --endpoint');
    expect(await answer(questions({ region: 'us-west-2', endpoint: 'dev-1' }), { interactive: false, prompter })).toEqual({
      region: 'us-west-2',
      engine: 'mysql',
      endpoint: 'dev-1',
    });
    expect(prompter.asked).toEqual([]);
  });
});
