// The hourly level sums only hours no reading can arrive in any more: the oldest reading the
// function still believes (the service keeps undelivered events 24 hours, Izuma semantics in
// connector-api.md §9) must fall in an hour that is not settled yet, at any instant of receipt.
import { describe, expect, it } from 'vitest';
import { OLDEST_SERVICE_TIME_MS, serviceTime } from '../../templates/lambda/payload.js';
import { HOUR_SECONDS, hourlySettled, readHourlyComment, settledBefore } from '../../templates/lambda/rollup-hours.js';

describe('settled hours', () => {
  it('never include the hour of a reading the function still accepts', () => {
    for (let i = 0; i < 2000; i++) {
      const receivedMs = Date.parse('2026-01-01T00:00:00Z') + Math.floor(i * 7_777_777.7);
      const oldestMs = receivedMs - OLDEST_SERVICE_TIME_MS;
      expect(serviceTime(oldestMs, receivedMs)).toBe(oldestMs);
      expect(serviceTime(oldestMs - 1, receivedMs)).toBeUndefined();
      // An hour's margin beyond that: clocks differ, and a request may still be in flight.
      expect(settledBefore(receivedMs / 1000)).toBeLessThanOrEqual(Math.floor(oldestMs / 1000 / HOUR_SECONDS) * HOUR_SECONDS - HOUR_SECONDS);
    }
  });

  it('reads back the watermark its comment holds, and nothing from another comment', () => {
    expect(readHourlyComment(hourlySettled(1_790_000_000))).toBe(1_790_000_000);
    expect(readHourlyComment('mbed-tsdb rollup: complete')).toBeNull();
    expect(readHourlyComment(null)).toBeNull();
  });
});
