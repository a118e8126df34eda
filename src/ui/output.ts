// The one I/O layer: results to stdout (so --json can be piped), everything else —
// progress, prompts, warnings, errors — to stderr.

import pc from 'picocolors';
import type { UserFacingError } from '../errors.js';

export interface Streams {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown; isTTY?: boolean };
}

export interface Output {
  /** A command's result: text, or with --json a JSON document. */
  result(value: unknown, text?: string): void;
  /** One result of a stream (log lines): text, or with --json one compact JSON object per line. */
  record(value: unknown, text: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** A command failed: the message on stderr, and with --json `{"error": {code, message, …}}` on stdout. */
  failure(error: UserFacingError): void;
  debug(message: string): void;
  /** Colours for messages on stderr. */
  readonly colors: ReturnType<typeof pc.createColors>;
  /** Colours for results on stdout: none when stdout is a file or a pipe. */
  readonly resultColors: ReturnType<typeof pc.createColors>;
}

export function createOutput(streams: Streams, options: { json: boolean; color: boolean; verbose: boolean }): Output {
  const colors = pc.createColors(options.color);
  const line = (text: string) => streams.stderr.write(`${text}\n`);
  return {
    colors,
    resultColors: pc.createColors(options.color && Boolean(streams.stdout.isTTY)),
    result(value, text) {
      if (options.json) streams.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
      else streams.stdout.write(`${text ?? String(value)}\n`);
    },
    record(value, text) {
      streams.stdout.write(`${options.json ? JSON.stringify(value) : text}\n`);
    },
    info: (message) => line(message),
    warn: (message) => line(colors.yellow(`warning: ${message}`)),
    error: (message) => line(colors.red(`mbed-tsdb: ${message}`)),
    failure(error) {
      line(colors.red(`mbed-tsdb: ${error.message}`));
      if (options.json) streams.stdout.write(`${JSON.stringify({ error: error.toJSON() }, null, 2)}\n`);
    },
    debug: (message) => {
      if (options.verbose) line(colors.dim(message));
    },
  };
}
