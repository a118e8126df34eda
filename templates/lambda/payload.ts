// Pure parsing of what the service PUTs to the webhook (NotificationMessage in the Izuma
// OpenAPI spec; connector-api.md §5 and §9). No I/O here: the function, the tests and the
// CLI share it. Every check of device-supplied text runs in time linear in its length, and
// what cannot be stored is refused alone, with its reason, before a statement is sent.

import { createHash } from 'node:crypto';

export interface Reading {
  board: string;
  sensor: string;
  value: number;
  /** The service's message ID (include_uid): a redelivered reading is stored once. */
  uid?: string;
  /** Epoch ms the service received it (include_timestamp), when plausible; else the time of receipt is used. */
  at?: number;
}

/** How wide a text column really is, as read from the table. */
export interface TextColumn {
  maxChars: number;
  /** MySQL character set name, e.g. utf8mb4, utf8mb3, latin1. */
  charset: string;
  /** Which column this is (`events_rollup.board`), when it is not the events table's own: for the reason. */
  name?: string;
}

/** What the `value` column holds, as read from the table (users change the tutorial's DOUBLE). */
export interface NumberColumn {
  /** The column's type as the server shows it, e.g. `float`, `decimal(6,2)`, `int(10) unsigned`. */
  type: string;
  min: number;
  max: number;
  /** Digits the column keeps after the point (DECIMAL, and 0 for integers): the server rounds to them first. */
  scale?: number;
}

export interface ReadingColumns {
  board: TextColumn;
  sensor: TextColumn;
  /** Absent: DOUBLE, which holds every finite number. */
  value?: NumberColumn;
  /** The companion tables' columns the same board and sensor go into (the rollup, the devices): each must hold it too. */
  boardAlso?: readonly TextColumn[];
  sensorAlso?: readonly TextColumn[];
}

// MariaDB's numeric types (mariadb.com/kb/en/numeric-data-type-overview): FLOAT is single
// precision up to ±3.402823466E+38; the integers by their byte widths.
const FLOAT_MAX = 3.402823466e38;
const INTEGER_BITS: Record<string, number> = { tinyint: 8, smallint: 16, mediumint: 24, int: 32, integer: 32, bigint: 64 };

/** The range of a numeric column from information_schema (DATA_TYPE, COLUMN_TYPE, NUMERIC_PRECISION, NUMERIC_SCALE). */
export function numberColumn(dataType: string, columnType: string, precision: number | null, scale: number | null): NumberColumn {
  const type = columnType.toLowerCase();
  const unsigned = /\bunsigned\b/.test(type);
  const data = dataType.toLowerCase();
  let max = Number.MAX_VALUE;
  let roundTo: number | undefined;
  if (data === 'float') max = FLOAT_MAX;
  else if (data === 'decimal' || data === 'numeric') {
    roundTo = scale ?? 0;
    max = 10 ** ((precision ?? 10) - roundTo) - 10 ** -roundTo;
  } else if (INTEGER_BITS[data] !== undefined) {
    roundTo = 0;
    const bits = INTEGER_BITS[data]!;
    // 2^63 - 1 is not a double: the largest double below 2^63 stands for it.
    max = unsigned ? 2 ** bits - (bits === 64 ? 2048 : 1) : 2 ** (bits - 1) - (bits === 64 ? 1024 : 1);
    return { type, min: unsigned ? 0 : -(2 ** (bits - 1)), max, scale: roundTo };
  } else if (data !== 'double' && data !== 'real') {
    return { type, min: -Number.MAX_VALUE, max: Number.MAX_VALUE };
  }
  return { type, min: unsigned ? 0 : -max, max, ...(roundTo !== undefined ? { scale: roundTo } : {}) };
}

/**
 * The value as the column stores it — rounded to its digits after the point, as the server
 * would (so it need not, and warn) — or null when it does not fit.
 */
export function columnValue(value: number, column: NumberColumn | undefined): number | null {
  if (!column) return value;
  // FLOAT keeps single precision: the value as the column will give it back (and the rollup sums).
  let stored = column.type.startsWith('float') ? Math.fround(value) : value;
  if (!Number.isFinite(stored)) return null;
  if (column.scale !== undefined) {
    const factor = 10 ** column.scale;
    // Half away from zero, as the server rounds exact values; toFixed drops binary noise.
    stored = Number(((Math.sign(value) * Math.round(Math.abs(value) * factor)) / factor).toFixed(column.scale));
  }
  return stored >= column.min && stored <= column.max ? stored : null;
}

