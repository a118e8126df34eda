// Writing piece by piece under savepoints (templates/lambda/pieces.ts), over a scripted
// connection that refuses what the test says: which pieces are left out, what is counted,
// and which errors are not the data's and so stop the write.
import { describe, expect, it } from 'vitest';
import { writePieces } from '../../templates/lambda/pieces.js';
import type { Batch } from '../../templates/lambda/statements.js';

const refusal = (code: string) => Object.assign(new Error(`refused: ${code}`), { code });

/** A connection whose statements fail with `code` when their rows hold a refused item. */
function connection(refused: (rowsText: string) => string | null): Parameters<typeof writePieces>[0] & { sent: string[] } {
  const sent: string[] = [];
  return {
    sent,
    format: (sql: string, values: unknown[]) => `${sql} ${JSON.stringify(values[0])}`,
    query: async (text: string) => {
      sent.push(text);
      const code = refused(text);
      if (code) throw refusal(code);
      const rows = /VALUES (.*)$/.exec(text)?.[1];
      return [{ affectedRows: rows ? (JSON.parse(rows) as unknown[]).length : 0 }, []] as never;
    },
  } as never;
}

/** One statement per kind, as writeStatements makes them: readings counted. */
const statementsFor = (part: Batch) => [
  ...(part.readings.length ? [{ sql: 'INSERT events VALUES', rows: part.readings.map((r) => [r.board]), counts: true }] : []),
  ...(part.devices.length ? [{ sql: 'INSERT devices VALUES', rows: part.devices.map((d) => [d.id]) }] : []),
  ...(part.outcomes.length ? [{ sql: 'INSERT outcomes VALUES', rows: part.outcomes.map((o) => [o.id]) }] : []),
];

const reading = (board: string) => ({ board, sensor: '/1/0/1', value: 1 });
const batch: Batch = {
  readings: ['r1', 'bad-r2', 'r3', 'r4'].map(reading),
  devices: [{ id: 'bad-d1', seenAt: 0 }, { id: 'd2', seenAt: 0 }],
  outcomes: [{ id: 'bad-o1', status: 200, at: 0 }, { id: 'o2', status: 200, at: 0 }],
};

describe('writePieces', () => {
  it('leaves out each refused reading, device fact and outcome, and writes the rest', async () => {
    const conn = connection((text) => (text.includes('bad-') && text.startsWith('INSERT') ? 'ER_DATA_TOO_LONG' : null));
    const result = await writePieces(conn, batch, statementsFor);
    expect(result.inserted).toBe(3);
    expect(result.refused).toEqual([
      { item: batch.readings[1], reason: 'refused: ER_DATA_TOO_LONG' },
      { item: batch.devices[0], reason: 'refused: ER_DATA_TOO_LONG' },
      { item: batch.outcomes[0], reason: 'refused: ER_DATA_TOO_LONG' },
    ]);
    // Every try that was refused is undone to its savepoint.
    const tries = conn.sent.filter((t) => t === 'SAVEPOINT piece').length;
    const undone = conn.sent.filter((t) => t === 'ROLLBACK TO SAVEPOINT piece').length;
    expect(undone).toBe(conn.sent.filter((t) => t.includes('bad-')).length);
    expect(tries).toBeGreaterThan(undone);
    const written = conn.sent.filter((t) => t.startsWith('INSERT') && !t.includes('bad-'));
    expect(written.some((t) => t.includes('"d2"'))).toBe(true);
    expect(written.some((t) => t.includes('"o2"'))).toBe(true);
  });

  it('writes everything in one try when nothing is refused', async () => {
    const conn = connection(() => null);
    expect(await writePieces(conn, batch, statementsFor)).toEqual({ inserted: 4, refused: [] });
    expect(conn.sent).toEqual([
      'SAVEPOINT piece',
      'INSERT events VALUES [["r1"],["bad-r2"],["r3"],["r4"]]',
      'INSERT devices VALUES [["bad-d1"],["d2"]]',
      'INSERT outcomes VALUES [["bad-o1"],["o2"]]',
    ]);
  });

  it('sends nothing for an empty batch', async () => {
    const conn = connection(() => null);
    expect(await writePieces(conn, { readings: [], devices: [], outcomes: [] }, statementsFor)).toEqual({ inserted: 0, refused: [] });
    expect(conn.sent).toEqual([]);
  });

  it('an error that is not about the data stops the write', async () => {
    const conn = connection((text) => (text.startsWith('INSERT devices') ? 'ECONNRESET' : null));
    await expect(writePieces(conn, batch, statementsFor)).rejects.toMatchObject({ code: 'ECONNRESET' });
    const coded = connection((text) => (text.startsWith('INSERT') ? 'ER_LOCK_WAIT_TIMEOUT' : null));
    await expect(writePieces(coded, batch, statementsFor)).rejects.toMatchObject({ code: 'ER_LOCK_WAIT_TIMEOUT' });
  });
});
