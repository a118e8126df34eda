// Monthly partitions of the readings table (templates/lambda/partitions.ts), pure: the clause a
// new table gets, and what maintenance adds and drops. How MySQL reads them: RANGE COLUMNS
// partitions each hold what is below their bound and at or above the one before; the first holds
// everything below it, MAXVALUE everything above the rest (MySQL 8.0 reference, "RANGE COLUMNS
// partitioning"); information_schema.PARTITIONS.PARTITION_DESCRIPTION is the bound as written.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FUTURE_PARTITION, maintenancePlan, MAX_MONTHS, MONTHS_AHEAD, monthStart, partitionClause, partitionName, upperBound, type Partition } from '../../templates/lambda/partitions.js';

const DAY = 86_400_000;
const at = (text: string) => Date.parse(text);
/** The partitions a table made at `nowMs` has, as information_schema gives them. */
const madeAt = (nowMs: number): Partition[] => [
  ...Array.from({ length: MONTHS_AHEAD + 1 }, (_, i) => ({ name: partitionName(monthStart(nowMs, i)), description: `'${monthStart(nowMs, i + 1)}'`, rows: 10 })),
  { name: FUTURE_PARTITION, description: 'MAXVALUE', rows: 0 },
];
/** The partitions after a plan ran (what the ALTER TABLEs do). */
const applied = (before: readonly Partition[], plan: ReturnType<typeof maintenancePlan>): Partition[] =>
  [
    ...before.filter((p) => p.name !== FUTURE_PARTITION),
    ...plan.add.map((start) => ({ name: partitionName(start), description: `'${monthStart(at(`${start}T00:00:00Z`), 1)}'`, rows: 0 })),
    ...before.filter((p) => p.name === FUTURE_PARTITION),
  ].filter((p) => !plan.drop.includes(p.name));
/** A monthly partition's upper bound from its name: p202612 ends on 2027-01-01. */
const boundOf = (name: string) => monthStart(at(`${name.slice(1, 5)}-${name.slice(5, 7)}-01T00:00:00Z`), 1);

