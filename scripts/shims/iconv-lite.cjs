// Stand-in for iconv-lite inside the webhook bundle. mysql2 decodes utf8, latin1 and
// ascii with Buffer itself and only asks iconv-lite for other charsets, which a utf8mb4
// connection never meets. Failing loudly beats shipping 400 KB of code pages.
'use strict';
function unsupported(encoding) {
  throw new Error(`charset ${encoding} is not supported by the mbed-tsdb webhook bundle (use utf8mb4)`);
}
module.exports = {
  getDecoder: unsupported,
  getEncoder: unsupported,
  encodingExists: () => false,
  decode: (_buffer, encoding) => unsupported(encoding),
  encode: (_text, encoding) => unsupported(encoding),
};