/**
 * The service's own limits: endpoint names up to 64 characters, resource paths up
 * to 128 (connector-api.md §7). The schema mbed-tsdb creates is exactly this wide.
 */
export const SERVICE_LIMITS: ReadingColumns = {
  board: { maxChars: 64, charset: 'utf8mb4' },
  sensor: { maxChars: 128, charset: 'utf8mb4' },
};

/** What the service PUT, sorted: readings to store, device facts, subscription outcomes. */
export interface Message {
  notifications: unknown[];
  /** `registrations` and `reg-updates`: a device's ID, name and type. */
  registrations: unknown[];
  /** The outcome of a request made earlier (a subscription answered 202). */
  asyncResponses: unknown[];
  /** De-registrations, expirations and keys this function has no use for. */
  ignored: number;
}

export type BodyParse =
  | { ok: true; message: Message }
  /** Not something the service sends: retrying it can never help, so it is logged and answered 2xx. */
  | { ok: false; error: string };

/**
 * Sorts a webhook body. An empty body or one with nothing to store is the service's URL check
 * (`{}`): valid, nothing to do.
 */
export function parseWebhookBody(body: string | null | undefined): BodyParse {
  const message: Message = { notifications: [], registrations: [], asyncResponses: [], ignored: 0 };
  if (body === null || body === undefined || body.trim() === '') return { ok: true, message };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { ok: false, error: 'body is not valid JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, error: 'body must be a JSON object' };
  }
  for (const [key, items] of Object.entries(parsed)) {
    if (items === null) continue;
    const list = key === 'notifications' ? 'notifications' : key === 'registrations' || key === 'reg-updates' ? 'registrations' : key === 'async-responses' ? 'asyncResponses' : null;
    if (list) {
      if (!Array.isArray(items)) return { ok: false, error: `"${key}" must be an array` };
      // A body holds each list once: taken as it is, not copied item by item.
      if (message[list].length === 0) message[list] = items;
      else for (const item of items) message[list].push(item);
    } else {
      message.ignored += Array.isArray(items) ? items.length : 1;
    }
  }
  return { ok: true, message };
}

export type ReadingParse = { ok: true; reading: Reading } | { ok: false; reason: string };

/** One notification → one row, or the reason it cannot be stored in these columns. */
export function toReading(notification: unknown, columns: ReadingColumns = SERVICE_LIMITS, now: Date = new Date()): ReadingParse {
  return readingParser(columns, now)(notification);
}

/**
 * A parser for one request. A batch repeats few endpoint names and paths many times, so
 * each distinct one is checked once. `now` judges the service's timestamps.
 */
export function readingParser(columns: ReadingColumns = SERVICE_LIMITS, now: Date = new Date()): (notification: unknown) => ReadingParse {
  const boards = new Map<unknown, string | { ok: false; reason: string }>();
  const sensors = new Map<unknown, string | { ok: false; reason: string }>();
  const received = now.getTime();
  return (notification) => {
    if (typeof notification !== 'object' || notification === null || Array.isArray(notification)) {
      return { ok: false, reason: 'notification is not a JSON object' };
    }
    const { ep, path, payload, uid, timestamp } = notification as Record<string, unknown>;
    let board = boards.get(ep);
    if (board === undefined) boards.set(ep, (board = checkText('ep', ep, 'board', columns.board, columns.boardAlso)));
    if (typeof board !== 'string') return board;
    let sensor = sensors.get(path);
    if (sensor === undefined) sensors.set(path, (sensor = checkText('path', path, 'sensor', columns.sensor, columns.sensorAlso)));
    if (typeof sensor !== 'string') return sensor;
    const value = decodeNumber(payload);
    if (typeof value !== 'number') return value;
    if (Math.abs(value) > READING_MAX) return { ok: false, reason: `value ${value} is beyond ±${READING_MAX.toPrecision(2)}: sums of such readings could leave DOUBLE` };
    const stored = columnValue(value, columns.value);
    if (stored === null) return { ok: false, reason: `value ${value} does not fit the value column (${columns.value!.type})` };
    const reading: Reading = { board, sensor, value: stored };
    const id = messageId(uid);
    if (id) reading.uid = id;
    const at = serviceTime(timestamp, received);
    if (at !== undefined) reading.at = at;
    return { ok: true, reading };
  };
}

