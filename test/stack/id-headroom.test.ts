// When status warns that a table's ids run out (src/stack/status-data.ts idHeadroom): past half
// of the id column's range, signed or unsigned, from the next AUTO_INCREMENT value.
import { describe, expect, it } from 'vitest';
import { idHeadroom, type ColumnInfo } from '../../src/stack/status-data.js';

const id = (dataType: string, columnType: string): ColumnInfo => ({ name: 'id', dataType, columnType, width: null, numPrecision: null, numScale: null });

describe('idHeadroom', () => {
  it('is quiet up to half of the range, and warns past it', () => {
    const int = id('int', 'int(11)');
    expect(idHeadroom(int, 1_073_741_824, 'events')).toBeNull();
    expect(idHeadroom(int, 1_073_741_825, 'events')).toMatch(/^id int\(11\): 1,073,741,824 of 2,147,483,647 ids used/);
  });

  it('reads unsigned columns as twice the range', () => {
    expect(idHeadroom(id('int', 'int(10) unsigned'), 2_000_000_000, 'events')).toBeNull();
    expect(idHeadroom(id('int', 'int(10) unsigned'), 2_200_000_000, 'events')).toContain('of 4,294,967,295 ids used');
    expect(idHeadroom(id('mediumint', 'mediumint(9)'), 5_000_000, 'events')).toContain('of 8,388,607 ids used');
  });

  it('says nothing without an id column, a next value, or an integer type', () => {
    expect(idHeadroom(undefined, 5, 'events')).toBeNull();
    expect(idHeadroom(id('int', 'int(11)'), null, 'events')).toBeNull();
    expect(idHeadroom(id('varchar', 'varchar(36)'), 10 ** 12, 'events')).toBeNull();
    expect(idHeadroom(id('bigint', 'bigint(20) unsigned'), 2 ** 53, 'events')).toBeNull();
  });
});
