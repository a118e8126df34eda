// A chart's series from its buckets' values (src/db/series.ts seriesOf), pure: what an empty
// bucket shows for each aggregate, and what the series says it was asked.
import { describe, expect, it } from 'vitest';
import { planSeries, seriesOf, type SeriesRequest } from '../../src/db/series.js';
import { emptyValues } from '../../src/db/series-buckets.js';
import { mergeRollupRows } from '../../src/db/series-rollup.js';

const at = (iso: string) => Date.parse(iso) / 1000;
const request = (over: Partial<SeriesRequest> = {}): SeriesRequest => ({ since: at('2026-12-01T00:00:00Z'), until: at('2026-12-01T03:00:00Z'), bucket: 'hour', tz: 'UTC', agg: 'sum', table: 'events', ...over });

describe('seriesOf', () => {
  it('an empty bucket counts 0 rows: a count of 0, no value for the other aggregates', () => {
    for (const agg of ['count', 'sum', 'avg', 'min', 'max'] as const) {
      const r = request({ agg });
      const { buckets } = planSeries(r);
      const values = emptyValues(buckets.length);
      values.n[1] = 2;
      values.v[1] = 7;
      const points = seriesOf(r, buckets, values).points;
      expect(points.map((p) => [p.value, p.count])).toEqual([
        [agg === 'count' ? 0 : null, 0],
        [7, 2],
        [agg === 'count' ? 0 : null, 0],
      ]);
    }
  });

  it('says what it was asked: the board, the devices it stands for beside itself, and the sensor', () => {
    const r = request({ board: 'kitchen', boardIds: ['kitchen', '0123abcd'], sensor: '/3200/0/5501' });
    const { buckets } = planSeries(r);
    const series = seriesOf(r, buckets, emptyValues(buckets.length));
    expect(series).toMatchObject({ table: 'events', agg: 'sum', bucket: 'hour', tz: 'UTC', since: '2026-12-01T00:00:00.000Z', until: '2026-12-01T03:00:00.000Z', board: 'kitchen', boardIds: ['0123abcd'], sensor: '/3200/0/5501' });
    const plain = seriesOf(request(), buckets, emptyValues(buckets.length));
    expect(plain).toMatchObject({ board: null, sensor: null });
    expect(plain).not.toHaveProperty('boardIds');
    expect(plain.points.map((p) => [p.start, p.end])).toEqual([
      ['2026-12-01T00:00:00.000Z', '2026-12-01T01:00:00.000Z'],
      ['2026-12-01T01:00:00.000Z', '2026-12-01T02:00:00.000Z'],
      ['2026-12-01T02:00:00.000Z', '2026-12-01T03:00:00.000Z'],
    ]);
  });
});

describe('mergeRollupRows', () => {
  it('a part’s row that counts no rows leaves its bucket empty', () => {
    for (const agg of ['sum', 'min', 'count'] as const) {
      const r = request({ agg });
      const { buckets } = planSeries(r);
      const key = (i: number) => Math.floor(buckets[i]!.start / 3600); // the local hour number (UTC here), offset 0
      const merged = mergeRollupRows(r, buckets, [[{ k: key(0), n: 2, v: 5 }, { k: key(1), n: 0, v: null }], [{ k: key(0), n: 1, v: 1 }]]);
      expect([...merged.n]).toEqual([3, 0, 0]);
      expect(Number.isNaN(merged.v[1]!)).toBe(true);
      expect(merged.v[0]).toBe(agg === 'sum' ? 6 : agg === 'min' ? 1 : 3);
    }
  });
});

describe('planSeries across two offset changes', () => {
  it('gives each stretch of the range its own offset, in order', () => {
    const plan = planSeries(request({ since: at('2026-03-01T00:00:00Z'), until: at('2026-12-01T00:00:00Z'), tz: 'America/New_York' }));
    expect(plan.sql).toContain('CASE WHEN `ts` < ? THEN ? WHEN `ts` < ? THEN ? ELSE ? END');
    const offsets = plan.values.slice(0, 5);
    expect(offsets).toEqual(['2026-03-08 07:00:00', -18000, '2026-11-01 06:00:00', -14400, -18000]);
  });
});
