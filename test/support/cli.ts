import { PassThrough } from 'node:stream';
// Runs the CLI in-process with captured streams.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(
  argv: string[],
  options: {
    env?: Record<string, string>;
    cwd?: string;
    isTTY?: boolean;
    interrupted?: Promise<void>;
    onStdout?: (text: string) => void;
    hooks?: import('../../src/commands/context.js').CommandHooks;
    stdinIsTTY?: boolean;
  } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    streams: {
      stdout: {
        write: (text: string) => {
          stdout += text;
          options.onStdout?.(stdout);
        },
      },
      stderr: { write: (text: string) => (stderr += text), isTTY: options.isTTY ?? false },
    },
    // Never the shared AWS config of whoever runs the tests.
    env: { AWS_CONFIG_FILE: '/nonexistent/mbed-tsdb-test/config', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/mbed-tsdb-test/credentials', ...options.env },
    cwd: options.cwd ?? mkdtempSync(join(tmpdir(), 'mbed-tsdb-cwd-')),
    ...(options.interrupted ? { interrupted: options.interrupted } : {}),
    ...(options.hooks ? { hooks: options.hooks } : {}),
    ...(options.stdinIsTTY ? { stdin: Object.assign(new PassThrough(), { isTTY: true }) } : {}),
  });
  return { code, stdout, stderr };
}
