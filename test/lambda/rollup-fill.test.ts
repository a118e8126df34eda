// The rollup's pure parts and the fill's control flow: where it starts and stops, what it tells
// its caller, how it survives a deadlock with the function's own writes. The statements
// themselves run against MariaDB in rollup.db.test.ts; here a scripted connection answers them so
// every path (a deadlock on the fifth attempt, a table whose rows start before 1970) is reached.
import { describe, expect, it } from 'vitest';
import {
  FILL_CHUNK_SECONDS,
  fillRollup,
  readRollupComment,
  ROLLUP_COMPLETE,
  rollupFillStatements,
  rollupProgress,
  rollupRows,
  rollupShapedTableSql,
  rollupStatus,
  type FillConnection,
  type FillProgress,
} from '../../templates/lambda/rollup.js';

describe('the rollup comment', () => {
  it('says how far the fill got, negative before 1970, and nothing else', () => {
    expect(rollupProgress(12345)).toBe('mbed-tsdb rollup: filled before 12345');
    expect(readRollupComment(rollupProgress(12345))).toStrictEqual({ complete: false, filledBefore: 12345 });
    expect(readRollupComment(rollupProgress(-900))).toStrictEqual({ complete: false, filledBefore: -900 });
    expect(readRollupComment(ROLLUP_COMPLETE)).toStrictEqual({ complete: true, filledBefore: null });
    for (const other of ['x mbed-tsdb rollup: filled before 5', 'mbed-tsdb rollup: filled before 5x', 'mbed-tsdb rollup: filled before ', 'mbed-tsdb rollup: filled before x', null, undefined, '']) {
      expect(readRollupComment(other)).toStrictEqual({ complete: false, filledBefore: null });
    }
  });
});

describe('rollupShapedTableSql', () => {
  const utf8 = { charset: 'utf8mb4', collation: 'utf8mb4_general_ci' };

  it('keys by time first unless asked for series first', () => {
    expect(rollupShapedTableSql('r', utf8, utf8, 'c')).toBe(
      'CREATE TABLE IF NOT EXISTS `r` (`bucket` datetime NOT NULL, `board` varchar(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL, ' +
        '`sensor` varchar(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL, `n` bigint unsigned NOT NULL, `total` double NOT NULL, ' +
        "`lo` double NOT NULL, `hi` double NOT NULL, PRIMARY KEY (`bucket`, `board`, `sensor`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='c'",
    );
    expect(rollupShapedTableSql('r', null, utf8, 'c', true)).toContain('PRIMARY KEY (`sensor`, `bucket`)');
  });

  it('takes only a character set or collation name, whole', () => {
    for (const bad of ['utf8mb4; DROP TABLE x', 'x;utf8', 'utf8;x', 'a'.repeat(65), '']) {
      expect(() => rollupShapedTableSql('r', utf8, { charset: bad, collation: 'c' }, 'c')).toThrow(`invalid character set or collation ${JSON.stringify(bad)}`);
    }
    expect(rollupShapedTableSql('r', utf8, { charset: 'A'.repeat(64), collation: 'latin1_swedish_ci' }, 'c')).toContain(`CHARACTER SET ${'A'.repeat(64)} COLLATE latin1_swedish_ci`);
  });
});

describe('rollupRows', () => {
  it('one row per series and bucket: count, sum, the lowest and the highest, however they arrive', () => {
    const at = (r: { value: number }) => (r.value === 100 ? 900_000 : 1000);
    const readings = [5, 3, 8, 1, 2, 100].map((value) => ({ board: 'a', sensor: 's', value }));
    readings.push({ board: 'b', sensor: 's', value: 7 }, { board: 'a', sensor: 't', value: 9 }, { board: 'a', sensor: 's', value: 4 });
    expect(rollupRows(readings, at)).toStrictEqual([
      ['1970-01-01 00:00:00', 'a', 's', 6, 23, 1, 8],
      ['1970-01-01 00:15:00', 'a', 's', 1, 100, 100, 100],
      ['1970-01-01 00:00:00', 'b', 's', 1, 7, 7, 7],
      ['1970-01-01 00:00:00', 'a', 't', 1, 9, 9, 9],
    ]);
  });
});

