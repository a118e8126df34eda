import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { chunkEnds, freshReadings, queryPackets, UID_LOOKUP_CHUNK, uidLookups, writeStatements } from '../../templates/lambda/statements.js';

const reading = (board: string, sensor = '/3200/0/5501') => ({ board, sensor, value: 1 });

describe('chunkEnds', () => {
  it('keeps a request in one statement when it fits', () => {
    expect(chunkEnds(Array.from({ length: 20000 }, () => reading('cccdb1b6-9502-4001-9a5a-69621147ac87')), 20000, 8 << 20)).toEqual([20000]);
  });

  it('splits at the row limit', () => {
    expect(chunkEnds(Array.from({ length: 250 }, () => reading('d')), 100, 1 << 30)).toEqual([100, 200, 250]);
  });

  it('splits at the size limit, counting wide names as worst-case bytes', () => {
    const wide = reading('é'.repeat(64), `/${'x'.repeat(127)}`);
    const size = 48 + 6 * (64 + 128);
    expect(chunkEnds(Array.from({ length: 10 }, () => wide), 1000, size * 4)).toEqual([4, 8, 10]);
  });

  it('puts a row larger than the limit alone rather than dropping it', () => {
    expect(chunkEnds([reading('a'), reading('b'.repeat(100)), reading('c')], 10, 100)).toEqual([1, 2, 3]);
  });

  it('has no statements for no rows', () => {
    expect(chunkEnds([], 10, 100)).toEqual([]);
  });

  it('counts a uid as two bytes a character (ASCII, escaped)', () => {
    const withUid = { ...reading('b', 's'), uid: 'u'.repeat(100) };
    const size = 48 + 6 * 2 + 2 * 100;
    expect(chunkEnds(Array.from({ length: 5 }, () => withUid), 1000, size * 2)).toEqual([2, 4, 5]);
  });
});

