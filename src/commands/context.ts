import type { Settings } from '../config/settings.js';
import type { Output } from '../ui/output.js';

/** What every command receives: resolved settings and the output layer. */
export interface CommandContext {
  settings: Settings;
  out: Output;
  version: string;
  cwd: string;
}