describe('rollupFillStatements', () => {
  it('reads and replaces exactly [from, to), through the ts index when there is one', () => {
    const plain = rollupFillStatements('events', 900, 1800);
    expect(plain.map((s) => s.values)).toStrictEqual(Array(3).fill(['1970-01-01 00:15:00', '1970-01-01 00:30:00']));
    expect(plain[0]!.sql).toBe('SELECT COUNT(*) AS n FROM `events` WHERE `ts` >= ? AND `ts` < ? LOCK IN SHARE MODE');
    expect(plain[1]!.sql).toBe('DELETE FROM `events_rollup` WHERE `bucket` >= ? AND `bucket` < ?');
    const indexed = rollupFillStatements('events', 900, 1800, { tsIndex: true });
    expect(indexed[0]!.sql).toBe('SELECT COUNT(*) AS n FROM `events` FORCE INDEX (`ts`) WHERE `ts` >= ? AND `ts` < ? LOCK IN SHARE MODE');
    expect(indexed[2]!.sql).toContain('FROM `events` FORCE INDEX (`ts`) WHERE');
  });
});

describe('rollupStatus', () => {
  it('says when there is no rollup table', async () => {
    expect(await rollupStatus(async () => [], 'events')).toStrictEqual({ exists: false, complete: false, filledBefore: null });
    expect(await rollupStatus(async () => [{ c: rollupProgress(900) }], 'events')).toStrictEqual({ exists: true, complete: false, filledBefore: 900 });
  });
});

/** A connection that answers the fill's reads as scripted and records every statement. */
function scripted(options: { comment?: string | null; range?: { lo: number | null; hi: number | null } | null; tsIndex?: boolean; commitErrors?: Array<string | undefined>; rollbackFails?: boolean }) {
  const log: string[] = [];
  const commitErrors = [...(options.commitErrors ?? [])];
  const connection: FillConnection = {
    query: async (sql, values) => {
      if (sql.includes('information_schema.TABLES')) return [options.comment === null ? [] : [{ c: options.comment ?? rollupProgress(0) }]];
      if (sql.includes('TO_SECONDS(MIN')) return [options.range === null ? [] : [options.range ?? { lo: null, hi: null }]];
      if (sql.includes('information_schema.STATISTICS')) return [options.tsIndex ? [{ 1: 1 }] : []];
      log.push(values ? `${sql.split(' WHERE')[0]} ${JSON.stringify(values)}` : sql);
      return [[]];
    },
    beginTransaction: async () => void log.push('BEGIN'),
    commit: async () => {
      if (commitErrors.length > 0) {
        const code = commitErrors.shift();
        log.push(`COMMIT failed ${code}`);
        throw Object.assign(new Error(`commit failed: ${code}`), { code });
      }
      log.push('COMMIT');
    },
    rollback: async () => {
      log.push('ROLLBACK');
      if (options.rollbackFails) throw new Error('connection lost');
    },
  };
  return { connection, log };
}

const progressComment = (to: number) => `ALTER TABLE \`events_rollup\` COMMENT = '${rollupProgress(to)}'`;
const completeComment = `ALTER TABLE \`events_rollup\` COMMENT = '${ROLLUP_COMPLETE}'`;
const chunk = (from: number, to: number) => {
  const range = JSON.stringify(rollupFillStatements('events', from, to)[0]!.values);
  return ['BEGIN', `SELECT COUNT(*) AS n FROM \`events\` ${range}`, `DELETE FROM \`events_rollup\` ${range}`, `INSERT INTO \`events_rollup\` (\`bucket\`, \`board\`, \`sensor\`, \`n\`, \`total\`, \`lo\`, \`hi\`) SELECT CAST('1970-01-01' AS DATETIME) + INTERVAL ((TO_SECONDS(\`ts\`) - 62167219200) DIV 900) * 900 SECOND AS b, \`board\`, \`sensor\`, COUNT(*), SUM(\`value\`), MIN(\`value\`), MAX(\`value\`) FROM \`events\` ${range}`, 'COMMIT'];
};

