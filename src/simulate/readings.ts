// What `simulate` sends: a set of boards as the service names them (32-hex device IDs, each
// with the name it gave itself), and their readings as notification items exactly as Izuma
// PUTs them (connector-api.md §9): ep, path, ct, base64 payload, max-age, and with the stack's
// serialization uid, timestamp and original-ep.

import { randomBytes } from 'node:crypto';

export interface SimulatedDevice {
  /** The device ID the service uses as `ep`. */
  id: string;
  /** The name the device gave itself (`original-ep`). */
  name: string;
}

export function simulatedDevices(count: number, random: () => Buffer = () => randomBytes(16)): SimulatedDevice[] {
  return Array.from({ length: count }, (_, i) => ({ id: random().toString('hex'), name: `sim-board-${i + 1}` }));
}

/** Readings of one resource: the button counter counts up; a temperature wanders plausibly. */
export function valueSource(resource: string, random: () => number = Math.random): (deviceIndex: number) => number {
  const state = new Map<number, number>();
  if (resource === '/3303/0/5700') {
    return (device) => {
      const last = state.get(device) ?? 18 + random() * 6;
      // A random walk of at most ±0.2 °C a reading, held between -10 and 45.
      const next = Math.min(45, Math.max(-10, last + (random() - 0.5) * 0.4));
      state.set(device, next);
      return Math.round(next * 100) / 100;
    };
  }
  return (device) => {
    const next = (state.get(device) ?? 0) + 1;
    state.set(device, next);
    return next;
  };
}

export interface Notification {
  ep: string;
  path: string;
  ct: string;
  payload: string;
  'max-age': number;
  uid?: string;
  timestamp?: number;
  'original-ep'?: string;
}

export function notification(device: SimulatedDevice, resource: string, value: number, extra: { uid: string; timestamp: number } | null): Notification {
  return {
    ep: device.id,
    path: resource,
    ct: 'text/plain',
    payload: Buffer.from(String(value)).toString('base64'),
    'max-age': 0,
    ...(extra ? { uid: extra.uid, timestamp: extra.timestamp, 'original-ep': device.name } : {}),
  };
}

/** `30s`, `10m`, `1h` → milliseconds; null when it is none of those. */
export function parseDuration(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!match) return null;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(match[1]) * unit);
}
