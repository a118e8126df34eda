// What one request writes, as statements: the new readings (chunked to fit a packet), the
// rollup rows they add to, the device facts and the subscription outcomes, and how they are
// sent: in one transaction, as few queries as fit a packet. Pure: the store runs them.

import type { AsyncOutcome, DeviceFact, Reading } from './payload.js';
import { rollupRows, rollupUpsertSql } from './rollup.js';
import { companionTables, quoteTable } from './schema-names.js';
import { sqlTime } from './sql-time.js';

export interface Batch {
  readings: readonly Reading[];
  devices: readonly DeviceFact[];
  outcomes: readonly AsyncOutcome[];
}

/** The parts of the tables' shape that decide the statements. */
export interface WriteShape {
  uid: boolean;
  devices: boolean;
  asyncResponses: boolean;
  /** Add to the chart rollup (it exists, and the function is told to keep it). */
  rollup: boolean;
}

export interface Statement {
  sql: string;
  rows: unknown[][];
  /** Its affected rows are readings stored. */
  counts?: boolean;
}

/**
 * A statement must fit the server's max_allowed_packet: 16 MB on MariaDB and 64 MB on
 * RDS MySQL by default. 4 MB of estimated worst case leaves room for escaping.
 */
export const MAX_STATEMENT_BYTES = 4 * 1024 * 1024;
const ROW_OVERHEAD_BYTES = 48;
/** uids looked up per query: an IN list the server resolves on the unique index. */
export const UID_LOOKUP_CHUNK = 1000;

/**
 * Where each INSERT statement ends: at most maxRows rows and about maxBytes of SQL each.
 * Bytes are estimated on the safe side (3 UTF-8 bytes per UTF-16 unit, every character escaped).
 */
export function chunkEnds(readings: readonly Reading[], maxRows: number, maxBytes: number): number[] {
  const ends: number[] = [];
  let rows = 0;
  let bytes = 0;
  for (let i = 0; i < readings.length; i++) {
    const r = readings[i]!;
    const size = ROW_OVERHEAD_BYTES + 6 * (r.board.length + r.sensor.length) + 2 * (r.uid?.length ?? 0);
    if (rows > 0 && (rows === maxRows || bytes + size > maxBytes)) {
      ends.push(i);
      rows = 0;
      bytes = 0;
    }
    rows++;
    bytes += size;
  }
  if (rows > 0) ends.push(readings.length);
  return ends;
}

/** The uids to look up: each once. */
export function batchUids(readings: readonly Reading[]): string[] {
  const uids = new Set<string>();
  for (const r of readings) if (r.uid !== undefined) uids.add(r.uid);
  return [...uids];
}

/** One query that finds which of a batch's readings are stored already. */
export interface Lookup {
  sql: string;
  values: unknown[];
}

/**
 * The queries that find a batch's redeliveries, at most UID_LOOKUP_CHUNK keys each: by uid on the
 * unique index on uid, or with `byTime` by (time, uid) — the time each is stored at, which the
 * service's timestamp makes the same at every delivery. There, the uids of one time go in one
 * `ts = ? AND uid IN (…)` (a request's readings mostly share a few times: MariaDB 10.11 reads
 * 1 000 such keys in a third of the time a row-constructor list takes), the uids alone at their
 * time in one `(ts, uid) IN (…)` list (faster than as many one-uid groups).
 */
export function uidLookups(table: string, readings: readonly Reading[], byTime: boolean, receivedMs: number): Lookup[] {
  const select = `SELECT \`uid\` FROM ${quoteTable(table)} WHERE `;
  if (!byTime) {
    const uids = batchUids(readings);
    const out: Lookup[] = [];
    for (let i = 0; i < uids.length; i += UID_LOOKUP_CHUNK) out.push({ sql: `${select}\`uid\` IN (?)`, values: [uids.slice(i, i + UID_LOOKUP_CHUNK)] });
    return out;
  }
  const byTs = new Map<string, Set<string>>();
  for (const r of readings) {
    if (r.uid === undefined) continue;
    const ts = sqlTime(r.at ?? receivedMs);
    let uids = byTs.get(ts);
    if (!uids) byTs.set(ts, (uids = new Set()));
    uids.add(r.uid);
  }
  const out: Lookup[] = [];
  let groups: Array<[string, string[]]> = [];
  let singles: Array<[string, string]> = [];
  let keys = 0;
  const flush = () => {
    const terms = groups.map(() => '(`ts` = ? AND `uid` IN (?))');
    const values: unknown[] = groups.flat();
    if (singles.length > 0) {
      terms.push('(`ts`, `uid`) IN (?)');
      values.push(singles);
    }
    if (terms.length > 0) out.push({ sql: select + terms.join(' OR '), values });
    groups = [];
    singles = [];
    keys = 0;
  };
  for (const [ts, set] of byTs) {
    let uids = [...set];
    while (uids.length > 0) {
      const room = UID_LOOKUP_CHUNK - keys;
      const part = uids.slice(0, room);
      uids = uids.slice(room);
      if (part.length === 1) singles.push([ts, part[0]!]);
      else groups.push([ts, part]);
      keys += part.length;
      if (keys === UID_LOOKUP_CHUNK) flush();
    }
  }
  flush();
  return out;
}