describe('uidLookups', () => {
  const reading = (uid: string | undefined, at?: number) => ({ board: 'b', sensor: 's', value: 1, ...(uid === undefined ? {} : { uid }), ...(at === undefined ? {} : { at }) });
  const T = Date.parse('2026-12-06T10:00:00Z');

  it('by uid: each uid once, 1 000 a query; none without uids', () => {
    const lookups = uidLookups('events', [...Array.from({ length: 2500 }, (_, i) => reading(`u${i}`)), reading('u1'), reading(undefined)], false, T);
    expect(lookups.map((l) => l.sql)).toEqual(Array(3).fill('SELECT `uid` FROM `events` WHERE `uid` IN (?)'));
    expect(lookups.map((l) => (l.values[0] as string[]).length)).toEqual([1000, 1000, 500]);
    expect(uidLookups('events', [reading(undefined)], true, T)).toEqual([]);
  });

  it('by time: the uids of one time in a group, those alone at theirs in one list, at the time received when the service gave none', () => {
    const [lookup, ...rest] = uidLookups('events', [reading('a', T), reading('b', T), reading('a', T), reading('c', T + 1000), reading('d')], true, T + 5000);
    expect(rest).toEqual([]);
    expect(lookup).toEqual({
      sql: 'SELECT `uid` FROM `events` WHERE (`ts` = ? AND `uid` IN (?)) OR (`ts`, `uid`) IN (?)',
      values: ['2026-12-06 10:00:00', ['a', 'b'], [['2026-12-06 10:00:01', 'c'], ['2026-12-06 10:00:05', 'd']]],
    });
  });

  it('property: every (time, uid) looked up exactly once, at most 1 000 keys a query', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 3000 })), { maxLength: 2600 }), (pairs) => {
        const readings = pairs.map(([second, n]) => reading(`u${n}`, T + second * 1000));
        const seen = new Map<string, number>();
        for (const lookup of uidLookups('events', readings, true, T)) {
          const keys: Array<[string, string]> = [];
          let i = 0;
          for (const term of lookup.sql.split(' WHERE ')[1]!.split(' OR ')) {
            if (term.startsWith('(`ts` = ?')) keys.push(...(lookup.values[i + 1] as string[]).map((uid): [string, string] => [lookup.values[i] as string, uid])), (i += 2);
            else keys.push(...(lookup.values[i] as Array<[string, string]>)), (i += 1);
          }
          expect(keys.length).toBeLessThanOrEqual(UID_LOOKUP_CHUNK);
          for (const [ts, uid] of keys) seen.set(`${ts} ${uid}`, (seen.get(`${ts} ${uid}`) ?? 0) + 1);
        }
        const wanted = new Set(pairs.map(([second, n]) => `${new Date(T + second * 1000).toISOString().slice(0, 19).replace('T', ' ')} u${n}`));
        expect([...seen.keys()].sort()).toEqual([...wanted].sort());
        expect([...seen.values()].every((n) => n === 1)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe('freshReadings', () => {
  const r = (uid?: string) => ({ ...reading('b'), ...(uid ? { uid } : {}) });

  it('leaves out readings already stored and a uid seen before in the request; keeps every reading without one', () => {
    expect(freshReadings([r('a'), r(), r('b'), r(), r('b')], new Set(['a']))).toEqual([r(), r('b'), r()]);
    expect(freshReadings([r('x'), r('x'), r()], new Set())).toEqual([r('x'), r()]);
    expect(freshReadings([r(), r()], new Set())).toEqual([r(), r()]);
  });
});

describe('writeStatements', () => {
  const shape = { uid: true, devices: true, asyncResponses: true, rollup: true };
  const at = (iso: string) => ({ board: 'b', sensor: 's', value: 1, at: Date.parse(iso) });

  it('splits the rollup rows by the same row limit, without an empty statement', () => {
    const readings = [at('2026-12-01T10:00:00Z'), at('2026-12-01T10:20:00Z'), at('2026-12-01T10:40:00Z'), at('2026-12-01T11:00:00Z')];
    const statements = writeStatements('events', { readings, devices: [], outcomes: [] }, shape, 0, 2);
    const rollup = statements.filter((s) => s.sql.includes('events_rollup'));
    expect(rollup.map((s) => s.rows.length)).toEqual([2, 2]);
    expect(statements.filter((s) => s.counts).map((s) => s.rows.length)).toEqual([2, 2]);
  });

  it('makes no statement for parts a request does not have, or the tables do not', () => {
    expect(writeStatements('events', { readings: [], devices: [], outcomes: [] }, shape, 0, 10)).toEqual([]);
    const device = { id: 'd', seenAt: 0 };
    const outcome = { id: 'o', status: 200, at: 0 };
    expect(writeStatements('events', { readings: [], devices: [device], outcomes: [outcome] }, { ...shape, devices: false, asyncResponses: false }, 0, 10)).toEqual([]);
  });
});

describe('queryPackets', () => {
  const insert = (n: number) => ({ text: `INSERT ${'x'.repeat(n)}`, counts: true });
  const upsert = { text: 'INSERT INTO r VALUES (1) ON DUPLICATE KEY UPDATE n = n + 1' };

  it('sends a transaction of statements as one query, opened and closed in it', () => {
    expect(queryPackets([insert(3), upsert], { begin: true, end: 'COMMIT' })).toEqual([
      { sql: `START TRANSACTION;INSERT xxx;${upsert.text};COMMIT`, counts: [false, true, false, false] },
    ]);
  });

  it('sends one statement alone, with no transaction around it', () => {
    expect(queryPackets([insert(1)], { begin: false, end: null })).toEqual([{ sql: 'INSERT x', counts: [true] }]);
  });

  it('closes a transaction opened before (the self-test rolls back)', () => {
    expect(queryPackets([insert(1)], { begin: false, end: 'ROLLBACK' })).toEqual([{ sql: 'INSERT x;ROLLBACK', counts: [true, false] }]);
    expect(queryPackets([], { begin: false, end: 'ROLLBACK' })).toEqual([{ sql: 'ROLLBACK', counts: [false] }]);
  });

  it('starts another query where the next statement would pass the size limit, counting UTF-8 bytes', () => {
    // 'INSERT ' + 10 two-byte characters = 27 bytes, 28 with its separator: two fit 56 bytes (as UTF-16 units, three would).
    const wide = { text: `INSERT ${'é'.repeat(10)}`, counts: true };
    const packets = queryPackets([wide, wide, wide], { begin: true, end: 'COMMIT' }, 2 * 28);
    expect(packets.map((p) => p.sql)).toEqual([`START TRANSACTION;${wide.text}`, `${wide.text};${wide.text}`, 'COMMIT']);
    expect(packets.flatMap((p) => p.counts)).toEqual([false, true, true, true, false]);
  });

  it('counts one byte for each statement\'s separator', () => {
    // 'INSERT xx' is 9 bytes, 10 with its separator: two fit 27 bytes, three do not.
    expect(queryPackets([insert(2), insert(2), insert(2)], { begin: false, end: null }, 27).map((p) => p.sql)).toEqual(['INSERT xx;INSERT xx', 'INSERT xx']);
  });

  it('sends a first statement larger than the limit alone, with no empty query before it', () => {
    expect(queryPackets([insert(100)], { begin: false, end: 'COMMIT' }, 20)).toEqual([
      { sql: `INSERT ${'x'.repeat(100)}`, counts: [true] },
      { sql: 'COMMIT', counts: [false] },
    ]);
  });

  it('sends a statement larger than the limit alone rather than dropping it', () => {
    expect(queryPackets([insert(1), insert(100), insert(1)], { begin: false, end: null }, 20).map((p) => p.sql)).toEqual(['INSERT x', `INSERT ${'x'.repeat(100)}`, 'INSERT x']);
  });
});