/** A uid the column cannot hold as it is stands as this prefix and its SHA-256 (44 characters). */
export const UID_DIGEST_PREFIX = '#';

/**
 * The service's message ID, used to store a redelivered reading once. One the `uid` column
 * (64 printable ASCII characters) cannot hold as it is — longer, other characters, or starting
 * like a digest — is kept as its digest: still the same for every delivery of that message.
 */
export function messageId(uid: unknown): string | undefined {
  if (typeof uid !== 'string' || uid.length === 0) return undefined;
  if (uid.length <= UID_MAX_CHARS && /^[\x21-\x7e]+$/.test(uid) && !uid.startsWith(UID_DIGEST_PREFIX)) return uid;
  return `${UID_DIGEST_PREFIX}${createHash('sha256').update(uid, 'utf8').digest('base64url')}`;
}

export const UID_MAX_CHARS = 64;
/**
 * The largest magnitude a reading may have: Number.MAX_VALUE / 2^64 (about 9.7e288). Any sum of
 * such readings over as many rows as a table can hold (2^64) stays a finite DOUBLE, so no rollup,
 * chart or maintenance sum can leave its range (MariaDB fails an upsert that does, and answers
 * SUM() = 0 for a group that does).
 */
export const READING_MAX = Number.MAX_VALUE / 2 ** 64;
/**
 * The longest `payload` a reading may have: base64 of 64 bytes of decimal text (a double needs
 * 24). Longer ones are refused before they are decoded or read.
 */
export const MAX_PAYLOAD_CHARS = 88;
/** The service keeps undelivered events for 24 hours; an older timestamp is not believed. */
export const OLDEST_SERVICE_TIME_MS = 24 * 60 * 60_000 + 15 * 60_000;
/** Clocks differ a little; a timestamp further ahead than this is not believed. */
export const NEWEST_SERVICE_TIME_MS = 5 * 60_000;

/**
 * When the service received the reading (`timestamp`, with include_timestamp), in epoch ms:
 * its format is not specified, so epoch seconds, epoch milliseconds and ISO 8601 are read.
 * Undefined when absent, unreadable or implausible (the time of receipt is used then).
 */
export function serviceTime(raw: unknown, receivedMs: number): number | undefined {
  let ms: number | undefined;
  if (typeof raw === 'number' && Number.isFinite(raw)) ms = raw < 1e11 ? raw * 1000 : raw;
  else if (typeof raw === 'string' && /^\d{9,13}(\.\d+)?$/.test(raw.trim())) {
    const n = Number(raw.trim());
    ms = n < 1e11 ? n * 1000 : n;
  } else if (typeof raw === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(raw.trim())) {
    ms = Date.parse(raw.trim());
  }
  if (ms === undefined || !Number.isFinite(ms)) return undefined;
  if (ms > receivedMs + NEWEST_SERVICE_TIME_MS || ms < receivedMs - OLDEST_SERVICE_TIME_MS) return undefined;
  return Math.round(ms);
}

export interface DeviceFact {
  id: string;
  /** The name the device gave itself (`original-ep`). */
  name?: string;
  type?: string;
  /** Epoch ms it (re-)registered, for registrations and reg-updates. */
  registeredAt?: number;
  /** Epoch ms it was last heard of. */
  seenAt: number;
}

/** The devices table's columns: `device_id`, `endpoint_name`, `endpoint_type` (64 characters, utf8mb4, as made). */
export interface DeviceColumns {
  id: TextColumn;
  name: TextColumn;
  type: TextColumn;
}

export const DEVICE_COLUMNS: DeviceColumns = {
  id: { maxChars: 64, charset: 'utf8mb4', name: 'events_devices.device_id' },
  name: { maxChars: 64, charset: 'utf8mb4', name: 'events_devices.endpoint_name' },
  type: { maxChars: 64, charset: 'utf8mb4', name: 'events_devices.endpoint_type' },
};

/** Whether a text fits a column (a name or type that does not is simply not kept). */
export function fitsText(raw: unknown, column: TextColumn): raw is string {
  return typeof checkText('text', raw, 'text', column) === 'string';
}

/** A device's ID, name and type from a registration or reg-update; null when its ID does not fit. */
export function deviceFact(item: unknown, receivedMs: number, columns: DeviceColumns = DEVICE_COLUMNS): DeviceFact | null {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return null;
  const { ep, ept, timestamp } = item as Record<string, unknown>;
  const name = (item as Record<string, unknown>)['original-ep'];
  if (!fitsText(ep, columns.id)) return null;
  const at = serviceTime(timestamp, receivedMs) ?? receivedMs;
  return { id: ep, ...(fitsText(name, columns.name) ? { name } : {}), ...(fitsText(ept, columns.type) ? { type: ept } : {}), registeredAt: at, seenAt: at };
}