/** The readings to store: not already stored (by uid), and each uid once. */
export function freshReadings(readings: readonly Reading[], stored: ReadonlySet<string>): Reading[] {
  if (stored.size === 0 && !readings.some((r) => r.uid !== undefined)) return readings as Reading[];
  const seen = new Set<string>();
  return readings.filter((r) => {
    if (r.uid === undefined) return true;
    if (stored.has(r.uid) || seen.has(r.uid)) return false;
    seen.add(r.uid);
    return true;
  });
}

export function writeStatements(table: string, batch: Batch, shape: WriteShape, receivedMs: number, chunkRows: number): Statement[] {
  const out: Statement[] = [];
  const companions = companionTables(table);
  const at = (r: Reading) => r.at ?? receivedMs;
  // Most readings of a request share one time: its DATETIME text is made once.
  let lastMs = Number.NaN;
  let lastText = '';
  const timeText = (ms: number) => (ms === lastMs ? lastText : ((lastMs = ms), (lastText = sqlTime(ms))));
  if (batch.readings.length > 0) {
    const sql = shape.uid
      ? `INSERT INTO ${quoteTable(table)} (\`ts\`, \`value\`, \`board\`, \`sensor\`, \`uid\`) VALUES ?`
      : `INSERT INTO ${quoteTable(table)} (\`ts\`, \`value\`, \`board\`, \`sensor\`) VALUES ?`;
    let start = 0;
    for (const end of chunkEnds(batch.readings, chunkRows, MAX_STATEMENT_BYTES)) {
      const rows = new Array(end - start);
      for (let i = start; i < end; i++) {
        const r = batch.readings[i]!;
        const ts = timeText(at(r));
        rows[i - start] = shape.uid ? [ts, r.value, r.board, r.sensor, r.uid ?? null] : [ts, r.value, r.board, r.sensor];
      }
      out.push({ sql, rows, counts: true });
      start = end;
    }
    if (shape.rollup) {
      const rows = rollupRows(batch.readings, at);
      for (let i = 0; i < rows.length; i += chunkRows) out.push({ sql: rollupUpsertSql(table), rows: rows.slice(i, i + chunkRows) });
    }
  }
  if (batch.devices.length > 0 && shape.devices) {
    out.push({
      sql:
        `INSERT INTO ${quoteTable(companions.devices)} (\`device_id\`, \`endpoint_name\`, \`endpoint_type\`, \`registered_at\`, \`last_seen\`) VALUES ? ` +
        'ON DUPLICATE KEY UPDATE `endpoint_name` = COALESCE(VALUES(`endpoint_name`), `endpoint_name`), ' +
        '`endpoint_type` = COALESCE(VALUES(`endpoint_type`), `endpoint_type`), ' +
        '`registered_at` = COALESCE(VALUES(`registered_at`), `registered_at`), `last_seen` = GREATEST(`last_seen`, VALUES(`last_seen`))',
      rows: batch.devices.map((d) => [d.id, d.name ?? null, d.type ?? null, d.registeredAt === undefined ? null : sqlTime(d.registeredAt), sqlTime(d.seenAt)]),
    });
  }
  if (batch.outcomes.length > 0 && shape.asyncResponses) {
    out.push({
      sql:
        `INSERT INTO ${quoteTable(companions.asyncResponses)} (\`id\`, \`status\`, \`error\`, \`received_at\`) VALUES ? ` +
        'ON DUPLICATE KEY UPDATE `status` = VALUES(`status`), `error` = VALUES(`error`), `received_at` = VALUES(`received_at`)',
      rows: batch.outcomes.map((o) => [o.id, o.status, o.error ?? null, sqlTime(o.at)]),
    });
  }
  return out;
}

/** One statement as the server will read it: its values written into the text. */
export interface StatementText {
  text: string;
  counts?: boolean;
}

/** One query the store sends: statements joined by ";" and, for each, whether it counts readings. */
export interface QueryPacket {
  sql: string;
  counts: boolean[];
}

/**
 * The statements as few queries as fit a packet, so a request costs one round trip to the
 * server, not one per statement plus two for the transaction (about 0.2 ms each on loopback,
 * more across a VPC). `begin` opens the transaction in the first query; `end` (COMMIT or
 * ROLLBACK) closes it in the last. A statement stops the rest of its query when it fails.
 */
export function queryPackets(statements: readonly StatementText[], options: { begin: boolean; end: 'COMMIT' | 'ROLLBACK' | null }, maxBytes = MAX_STATEMENT_BYTES): QueryPacket[] {
  const all: StatementText[] = [...(options.begin ? [{ text: 'START TRANSACTION' }] : []), ...statements, ...(options.end ? [{ text: options.end }] : [])];
  const packets: QueryPacket[] = [];
  let texts: string[] = [];
  let counts: boolean[] = [];
  let bytes = 0;
  for (const statement of all) {
    const size = Buffer.byteLength(statement.text) + 1;
    if (texts.length > 0 && bytes + size > maxBytes) {
      packets.push({ sql: texts.join(';'), counts });
      texts = [];
      counts = [];
      bytes = 0;
    }
    texts.push(statement.text);
    counts.push(statement.counts === true);
    bytes += size;
  }
  if (texts.length > 0) packets.push({ sql: texts.join(';'), counts });
  return packets;
}