describe('monthly partitions', () => {
  it('months are UTC calendar months, across years', () => {
    expect(monthStart(at('2026-12-31T23:59:59Z'))).toBe('2026-12-01');
    expect(monthStart(at('2026-12-31T23:59:59Z'), 1)).toBe('2027-01-01');
    expect(monthStart(at('2027-01-01T00:00:00Z'), -1)).toBe('2026-12-01');
    expect(monthStart(at('2026-03-15T00:00:00Z'), 13)).toBe('2027-04-01');
    expect(partitionName('2027-04-01')).toBe('p202704');
  });

  it("reads a bound as MySQL ('2027-01-01') and MariaDB write it, MAXVALUE as none, and refuses others", () => {
    expect(upperBound("'2027-01-01'")).toBe('2027-01-01');
    expect(upperBound("'2027-01-01 00:00:00'")).toBe('2027-01-01');
    expect(upperBound('MAXVALUE')).toBeNull();
    expect(upperBound('maxvalue')).toBeNull();
    expect(() => upperBound('739252')).toThrow(new Error('not a monthly partition bound: 739252'));
    expect(() => upperBound("'2027-01-01 12:00:00'")).toThrow('not a monthly partition bound');
  });

  it('a new table: this month (and anything older), three more, and p_future for the rest', () => {
    expect(partitionClause(at('2026-12-06T05:00:00Z'))).toBe(
      'PARTITION BY RANGE COLUMNS(`ts`) (' +
        "PARTITION p202612 VALUES LESS THAN ('2027-01-01'), PARTITION p202701 VALUES LESS THAN ('2027-02-01'), " +
        "PARTITION p202702 VALUES LESS THAN ('2027-03-01'), PARTITION p202703 VALUES LESS THAN ('2027-04-01'), " +
        'PARTITION p_future VALUES LESS THAN (MAXVALUE))',
    );
  });

  it('a table made for older readings: a month each from the oldest, capped at seventy years back', () => {
    const clause = partitionClause(at('2026-12-06T05:00:00Z'), at('2026-10-31T23:00:00Z'));
    expect(clause.match(/PARTITION p\d+/g)).toEqual(['PARTITION p202610', 'PARTITION p202611', 'PARTITION p202612', 'PARTITION p202701', 'PARTITION p202702', 'PARTITION p202703']);
    // A "from" after now is now.
    expect(partitionClause(at('2026-12-06T05:00:00Z'), at('2027-06-01T00:00:00Z'))).toBe(partitionClause(at('2026-12-06T05:00:00Z')));
    const ancient = partitionClause(at('2026-12-06T05:00:00Z'), at('1000-01-01T00:00:00Z')).match(/PARTITION p\d+/g)!;
    expect(ancient).toHaveLength(MAX_MONTHS + MONTHS_AHEAD + 1);
    expect(ancient[0]).toBe('PARTITION p195612');
  });

  it('maintained on time, it only splits the next month off p_future; kept forever, it drops nothing', () => {
    const made = madeAt(at('2026-12-06T00:00:00Z'));
    expect(maintenancePlan('events', made, at('2026-12-20T00:00:00Z'), null).statements).toEqual([]);
    const plan = maintenancePlan('events', made, at('2027-01-01T00:00:00Z'), null);
    expect(plan).toEqual({
      add: ['2027-04-01'],
      drop: [],
      dropRows: 0,
      rawFrom: null,
      statements: ["ALTER TABLE `events` REORGANIZE PARTITION p_future INTO (PARTITION p202704 VALUES LESS THAN ('2027-05-01'), PARTITION p_future VALUES LESS THAN (MAXVALUE))"],
    });
  });

  it('months later, every missing month at once; with raw readings kept 90 days, the months wholly older go', () => {
    const made = madeAt(at('2026-12-06T00:00:00Z'));
    const plan = maintenancePlan('events', made, at('2027-06-10T00:00:00Z'), 90 * DAY);
    expect(plan.add).toEqual(['2027-04-01', '2027-05-01', '2027-06-01', '2027-07-01', '2027-08-01', '2027-09-01']);
    // 2027-06-10 - 90 days = 2027-03-12: December to February end before it; March does not.
    expect(plan.drop).toEqual(['p202612', 'p202701', 'p202702']);
    expect(plan.dropRows).toBe(30);
    expect(plan.rawFrom).toBe('2027-03-01');
    // Each month swapped out into an empty side table first, so the readings table's lock is held
    // for renames only and the months' files are deleted with the side table.
    const swap = (name: string) => [
      'DROP TABLE IF EXISTS `events_retiring`',
      'CREATE TABLE `events_retiring` LIKE `events`',
      'ALTER TABLE `events_retiring` REMOVE PARTITIONING',
      `ALTER TABLE \`events\` EXCHANGE PARTITION ${name} WITH TABLE \`events_retiring\``,
    ];
    expect(plan.statements.slice(1)).toEqual([
      ...swap('p202612'),
      ...swap('p202701'),
      ...swap('p202702'),
      'ALTER TABLE `events` DROP PARTITION p202612, p202701, p202702',
      'DROP TABLE IF EXISTS `events_retiring`',
    ]);
  });

  it('never drops the month holding now or p_future, whatever is asked', () => {
    const made = madeAt(at('2026-12-06T00:00:00Z'));
    const plan = maintenancePlan('events', made, at('2026-12-31T00:00:00Z'), 0);
    expect(plan.drop).toEqual([]);
    const later = maintenancePlan('events', made, at('2027-01-01T00:00:00Z'), 0);
    expect(later.drop).toEqual(['p202612']);
  });

  it('the last month made goes too when its readings are all older (found by the property below: [0, [121, 0], 0])', () => {
    const plan = maintenancePlan('events', madeAt(at('2020-01-01T00:00:00Z')), at('2020-05-01T00:00:00Z'), 0);
    expect(plan.drop).toEqual(['p202001', 'p202002', 'p202003', 'p202004']);
    expect(plan.add).toEqual(['2020-05-01', '2020-06-01', '2020-07-01', '2020-08-01']);
  });

  it('maintenance missed for months: the months split off a p_future that held rows go at once when old enough (found by setup --keep-raw on a year-old table)', () => {
    const made = madeAt(at('2025-12-10T00:00:00Z'));
    made.at(-1)!.rows = 250;
    const plan = maintenancePlan('events', made, at('2026-12-06T00:00:00Z'), 90 * DAY);
    expect(plan.add[0]).toBe('2026-04-01');
    expect(plan.add.at(-1)).toBe('2027-03-01');
    // 2026-12-06 - 90 days = 2026-09-07: every month ending by then.
    expect(plan.drop).toEqual(['p202512', 'p202601', 'p202602', 'p202603', 'p202604', 'p202605', 'p202606', 'p202607', 'p202608']);
    expect(plan.dropRows).toBe(4 * 10 + 250);
    expect(plan.rawFrom).toBe('2026-09-01');
    // Split off first, then swapped out and dropped with the rest.
    expect(plan.statements[0]).toMatch(/^ALTER TABLE `events` REORGANIZE PARTITION p_future INTO /);
    expect(plan.statements.filter((sql) => sql.includes('EXCHANGE PARTITION')).length).toBe(9);
    expect(plan.statements.at(-2)).toBe('ALTER TABLE `events` DROP PARTITION p202512, p202601, p202602, p202603, p202604, p202605, p202606, p202607, p202608');
  });

  it('a table not partitioned by month (no p_future, or no partitions) gets no plan', () => {
    const none = { add: [], drop: [], dropRows: 0, rawFrom: null, statements: [] };
    expect(maintenancePlan('events', [], at('2027-06-10T00:00:00Z'), DAY)).toEqual(none);
    expect(maintenancePlan('events', madeAt(at('2026-12-06T00:00:00Z')).slice(0, -1), at('2027-06-10T00:00:00Z'), DAY)).toEqual(none);
  });

  it('property: after any run, months are contiguous up to MONTHS_AHEAD ahead, and nothing newer than the cutoff went', () => {
    const start = at('2020-01-01T00:00:00Z');
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3650 }),
        fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 6 }),
        fc.option(fc.integer({ min: 0, max: 800 }), { nil: null }),
        (madeDay, gaps, keepDays) => {
          let now = start + madeDay * DAY;
          let partitions = madeAt(now);
          for (const gap of gaps) {
            now += gap * DAY;
            const plan = maintenancePlan('events', partitions, now, keepDays === null ? null : keepDays * DAY);
            for (const name of plan.drop) expect(at(`${boundOf(name)}T00:00:00Z`)).toBeLessThanOrEqual(now - (keepDays ?? Infinity) * DAY);
            partitions = applied(partitions, plan);
            // Every month older than asked for went, those just split off p_future too.
            const oldest = keepDays === null ? -Infinity : Math.min(now - keepDays * DAY, at(`${monthStart(now)}T00:00:00Z`));
            for (const kept of partitions.filter((p) => p.name !== FUTURE_PARTITION)) expect(at(`${upperBound(kept.description)}T00:00:00Z`)).toBeGreaterThan(oldest);
            const bounds = partitions.filter((p) => p.name !== FUTURE_PARTITION).map((p) => upperBound(p.description)!);
            for (let i = 1; i < bounds.length; i++) expect(bounds[i]).toBe(monthStart(at(`${bounds[i - 1]}T00:00:00Z`), 1));
            expect(bounds.at(-1)).toBe(monthStart(now, MONTHS_AHEAD + 1));
            expect(partitions.at(-1)!.name).toBe(FUTURE_PARTITION);
            // The month holding now is always there (the first partition also holds what is older).
            expect(bounds.some((b) => b > new Date(now).toISOString().slice(0, 10))).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