export interface AsyncOutcome {
  id: string;
  status: number;
  error?: string;
  at: number;
}

/** The outcomes' table: `id` varchar(128) ascii, `status` smallint, `error` varchar(255) utf8mb4. */
export const OUTCOME_LIMITS = { idChars: 128, statusMin: -32768, statusMax: 32767, errorChars: 255 } as const;

export type OutcomeParse = { ok: true; outcome: AsyncOutcome } | { ok: false; reason: string };

/**
 * An `async-responses` item: the outcome of a request answered 202 earlier — or why it cannot be
 * kept (its id or status does not fit the table). Its error text is kept as far as it fits.
 */
export function asyncOutcome(item: unknown, receivedMs: number): OutcomeParse {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return { ok: false, reason: 'async response is not a JSON object' };
  const { id, status, error, timestamp } = item as Record<string, unknown>;
  const code = typeof status === 'number' ? status : typeof status === 'string' && /^\d{3}$/.test(status) ? Number(status) : NaN;
  if (typeof id !== 'string' || id.length === 0) return { ok: false, reason: 'async response without an id' };
  if (id.length > OUTCOME_LIMITS.idChars || !/^[\x20-\x7e]+$/.test(id)) return { ok: false, reason: `async response id is not up to ${OUTCOME_LIMITS.idChars} printable ASCII characters` };
  if (!Number.isInteger(code) || code < OUTCOME_LIMITS.statusMin || code > OUTCOME_LIMITS.statusMax) return { ok: false, reason: `async response status ${String(status).slice(0, 40)} is not a status code` };
  const kept = typeof error === 'string' && error ? wellFormedPrefix(error, OUTCOME_LIMITS.errorChars) : '';
  return { ok: true, outcome: { id, status: code, ...(kept ? { error: kept } : {}), at: serviceTime(timestamp, receivedMs) ?? receivedMs } };
}

/** The first `chars` code points of a text, lone surrogates made U+FFFD (what the database would store). */
function wellFormedPrefix(text: string, chars: number): string {
  let out = '';
  let count = 0;
  for (const char of text) {
    if (count++ === chars) break;
    const unit = char.charCodeAt(0);
    out += char.length === 1 && unit >= 0xd800 && unit <= 0xdfff ? '\ufffd' : char;
  }
  return out;
}

function checkText(field: string, raw: unknown, column: string, limit: TextColumn, also: readonly TextColumn[] = []): string | { ok: false; reason: string } {
  if (typeof raw !== 'string' || raw === '') {
    return { ok: false, reason: `"${field}" is missing or not a non-empty string` };
  }
  if (!isWellFormed(raw)) {
    return { ok: false, reason: `"${field}" is not well-formed Unicode` };
  }
  for (const other of [limit, ...also]) {
    const verdict = fitsColumn(field, raw, column, other);
    if (verdict) return verdict;
  }
  return raw;
}

/** Why a well-formed text does not fit one column, or null when it does. */
function fitsColumn(field: string, raw: string, column: string, limit: TextColumn): { ok: false; reason: string } | null {
  const highest = highestCodePoint(limit.charset);
  // UTF-16 length ≥ characters, so a short enough string needs no counting.
  const chars = raw.length <= limit.maxChars ? raw.length : countCodePoints(raw);
  if (chars > limit.maxChars) {
    return { ok: false, reason: `"${field}" is ${chars} characters; column ${limit.name ?? column} holds ${limit.maxChars}` };
  }
  if (!fitsCharset(raw, limit.charset, highest)) {
    return { ok: false, reason: `"${field}" has characters that column ${limit.name ?? column} (${limit.charset}) cannot store` };
  }
  return null;
}

/** No lone surrogates: the database would store U+FFFD instead of what was sent (Node ≥ 20 has it; ES2024). */
function isWellFormed(text: string): boolean {
  return (text as string & { isWellFormed(): boolean }).isWellFormed();
}

