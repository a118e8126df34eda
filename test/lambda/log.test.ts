// The function's log lines stay bounded whatever a body holds, and keep what a person needs to
// find a reading that did not arrive: each rejected item whole when it is of a sane size.
import { describe, expect, it } from 'vitest';
import { boundedJson, ITEM_LOG_BYTES, LINE_LOG_BYTES, loggable, REJECTED_LOG_LINES, rejectedLog } from '../../templates/lambda/log.js';

describe('bounded log lines', () => {
  it('has the limits it says: 8 KB an item, 64 KB a line, 100 rejected items one by one', () => {
    expect([ITEM_LOG_BYTES, LINE_LOG_BYTES, REJECTED_LOG_LINES]).toEqual([8192, 65536, 100]);
  });

  it('keeps an item of exactly the limit whole, and cuts one a byte longer with a marker', () => {
    const fits = 'x'.repeat(ITEM_LOG_BYTES - 2);
    expect(loggable(fits)).toEqual({ item: fits });
    const over = 'x'.repeat(ITEM_LOG_BYTES - 1);
    expect(loggable(over)).toEqual({ item: `"${'x'.repeat(ITEM_LOG_BYTES - 1)}…`, truncated: ITEM_LOG_BYTES + 1 });
  });

  it('says what could not be serialized, an array or an object', () => {
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    expect(loggable(cyclic)).toEqual({ item: null, unserializable: 'array nested too deeply (or cyclic) to serialize' });
    expect(loggable(10n)).toEqual({ item: null, unserializable: 'bigint nested too deeply (or cyclic) to serialize' });
  });

  it('writes a small line as it is, a line of exactly the limit too', () => {
    const line = { level: 'info', msg: 'stored', stored: 1, ok: true, none: null };
    expect(boundedJson(line)).toBe(JSON.stringify(line));
    const exact = { level: 'info', msg: 'x', body: '' };
    exact.body = 'b'.repeat(LINE_LOG_BYTES - JSON.stringify(exact).length);
    expect(boundedJson(exact)).toBe(JSON.stringify(exact));
  });

  it('bounds each field of a line too long: strings cut with a marker, objects as loggable says, scalars kept', () => {
    const big = { ep: 'e'.repeat(10_000) };
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const line = JSON.parse(
      boundedJson({ level: 'warn', msg: 'm', count: 3, flag: false, nothing: null, body: 'b'.repeat(LINE_LOG_BYTES), short: 'kept', notification: big, loop: cyclic }),
    ) as Record<string, unknown>;
    expect(line).toEqual({
      level: 'warn',
      msg: 'm',
      count: 3,
      flag: false,
      nothing: null,
      body: `${'b'.repeat(ITEM_LOG_BYTES)}…`,
      short: 'kept',
      notification: `${JSON.stringify(big).slice(0, ITEM_LOG_BYTES)}…`,
      notificationBytes: JSON.stringify(big).length,
      loop: null,
      loopError: 'object nested too deeply (or cyclic) to serialize',
    });
    // A string of exactly the item limit is kept whole.
    const exact = JSON.parse(boundedJson({ level: 'warn', msg: 'm', a: 'a'.repeat(ITEM_LOG_BYTES), b: 'b'.repeat(LINE_LOG_BYTES) })) as Record<string, string>;
    expect(exact.a).toBe('a'.repeat(ITEM_LOG_BYTES));
  });

  it('logs each rejected item with its reason, and the marks of a cut one', () => {
    const lines: Array<Record<string, unknown>> = [];
    rejectedLog((l) => lines.push(l), [{ item: { ep: 'x'.repeat(ITEM_LOG_BYTES) }, reason: 'too long' }, { item: 1n, reason: 'odd' }], 'req-2');
    expect(lines).toEqual([
      { level: 'warn', msg: 'notification not stored', reason: 'too long', notification: expect.stringMatching(/…$/), truncatedFrom: ITEM_LOG_BYTES + 9, requestId: 'req-2' },
      { level: 'warn', msg: 'notification not stored', reason: 'odd', notification: null, unserializable: 'bigint nested too deeply (or cyclic) to serialize', requestId: 'req-2' },
    ]);
  });

  it('sums up no more than it must: exactly 100 rejected items are 100 lines and no summary', () => {
    const lines: Array<Record<string, unknown>> = [];
    rejectedLog((l) => lines.push(l), Array.from({ length: REJECTED_LOG_LINES }, (_, i) => ({ item: i, reason: 'r' })), undefined);
    expect(lines).toHaveLength(REJECTED_LOG_LINES);
    const more: Array<Record<string, unknown>> = [];
    rejectedLog((l) => more.push(l), Array.from({ length: REJECTED_LOG_LINES + 2 }, (_, i) => ({ item: i, reason: `value "${i}x" at ${i} is ${'long '.repeat(40)}` })), undefined);
    expect(more.at(-1)).toEqual({ level: 'warn', msg: 'more notifications not stored', count: 2, reasons: { [`value … at … is ${'long '.repeat(40)}`.slice(0, 120)]: 2 }, requestId: undefined });
  });
});
