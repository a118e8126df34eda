// status's storage forecast (src/stack/status-data.ts), pure: when the database's storage is full
// at this week's rate, and when that is soon enough to fail. RDS stops taking writes when its
// storage is full (instance status storage-full: RDS user guide, "Amazon RDS DB instance storage",
// "Storage full"), growing only up to MaxAllocatedStorage with autoscaling on.
import { describe, expect, it } from 'vitest';
import { BYTES_PER_READING, bytesPerReading, FULL_WARNING_DAYS, storageForecast } from '../../src/stack/status-data.js';

const GB = 2 ** 30;
const MB = 2 ** 20;

describe('storage forecast', () => {
  it('a young table is charged the measured bytes per reading; one with enough readings its own', () => {
    expect(bytesPerReading(5 * MB, 100)).toBe(BYTES_PER_READING);
    expect(bytesPerReading(99_999 * 400, 99_999)).toBe(BYTES_PER_READING);
    expect(bytesPerReading(100_000 * 400, 100_000)).toBe(400);
  });

  it('says how full, how fast and when; healthy with a year left', () => {
    const use = { tableBytes: 3 * GB, usedBytes: 4 * GB, readingsPerDay: 864_000, bytesPerDay: 864_000 * 150 };
    expect(storageForecast(use, 100)).toEqual({
      ok: true,
      fullInDays: 795,
      note: 'tables 4.0 GB of 100 GB (readings 3.0 GB); 864,000 readings a day, +124 MB a day: full in 795 days',
    });
  });

  it(`fails under ${FULL_WARNING_DAYS} days left, and says what to do`, () => {
    const use = { tableBytes: 18 * GB, usedBytes: 19 * GB, readingsPerDay: 864_000, bytesPerDay: 864_000 * 150 };
    const soon = storageForecast(use, 20);
    expect(soon.ok).toBe(false);
    expect(soon.fullInDays).toBe(8);
    expect(soon.note).toMatch(/full in 8 days — RDS then takes no readings: raise the limit \(setup --max-storage\) or keep raw readings for less \(setup --keep-raw\)$/);
    // Exactly at the line: still fine; past the limit already: 0 days, not negative.
    expect(storageForecast({ ...use, usedBytes: 20 * GB - FULL_WARNING_DAYS * use.bytesPerDay }, 20)).toMatchObject({ ok: true, fullInDays: FULL_WARNING_DAYS });
    expect(storageForecast({ ...use, usedBytes: 21 * GB }, 20)).toMatchObject({ ok: false, fullInDays: 0 });
  });

  it('no readings this week: never full at this rate', () => {
    expect(storageForecast({ tableBytes: MB, usedBytes: 2 * MB, readingsPerDay: 0, bytesPerDay: 0 }, 20)).toEqual({ ok: true, fullInDays: null, note: 'tables 2 MB of 20 GB (readings 1 MB); no readings this week' });
    expect(storageForecast({ tableBytes: 512, usedBytes: 4096, readingsPerDay: 1, bytesPerDay: 150 }, 20).note).toBe('tables 4 KB of 20 GB (readings 1 KB); 1 readings a day, +0 KB a day: not full within ten years');
  });
});
