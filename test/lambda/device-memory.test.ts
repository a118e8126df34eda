// The container's memory of the device facts it wrote: what a request still has to write.
import { describe, expect, it } from 'vitest';
import { createDeviceMemory, DEVICE_SEEN_REFRESH_MS } from '../../templates/lambda/device-memory.js';

const T = Date.parse('2026-11-28T10:00:00Z');

describe('device memory', () => {
  it('writes a device the first time, then not again until last_seen would lag a minute', () => {
    const memory = createDeviceMemory();
    const fact = { id: 'dev-1', seenAt: T };
    expect(memory.news([fact])).toEqual([fact]);
    memory.remember([fact]);
    expect(memory.news([{ id: 'dev-1', seenAt: T + 1_000 }])).toEqual([]);
    expect(memory.news([{ id: 'dev-1', seenAt: T + DEVICE_SEEN_REFRESH_MS - 1 }])).toEqual([]);
    expect(memory.news([{ id: 'dev-1', seenAt: T + DEVICE_SEEN_REFRESH_MS }])).toEqual([{ id: 'dev-1', seenAt: T + DEVICE_SEEN_REFRESH_MS }]);
    // An older reading (a replay after an outage) never moves last_seen back: nothing to write.
    expect(memory.news([{ id: 'dev-1', seenAt: T - 3_600_000 }])).toEqual([]);
  });

  it('writes at once what is new: a name, a type, a later registration', () => {
    const memory = createDeviceMemory();
    memory.remember([{ id: 'dev-1', seenAt: T, name: 'kitchen', type: 'button', registeredAt: T }]);
    expect(memory.news([{ id: 'dev-1', seenAt: T, name: 'kitchen' }])).toEqual([]);
    expect(memory.news([{ id: 'dev-1', seenAt: T, name: 'porch' }])).toHaveLength(1);
    expect(memory.news([{ id: 'dev-1', seenAt: T, type: 'sensor' }])).toHaveLength(1);
    expect(memory.news([{ id: 'dev-1', seenAt: T, registeredAt: T }])).toEqual([]);
    expect(memory.news([{ id: 'dev-1', seenAt: T, registeredAt: T + 1 }])).toHaveLength(1);
  });

  it('remembers merged facts: a later fact without a name keeps the name written before', () => {
    const memory = createDeviceMemory();
    memory.remember([{ id: 'dev-1', seenAt: T, name: 'kitchen' }]);
    memory.remember([{ id: 'dev-1', seenAt: T + 5 }]);
    expect(memory.news([{ id: 'dev-1', seenAt: T + 10, name: 'kitchen' }])).toEqual([]);
  });

  it('forgets nothing it was not told committed', () => {
    const memory = createDeviceMemory();
    const facts = [{ id: 'dev-1', seenAt: T }];
    expect(memory.news(facts)).toEqual(facts);
    expect(memory.news(facts)).toEqual(facts);
  });

  it('keeps a type written before: a later fact without one, or with the same, says nothing new', () => {
    const memory = createDeviceMemory();
    memory.remember([{ id: 'dev-1', seenAt: T, type: 'sensor-box' }]);
    expect(memory.news([{ id: 'dev-1', seenAt: T + 1 }])).toEqual([]);
    expect(memory.news([{ id: 'dev-1', seenAt: T + 1, type: 'sensor-box' }])).toEqual([]);
    memory.remember([{ id: 'dev-1', seenAt: T + 2 }]);
    expect(memory.news([{ id: 'dev-1', seenAt: T + 3, type: 'sensor-box' }])).toEqual([]);
    expect(memory.news([{ id: 'dev-1', seenAt: T + 3, type: 'other' }])).toHaveLength(1);
  });

  it('starts over past 50 000 devices, not at 50 000', () => {
    const memory = createDeviceMemory();
    const first = { id: 'dev-0', seenAt: T };
    memory.remember(Array.from({ length: 49_999 }, (_, i) => ({ id: `dev-${i}`, seenAt: T })));
    memory.remember([{ id: 'dev-49999', seenAt: T }]);
    expect(memory.news([first])).toEqual([]);
    memory.remember([{ id: 'dev-new', seenAt: T }]);
    expect(memory.news([first])).toEqual([first]);
    expect(memory.news([{ id: 'dev-new', seenAt: T }])).toEqual([]);
  });
});
