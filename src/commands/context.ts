import type { Settings } from '../config/settings.js';
import type { Output } from '../ui/output.js';

/** What every command receives: resolved settings, its own options and arguments, and the output layer. */
export interface CommandContext {
  settings: Settings;
  /** The command's own options (global ones are in settings). */
  options: Record<string, unknown>;
  /** Positional arguments, in order. */
  args: string[];
  out: Output;
  version: string;
  cwd: string;
  env: Record<string, string | undefined>;
  /** Raw stderr, for progress lines that redraw themselves. */
  stderr: { write(text: string): unknown; isTTY?: boolean };
  /** Width of stdout when it is a terminal. */
  columns: number;
  /** Resolves when the user presses Ctrl+C; long-running commands stop then. */
  interrupted: Promise<void>;
  /** stdin and whether both ends are a terminal: prompts only then. */
  terminal: { input: NodeJS.ReadableStream | undefined; interactive: boolean };
  /** Injected by tests and emulators: time, waiting, where the webhook is reached. */
  hooks: CommandHooks;
}

export interface CommandHooks {
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
  reachable?: (url: string) => string;
  prompter?: import('../ui/prompts.js').Prompter;
}
