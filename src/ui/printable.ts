// Text that came from a device or the service (a board's name, an error it sent, a logged
// payload) is shown on a terminal as text, never acted on: its control characters — C0 (ESC
// starts the sequences that retitle a window, clear the screen or recolour it), DEL, C1 (U+009B is
// a one-character CSI) — and the bidirectional overrides that reorder what is shown are written
// escaped. Our own colours and line breaks are added around such text, never inside it.

const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (char) => {
    const code = char.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
