// Progress of long waits (a database takes minutes): an animated status line on a
// terminal outside CI, plain timestamped lines everywhere else. Always on stderr.

import { formatDuration } from '../util/duration.js';

export interface ProgressStream {
  write(text: string): unknown;
}

export interface ProgressOptions {
  stream: ProgressStream;
  /** Redraw one status line (a terminal, not CI); otherwise print lines. */
  animate: boolean;
  /** Milliseconds; injected so tests control time. */
  now?: () => number;
  /** Plain mode repeats a task's status at most this often. */
  repeatEveryMs?: number;
  paint?: { ok: (s: string) => string; fail: (s: string) => string; dim: (s: string) => string };
}

export interface Task {
  update(status: string): void;
  done(result?: string): void;
  fail(reason: string): void;
}

export interface Progress {
  task(label: string, status?: string): Task;
  /** A line worth keeping (something decided on the user's behalf), between the tasks' lines. */
  note(line: string): void;
  /** Stops the animation; active tasks are left as they are. */
  stop(): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function createProgress(options: ProgressOptions): Progress {
  const now = options.now ?? Date.now;
  const paint = options.paint ?? { ok: (s: string) => s, fail: (s: string) => s, dim: (s: string) => s };
  const repeatEvery = options.repeatEveryMs ?? 30_000;
  const active = new Map<number, { label: string; status: string; started: number; lastPrinted: number }>();
  let nextId = 0;
  let frame = 0;
  let timer: NodeJS.Timeout | undefined;
  let drawn = false;

  const statusLine = () =>
    [...active.values()].map((t) => `${t.label}: ${t.status} (${formatDuration(now() - t.started)})`).join(' · ');
  const clear = () => {
    if (drawn) options.stream.write('\r\u001b[2K');
    drawn = false;
  };
  const draw = () => {
    clear();
    if (active.size === 0) return;
    options.stream.write(`${FRAMES[frame++ % FRAMES.length]} ${statusLine()}`);
    drawn = true;
  };
  const print = (line: string) => {
    if (options.animate) clear();
    options.stream.write(`${line}\n`);
    if (options.animate) draw();
  };
  const ensureTimer = () => {
    if (options.animate && !timer && active.size > 0) {
      timer = setInterval(draw, 100);
      timer.unref();
    }
    if (timer && active.size === 0) {
      clearInterval(timer);
      timer = undefined;
      clear();
    }
  };

  return {
    task(label, status = 'working') {
      const id = nextId++;
      const started = now();
      active.set(id, { label, status, started, lastPrinted: started });
      if (!options.animate) print(`… ${label}: ${status}`);
      ensureTimer();
      const finish = (line: string) => {
        if (!active.has(id)) return;
        active.delete(id);
        print(line);
        ensureTimer();
      };
      return {
        update(newStatus) {
          const task = active.get(id);
          if (!task) return;
          const changed = task.status !== newStatus;
          task.status = newStatus;
          if (!options.animate && (changed || now() - task.lastPrinted >= repeatEvery)) {
            task.lastPrinted = now();
            print(`… ${label}: ${newStatus} (${formatDuration(now() - started)})`);
          }
        },
        done(result = 'done') {
          finish(`${paint.ok('✓')} ${label}: ${result} ${paint.dim(`(${formatDuration(now() - started)})`)}`);
        },
        fail(reason) {
          finish(`${paint.fail('✗')} ${label}: ${reason} ${paint.dim(`(${formatDuration(now() - started)})`)}`);
        },
      };
    },
    note(line) {
      print(`! ${line}`);
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      clear();
    },
  };
}

/** Animate only on a terminal, and never in CI (CI logs want lines). */
export function shouldAnimate(isTTY: boolean | undefined, env: Record<string, string | undefined>): boolean {
  return Boolean(isTTY) && !env.CI;
}
