// The one I/O layer: results to stdout (so --json can be piped), everything else —
// progress, prompts, warnings, errors — to stderr.

import pc from 'picocolors';

export interface Streams {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
}

export interface Output {
  /** A command's result: text, or with --json a JSON document. */
  result(value: unknown, text?: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug(message: string): void;
  readonly colors: ReturnType<typeof pc.createColors>;
}

export function createOutput(streams: Streams, options: { json: boolean; color: boolean; verbose: boolean }): Output {
  const colors = pc.createColors(options.color);
  const line = (text: string) => streams.stderr.write(`${text}\n`);
  return {
    colors,
    result(value, text) {
      if (options.json) streams.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
      else streams.stdout.write(`${text ?? String(value)}\n`);
    },
    info: (message) => line(message),
    warn: (message) => line(colors.yellow(`warning: ${message}`)),
    error: (message) => line(colors.red(`mbed-tsdb: ${message}`)),
    debug: (message) => {
      if (options.verbose) line(colors.dim(message));
    },
  };
}
