import { describe, expect, it } from 'vitest';
import { chunkEnds } from '../../templates/lambda/statements.js';

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