describe('fillRollup', () => {
  it('refuses to fill a rollup that does not exist', async () => {
    await expect(fillRollup(scripted({ comment: null }).connection, 'events')).rejects.toThrow('the rollup of events does not exist (run the migration first)');
  });

  it('does nothing to a complete rollup', async () => {
    const { connection, log } = scripted({ comment: ROLLUP_COMPLETE, range: { lo: 0, hi: 100 } });
    expect(await fillRollup(connection, 'events')).toStrictEqual({ complete: true, filledBefore: null, end: null });
    expect(log).toStrictEqual([]);
  });

  it('an empty table: marked complete at once', async () => {
    for (const range of [null, { lo: null, hi: null }]) {
      const { connection, log } = scripted({ range });
      expect(await fillRollup(connection, 'events')).toStrictEqual({ complete: true, filledBefore: 0, end: null });
      expect(log).toStrictEqual([completeComment]);
    }
  });

  it('fills chunk by chunk from the first bucket to the one after the last row, telling each step', async () => {
    const { connection, log } = scripted({ range: { lo: 100, hi: 2000 } });
    const steps: FillProgress[] = [];
    expect(await fillRollup(connection, 'events', { chunkSeconds: 900, onChunk: (p) => steps.push(p) })).toStrictEqual({ complete: true, filledBefore: 2700, end: null });
    expect(steps).toStrictEqual([900, 1800, 2700].map((filledBefore) => ({ complete: false, filledBefore, end: 2700 })));
    expect(log).toStrictEqual([...chunk(0, 900), progressComment(900), ...chunk(900, 1800), progressComment(1800), ...chunk(1800, 2700), progressComment(2700), completeComment]);
  });

  it(`takes a day (${FILL_CHUNK_SECONDS} s) at a time by default, never past the end`, async () => {
    const { connection, log } = scripted({ range: { lo: 0, hi: 100_000 } });
    await fillRollup(connection, 'events');
    expect(log.filter((l) => l.startsWith('ALTER'))).toStrictEqual([progressComment(86_400), progressComment(100_800), completeComment]);
  });

  it('resumes where the comment says, and starts before 1970 when the rows do', async () => {
    const resumed = scripted({ comment: rollupProgress(1800), range: { lo: 100, hi: 2000 } });
    await fillRollup(resumed.connection, 'events', { chunkSeconds: 900 });
    expect(resumed.log).toStrictEqual([...chunk(1800, 2700), progressComment(2700), completeComment]);

    const early = scripted({ comment: 'no progress noted', range: { lo: -1000, hi: -10 } });
    await fillRollup(early.connection, 'events', { chunkSeconds: 900 });
    expect(early.log).toStrictEqual([...chunk(-1800, -900), progressComment(-900), ...chunk(-900, 0), progressComment(0), completeComment]);
  });

  it('stops when told, saying how far it got', async () => {
    const { connection, log } = scripted({ range: { lo: 100, hi: 2000 } });
    let chunks = 0;
    const result = await fillRollup(connection, 'events', { chunkSeconds: 900, onChunk: () => chunks++, stop: () => chunks === 1 });
    expect(result).toStrictEqual({ complete: false, filledBefore: 900, end: 2700 });
    expect(log.at(-1)).toBe(progressComment(900));
  });

  it('reads through the ts index when the table has one', async () => {
    const { connection, log } = scripted({ range: { lo: 100, hi: 200 }, tsIndex: true });
    await fillRollup(connection, 'events');
    expect(log[1]).toBe(`SELECT COUNT(*) AS n FROM \`events\` FORCE INDEX (\`ts\`) ${JSON.stringify(['1970-01-01 00:00:00', '1970-01-01 00:15:00'])}`);
  });

  it('a deadlock or lock wait with the function undoes the chunk and runs it again', async () => {
    const { connection, log } = scripted({ range: { lo: 100, hi: 200 }, commitErrors: ['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT'], rollbackFails: true });
    expect(await fillRollup(connection, 'events')).toMatchObject({ complete: true });
    expect(log.filter((l) => /^(BEGIN|COMMIT|ROLLBACK)/.test(l))).toStrictEqual(['BEGIN', 'COMMIT failed ER_LOCK_DEADLOCK', 'ROLLBACK', 'BEGIN', 'COMMIT failed ER_LOCK_WAIT_TIMEOUT', 'ROLLBACK', 'BEGIN', 'COMMIT']);
  });

  it('gives up after five attempts, and at once on any other error', async () => {
    const stuck = scripted({ range: { lo: 100, hi: 200 }, commitErrors: Array(5).fill('ER_LOCK_DEADLOCK') });
    await expect(fillRollup(stuck.connection, 'events')).rejects.toMatchObject({ code: 'ER_LOCK_DEADLOCK' });
    expect(stuck.log.filter((l) => l === 'BEGIN')).toHaveLength(5);
    expect(stuck.log.at(-1)).toBe('ROLLBACK');

    for (const code of ['ER_DUP_ENTRY', undefined]) {
      const failing = scripted({ range: { lo: 100, hi: 200 }, commitErrors: [code] });
      await expect(fillRollup(failing.connection, 'events')).rejects.toThrow(`commit failed: ${code}`);
      expect(failing.log.filter((l) => l === 'BEGIN')).toHaveLength(1);
    }
  });
});
