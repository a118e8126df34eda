// Stand-in for iconv-lite inside the webhook bundle. mysql2 decodes utf8, latin1 and
// ascii with Buffer itself and asks iconv-lite for other charsets. On a utf8mb4 connection
// the only other one it meets is cesu8, its name for MySQL's utf8mb3 (information_schema's
// columns, for one). utf8mb3 holds only the Basic Multilingual Plane, where CESU-8 and
// UTF-8 are the same bytes, so UTF-8 serves. Anything else fails loudly: the real package
// is 400 KB of code pages the function never needs.
'use strict';
const { StringDecoder } = require('node:string_decoder');

const UTF8_ALIKE = new Set(['cesu8', 'cesu-8', 'utf8mb3']);

function check(encoding) {
  if (!UTF8_ALIKE.has(String(encoding).toLowerCase())) {
    throw new Error(`charset ${encoding} is not supported by the mbed-tsdb webhook bundle (use utf8mb4)`);
  }
}

module.exports = {
  encodingExists: (encoding) => UTF8_ALIKE.has(String(encoding).toLowerCase()),
  getDecoder(encoding) {
    check(encoding);
    const decoder = new StringDecoder('utf8');
    return { write: (buffer) => decoder.write(buffer), end: () => decoder.end() };
  },
  getEncoder(encoding) {
    check(encoding);
    return { write: (text) => Buffer.from(text, 'utf8'), end: () => undefined };
  },
  decode(buffer, encoding) {
    check(encoding);
    return buffer.toString('utf8');
  },
  encode(text, encoding) {
    check(encoding);
    return Buffer.from(text, 'utf8');
  },
};
