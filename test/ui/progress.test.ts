import { describe, expect, it } from 'vitest';
import { createProgress, shouldAnimate } from '../../src/ui/progress.js';
import { formatDuration } from '../../src/util/duration.js';

function recorder() {
  let text = '';
  return { stream: { write: (s: string) => (text += s) }, text: () => text };
}

describe('progress', () => {
  it('prints plain lines with elapsed time, repeating a long wait now and then', () => {
    let clock = 0;
    const out = recorder();
    const progress = createProgress({ stream: out.stream, animate: false, now: () => clock, repeatEveryMs: 30_000 });
    const db = progress.task('database tsdb', 'creating');
    const role = progress.task('role mbed_time_series_database');
    clock = 1200;
    role.done('created');
    clock = 10_000;
    db.update('creating'); // unchanged, too soon: not repeated
    clock = 45_000;
    db.update('creating');
    clock = 200_000;
    db.update('backing-up');
    db.done('available');
    expect(out.text().split('\n')).toEqual([
      '… database tsdb: creating',
      '… role mbed_time_series_database: working',
      '✓ role mbed_time_series_database: created (1s)',
      '… database tsdb: creating (45s)',
      '… database tsdb: backing-up (3m 20s)',
      '✓ database tsdb: available (3m 20s)',
      '',
    ]);
  });

  it('redraws one status line on a terminal and leaves only the results', () => {
    let clock = 0;
    const out = recorder();
    const progress = createProgress({ stream: out.stream, animate: true, now: () => clock });
    const fn = progress.task('function', 'waiting for Active');
    clock = 5000;
    fn.fail('role cannot be assumed yet');
    progress.stop();
    const text = out.text();
    expect(text).toContain('✗ function: role cannot be assumed yet (5s)\n');
    expect(text.endsWith('\n')).toBe(true);
    expect(text.replace(/\r\u001b\[2K/g, '')).not.toContain('⠋');
  });

  it('formats elapsed time', () => {
    expect([0, 59_999, 60_000, 3_599_000, 3_600_000].map(formatDuration)).toEqual(['0s', '59s', '1m 00s', '59m 59s', '1h 00m']);
  });

  it('animates only on a terminal outside CI', () => {
    expect(shouldAnimate(true, {})).toBe(true);
    expect(shouldAnimate(true, { CI: 'true' })).toBe(false);
    expect(shouldAnimate(false, {})).toBe(false);
  });
});
