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
  /** Width of stdout when it is a terminal. */
  columns: number;
  /** Resolves when the user presses Ctrl+C; long-running commands stop then. */
  interrupted: Promise<void>;
}
