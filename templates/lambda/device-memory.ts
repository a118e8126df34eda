// What this container last wrote about each device, so a request does not write the same facts
// again: at 1 000 boards a request would otherwise upsert 1 000 device rows to move last_seen on
// by a second. A fact is written when it says something new (a name, a type, a registration) or
// when the stored last_seen would be a minute or more behind. Pure: the store keeps one per
// container and tells it what committed.

import type { DeviceFact } from './payload.js';

/** How far `last_seen` may lag behind the newest reading of a board. */
export const DEVICE_SEEN_REFRESH_MS = 60_000;
/** Devices remembered per container before it starts over (a bound on memory, not a cache policy). */
const REMEMBERED_DEVICES = 50_000;

export interface DeviceMemory {
  /** The facts that tell the table something it has not been told by this container lately. */
  news(facts: readonly DeviceFact[]): DeviceFact[];
  /** These facts are committed. */
  remember(facts: readonly DeviceFact[]): void;
}

export function createDeviceMemory(): DeviceMemory {
  const written = new Map<string, DeviceFact>();
  return {
    news: (facts) =>
      facts.filter((fact) => {
        const known = written.get(fact.id);
        return (
          !known ||
          (fact.name !== undefined && fact.name !== known.name) ||
          (fact.type !== undefined && fact.type !== known.type) ||
          (fact.registeredAt !== undefined && fact.registeredAt > (known.registeredAt ?? Number.NEGATIVE_INFINITY)) ||
          fact.seenAt - known.seenAt >= DEVICE_SEEN_REFRESH_MS
        );
      }),
    remember(facts) {
      if (written.size + facts.length > REMEMBERED_DEVICES) written.clear();
      for (const fact of facts) {
        const known = written.get(fact.id);
        const registeredAt = Math.max(fact.registeredAt ?? Number.NEGATIVE_INFINITY, known?.registeredAt ?? Number.NEGATIVE_INFINITY);
        const name = fact.name ?? known?.name;
        const type = fact.type ?? known?.type;
        written.set(fact.id, {
          id: fact.id,
          seenAt: Math.max(fact.seenAt, known?.seenAt ?? Number.NEGATIVE_INFINITY),
          ...(name !== undefined ? { name } : {}),
          ...(type !== undefined ? { type } : {}),
          ...(Number.isFinite(registeredAt) ? { registeredAt } : {}),
        });
      }
    },
  };
}
