import { describe, expect, it } from 'vitest';
import { chunkEnds, queryPackets } from '../../templates/lambda/statements.js';

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

  it('sends a statement larger than the limit alone rather than dropping it', () => {
    expect(queryPackets([insert(1), insert(100), insert(1)], { begin: false, end: null }, 20).map((p) => p.sql)).toEqual(['INSERT x', `INSERT ${'x'.repeat(100)}`, 'INSERT x']);
  });
});