// Decimal text only, white space around it allowed: the devices send sprintf("%d")-style
// ASCII (connector-api.md §6). Number() alone would accept "", "0x10" and " " as numbers.
// ASCII white space only: \s would also take the byte 0xA0, which is not text on its own.
// Unambiguous (the digits before the point are one run, the point and its digits optional), so
// a failing match backtracks in linear time — `\d+\.?\d*` split a run of digits every way.
const DECIMAL = /^[ \t\n\v\f\r]*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?[ \t\n\v\f\r]*$/;

function decodeNumber(payload: unknown): number | { ok: false; reason: string } {
  if (typeof payload !== 'string') {
    return { ok: false, reason: '"payload" is missing or not a string' };
  }
  if (payload.length > MAX_PAYLOAD_CHARS) {
    return { ok: false, reason: `"payload" is ${payload.length} characters, longer than the ${MAX_PAYLOAD_CHARS} a reading may have` };
  }
  const bytes = decodeBase64(payload);
  if (bytes === undefined) {
    return { ok: false, reason: '"payload" is not base64' };
  }
  // One char per byte: the text itself whenever it is a decimal number (ASCII).
  if (!DECIMAL.test(bytes)) {
    const text = Buffer.from(payload, 'base64').toString('utf8').trim();
    return { ok: false, reason: `payload ${JSON.stringify(text.slice(0, 40))} is not a decimal number` };
  }
  const value = Number(bytes);
  if (!Number.isFinite(value)) {
    return { ok: false, reason: `payload ${JSON.stringify(bytes.trim().slice(0, 40))} is not a finite number` };
  }
  return value;
}

const BASE64_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const SEXTET = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) SEXTET[BASE64_DIGITS.charCodeAt(i)] = i;
const PAD = 61; // '='

/**
 * Strict, padded base64 → one char per byte; undefined when not base64. atob and Buffer
 * both forgive malformed input (white space, missing padding, stray characters), and this
 * loop is twice as fast as a validating regex plus atob on the few bytes of a reading.
 */
export function decodeBase64(text: string): string | undefined {
  const length = text.length;
  if ((length & 3) !== 0) return undefined;
  let out = '';
  for (let i = 0; i < length; i += 4) {
    const a = sextet(text, i);
    const b = sextet(text, i + 1);
    if ((a | b) < 0) return undefined;
    if (i + 4 === length && text.charCodeAt(i + 3) === PAD) {
      if (text.charCodeAt(i + 2) === PAD) return out + String.fromCharCode((a << 2) | (b >> 4));
      const c = sextet(text, i + 2);
      if (c < 0) return undefined;
      return out + String.fromCharCode((a << 2) | (b >> 4), ((b & 15) << 4) | (c >> 2));
    }
    const c = sextet(text, i + 2);
    const d = sextet(text, i + 3);
    if ((c | d) < 0) return undefined;
    out += String.fromCharCode((a << 2) | (b >> 4), ((b & 15) << 4) | (c >> 2), ((c & 3) << 6) | d);
  }
  return out;
}

function sextet(text: string, index: number): number {
  const code = text.charCodeAt(index);
  return code < 128 ? SEXTET[code]! : -1;
}

function countCodePoints(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}

/** The highest code point a character set stores (latin1: see LATIN1_EXTRA). */
export function highestCodePoint(charset: string): number {
  switch (charset.toLowerCase()) {
    case 'utf8mb4':
      return 0x10ffff;
    case 'utf8':
    case 'utf8mb3':
      return 0xffff;
    case 'latin1':
      return 0xff;
    default:
      // An unusual charset: only ASCII is certain to round-trip.
      return 0x7f;
  }
}

/**
 * MySQL's latin1 is Windows-1252: bytes 0x80–0x9F hold € ‚ ƒ „ … and the rest, and keep only the
 * five code points cp1252 leaves undefined (U+0081, 8D, 8F, 90, 9D); the other C1 controls have
 * no byte there (checked against MariaDB 10.11).
 */
const LATIN1_EXTRA = new Set([
  0x20ac, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x017d, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022,
  0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x017e, 0x0178,
]);
const LATIN1_KEPT_C1 = new Set([0x81, 0x8d, 0x8f, 0x90, 0x9d]);

function fitsCharset(text: string, charset: string, highest: number): boolean {
  if (highest >= 0x10ffff) return true;
  const latin1 = charset.toLowerCase() === 'latin1';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (latin1 && code >= 0x80 && code <= 0x9f) {
      if (!LATIN1_KEPT_C1.has(code)) return false;
    } else if (code > highest && !(latin1 && LATIN1_EXTRA.has(code))) return false;
  }
  return true;
}
