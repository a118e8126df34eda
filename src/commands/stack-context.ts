// The StepContext the stack commands share: clients, names, tags, progress, time.

import { createAwsClients } from '../aws/clients.js';
import { createNet, type Net } from '../net/http.js';
import { stackNames, stackTags } from '../stack/naming.js';
import type { SetupAnswers, StepContext } from '../stack/step.js';
import type { StackState, StateNotices } from '../stack/state.js';
import { createProgress, shouldAnimate, type Progress } from '../ui/progress.js';
import { realSleep } from '../util/wait.js';
import { UsageError } from '../errors.js';
import { InterruptedError, terminalPrompter, type Prompter } from '../ui/prompts.js';
import type { CommandContext } from './context.js';

export interface StackContext extends StepContext {
  progress: Progress;
  /** Aborts waits and keeps new steps from starting (Ctrl+C). */
  abort: AbortController;
}

const nets = new WeakMap<CommandContext, Net>();

/** The command's network: every HTTP(S) request through the proxy the environment names; --verbose says which. */
export function netOf(context: CommandContext): Net {
  let net = nets.get(context);
  if (!net) {
    net = createNet(context.env, (origin, proxy) => context.out.debug(proxy ? `${origin}: through the proxy ${proxy}` : `${origin}: direct (NO_PROXY)`));
    nets.set(context, net);
  }
  return net;
}

/** AWS clients for a region, before the stack's context exists (what setup looks up while asking). */
export function awsClientsFor(context: CommandContext, region: string): StepContext['aws'] {
  return createAwsClients({ region, profile: context.settings.profile, env: context.env, agents: netOf(context).awsAgents() });
}

export function stackContext(context: CommandContext, input: { region: string; state: StackState; answers: SetupAnswers; apiKey: string | undefined }): StackContext {
  const { settings, out, hooks } = context;
  const now = hooks.now ?? Date.now;
  const abort = new AbortController();
  // Ctrl+C ends every wait at once (exit 130), wherever the command is waiting.
  const interrupt = interruptSignal(context);
  interrupt.addEventListener('abort', () => abort.abort(interrupt.reason), { once: true });
  const sleep = interruptibleSleep(hooks.sleep ?? realSleep, abort.signal);
  return {
    stack: settings.stack,
    answers: input.answers,
    apiKey: input.apiKey,
    reachable: hooks.reachable,
    names: stackNames(settings.stack),
    tags: stackTags(settings.stack),
    aws: awsClientsFor(context, input.region),
    net: netOf(context),
    state: input.state,
    progress: createProgress({
      stream: context.stderr,
      animate: !hooks.sleep && shouldAnimate(context.stderr.isTTY, context.env),
      now,
      paint: { ok: out.colors.green, fail: out.colors.red, dim: out.colors.dim },
    }),
    sleep,
    signal: abort.signal,
    now,
    ...(hooks.random ? { random: hooks.random } : {}),
    abort,
  };
}

const interruptions = new WeakMap<CommandContext, AbortSignal>();

/** Aborted on Ctrl+C, with InterruptedError as its reason (one per command). */
export function interruptSignal(context: CommandContext): AbortSignal {
  let signal = interruptions.get(context);
  if (!signal) {
    const abort = new AbortController();
    void context.interrupted.then(() => abort.abort(new InterruptedError()));
    interruptions.set(context, (signal = abort.signal));
  }
  return signal;
}

/** The command's sleep (the injected one in tests), ended at once by Ctrl+C: exit 130. */
export function commandSleep(context: CommandContext): (ms: number) => Promise<void> {
  return interruptibleSleep(context.hooks.sleep ?? realSleep, interruptSignal(context));
}

/** A sleep that ends as soon as `signal` aborts, throwing its reason (InterruptedError on Ctrl+C). */
export function interruptibleSleep(sleep: (ms: number) => Promise<void>, signal: AbortSignal): (ms: number) => Promise<void> {
  return async (ms) => {
    signal.throwIfAborted();
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([sleep(ms), aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort!);
    }
  };
}

/** State files or folders others could read are reported as warnings. */
export function stateNotices(context: CommandContext): StateNotices {
  return { warn: (message) => context.out.warn(message) };
}

/** The command's questions: scripted in tests, the terminal otherwise (on stderr). */
export function promptsFor(context: CommandContext): Prompter {
  return context.hooks.prompter ?? terminalPrompter({ input: context.terminal.input ?? process.stdin, output: context.stderr as NodeJS.WritableStream });
}

/** The Connector API key: from the environment or .env, else asked (masked) on a terminal. */
export async function connectorApiKey(context: CommandContext, prompter: Prompter): Promise<string> {
  if (context.settings.apiKey) return context.settings.apiKey;
  if (!context.terminal.interactive) throw new UsageError('missing the Connector API key: set MBED_CLOUD_SDK_API_KEY (in the environment or .env)');
  return prompter.password({ message: 'Connector API key (not saved, not shown)', validate: (v) => /^[\x21-\x7e]+$/.test(v) || 'paste the key' });
}

/** Where an existing stack's commands act: --region, else where the stack was made, else the profile's region. */
export function stackRegion(context: CommandContext, state: StackState | null): string {
  const { settings } = context;
  // The stack's own region before the profile's: a stack lives where it was made.
  const region = settings.region ?? state?.region ?? settings.profileRegion;
  if (!region) throw new UsageError(`no region known for stack ${settings.stack}: pass --region`);
  return region;
}

/** Answers for commands other than setup: the saved ones, else neutral defaults. */
export function savedAnswers(state: StackState | null, connectorHost: string): SetupAnswers {
  const saved = (state?.answers ?? {}) as Partial<SetupAnswers>;
  return {
    engine: saved.engine ?? 'mysql',
    access: saved.access ?? 'my-ip',
    cidr: saved.cidr,
    vpcId: saved.vpcId,
    subnetIds: saved.subnetIds,
    dbCaPem: saved.dbCaPem,
    dbCaSource: saved.dbCaSource,
    dbClass: saved.dbClass,
    maxStorage: saved.maxStorage,
    keepRawDays: saved.keepRawDays,
    alertEmail: saved.alertEmail,
    quietAfterMinutes: saved.quietAfterMinutes,
    connectorHost: saved.connectorHost ?? connectorHost,
    endpoints: saved.endpoints ?? [],
    resource: saved.resource ?? '/3200/0/5501',
  };
}

/** Runs work until it ends or Ctrl+C comes, whichever is first. */
export async function untilInterrupted<T>(context: CommandContext, ctx: StackContext, work: Promise<T>): Promise<{ done: true; value: T } | { done: false }> {
  const stopped = context.interrupted.then(() => ({ done: false as const }));
  const outcome = await Promise.race([work.then((value) => ({ done: true as const, value })), stopped]).finally(() => ctx.progress.stop());
  if (!outcome.done) {
    ctx.abort.abort();
    work.catch(() => undefined);
  }
  return outcome;
}
