// Device and service text on a terminal: shown, never acted on (issue #25.8: a device whose
// name held ESC sequences retitled the window, cleared the screen and recoloured `chart`).
import { describe, expect, it } from 'vitest';
import { printable } from '../../src/ui/printable.js';

describe('printable', () => {
  it.each([
    ['\u001b]0;pwned\u0007', '\\x1b]0;pwned\\x07'],
    ['\u001b[2J\u001b[31mred', '\\x1b[2J\\x1b[31mred'],
    ['one\ntwo\rthree\ttab', 'one\\x0atwo\\x0dthree\\x09tab'],
    ['\u009b2J C1 CSI, \u007f DEL', '\\x9b2J C1 CSI, \\x7f DEL'],
    ['abc\u202edcba', 'abc\\u202edcba'],
  ])('escapes %j', (raw, shown) => {
    expect(printable(raw)).toBe(shown);
  });

  it('leaves text alone: letters of every script, emoji, symbols', () => {
    for (const text of ['kitchen-button', 'Küche 温度 😀 €', '/3200/0/5501', 'a\u00a0b']) expect(printable(text)).toBe(text);
  });
});
