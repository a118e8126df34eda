// A local stand-in for the Izuma (formerly Pelion) Device Management REST API, built from its
// OpenAPI spec (shared/reference/pelion_dm_public_openapi.yaml) and connector-api.md §9:
// bearer access keys, one notification channel per key (a callback or a websocket, never
// both), callback verification by a real PUT of `{}`, subscriptions answered 202 with their
// outcome delivered later as `async-responses`, 429 with Retry-After, the device directory,
// and a delivery queue that redelivers a batch until it is answered 2xx — one batch at a
// time, back-off 1 s doubling to 2 min, the callback deleted after 24 h of failures — on a
// virtual clock. The 2015–2018 mbed Device Connector's differences (a synchronous 412 when no
// channel exists, rules that drop subscriptions, text errors) stay behind flavour 'connector'.

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type EndpointState = 'online' | 'sleeping' | 'busy' | 'offline';

export interface Device {
  /** Izuma's device ID: 32 hex digits (legacy Connector: any endpoint name). */
  id: string;
  /** The name the device gave itself (`original-ep`). */
  name: string;
  type: string;
  resources: Map<string, { observable: boolean }>;
  state: EndpointState;
  /** What the device answers a subscription with, delivered later as an async response. */
  subscribeOutcome?: { status: number; error?: string };
  /** Subscription requests a sleeping (queue-mode) device answers when it next wakes. */
  held: Array<{ key: string; id: string; path: string }>;
}

export interface Serialization {
  type?: string;
  max_chunk_size?: number;
  cfg?: { include_uid?: boolean; include_timestamp?: boolean; include_original_ep?: boolean; deregistrations_as_object?: boolean };
}

export interface Callback {
  url: string;
  headers: Record<string, string>;
  serialization?: Serialization;
}

/** One event in a channel's queue, as the service keeps it before serializing it. */
export interface QueuedEvent {
  kind: 'notifications' | 'registrations' | 'reg-updates' | 'async-responses';
  item: Record<string, unknown>;
  uid: string;
  /** Epoch ms on the fake's clock: when the service received it. */
  timestamp: number;
  ep?: string;
}

export interface Delivery {
  at: number;
  status: number;
  body: string;
  answer: string;
  items: number;
}

interface Account {
  callback: Callback | null;
  /** Another kind of channel on this key (a websocket, or long polling). */
  otherChannel: 'WEB_SOCKET' | 'LONG_POLLING' | null;
  subscriptions: Map<string, Set<string>>;
  preSubscriptions: unknown[];
  queue: QueuedEvent[];
  /** When deliveries started failing without a success since; null while they succeed. */
  failingSince: number | null;
  backoffMs: number;
  nextAttemptAt: number;
  deliveries: Delivery[];
  /** What the callback was deleted for, if it was. */
  deleted?: string;
  /** Not an access key (a user session token): every call is 403. */
  forbidden?: boolean;
  /**
   * The service (or the gateway in front of it) answering `status` to the next `times` calls of
   * these methods (on this path; after `skip` of them went through): 429 with Retry-After, or a
   * 502/503/504 from a gateway.
   */
  unavailable?: { status: 429 | 502 | 503 | 504; times: number; methods?: string[]; path?: string; skip?: number };
}

export interface FakeRequest {
  method: string;
  path: string;
  body: string;
  query: string;
}

export interface ConnectorFake {
  url: string;
  requests: FakeRequest[];
  /** The client port of every connection made to it: through a proxy, the proxy's side of the tunnel. */
  remotePorts: number[];
  /** Milliseconds; the delivery queue's time. */
  clock: { now: number };
  account(key: string): Account;
  /** A device the account has (registered, unless `registered: false`). */
  addEndpoint(
    id: string,
    options?: { name?: string; type?: string; resources?: Record<string, { observable?: boolean }>; state?: EndpointState; subscribeOutcome?: Device['subscribeOutcome'] },
  ): Device;
  device(id: string): Device | undefined;
  /** A device's value changes: queued for the key's channel (with uid and timestamp). */
  publish(key: string, items: Array<{ ep: string; path: string; value: string }>): QueuedEvent[];
  /** A device registers: a `registrations` event, and the pre-subscription rules applied. */
  register(key: string, id: string): void;
  /** A sleeping device wakes: it answers the subscription requests held for it. */
  wake(id: string): void;
  /**
   * Delivers what is queued, as the service does, until the queue is empty or `untilMs` of
   * virtual time has passed. Returns the deliveries made.
   */
  deliver(key: string, options?: { untilMs?: number }): Promise<Delivery[]>;
  /** Makes the next n deliveries lose their answer (a timeout after the webhook acted). */
  loseAnswers(key: string, n: number): void;
  /** publish + deliver, for tests of one reading: the last delivery. */
  notify(key: string, items: Array<{ ep: string; path: string; value: string }>): Promise<{ status: number; body: string }>;
  close(): Promise<void>;
}

/** The 20 s the service waits for an answer, and its back-off: 1 s doubling to 2 min. */
export const DELIVERY_TIMEOUT_MS = 20_000;
export const MAX_BACKOFF_MS = 120_000;
/** A callback that keeps failing this long is deleted, with its queue. */
export const GIVE_UP_MS = 24 * 60 * 60_000;

export async function startConnectorFake(options: { keys: string[]; flavour?: 'izuma' | 'pelion' | 'connector'; chunkSize?: number }): Promise<ConnectorFake> {
  const legacy = options.flavour === 'connector';
  const accounts = new Map<string, Account>(
    options.keys.map((key) => [
      key,
      { callback: null, otherChannel: null, subscriptions: new Map(), preSubscriptions: [], queue: [], failingSince: null, backoffMs: 1000, nextAttemptAt: 0, deliveries: [] },
    ]),
  );
  const devices = new Map<string, Device>();
  const requests: FakeRequest[] = [];
  // Starts at the wall clock: the CLI's chart and status read against real time.
  const clock = { now: Math.floor(Date.now() / 60_000) * 60_000 };
  const losing = new Map<string, number>();

  const reply = (response: ServerResponse, status: number, body?: unknown, type = 'application/json', headers: Record<string, string> = {}): void => {
    if (body === undefined) {
      response.writeHead(status, headers).end();
      return;
    }
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    response.writeHead(status, { 'content-type': type, ...headers }).end(text);
  };
  const error = (response: ServerResponse, status: number, type: string, message: string, headers: Record<string, string> = {}): void =>
    legacy
      ? reply(response, status, message, 'text/plain', headers)
      : reply(response, status, { object: 'error', code: status, type, message, request_id: randomUUID().replace(/-/g, '') }, 'application/json', headers);

  async function verify(callback: Callback): Promise<string | null> {
    try {
      const response = await fetch(callback.url, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', ...callback.headers },
        body: '{}',
        redirect: 'manual',
        signal: AbortSignal.timeout(5000),
      });
      await response.body?.cancel();
      return response.status === 200 || response.status === 204 ? null : `the URL answered ${response.status}`;
    } catch (e) {
      return `the URL could not be reached: ${(e as Error).message}`;
    }
  }

  /**
   * A callback as GET shows it: the serialization with the spec's defaults filled in
   * (SerializationConfigData: max_chunk_size 10000; SerializationConfigObjectV2: every cfg flag
   * false unless set), not as it was registered.
   */
  const echoed = (callback: Callback): Callback => {
    if (!callback.serialization || legacy) return callback;
    const { cfg = {}, ...rest } = callback.serialization;
    return {
      ...callback,
      serialization: {
        type: 'v2',
        max_chunk_size: 10_000,
        ...rest,
        cfg: { deregistrations_as_object: false, include_uid: false, include_timestamp: false, include_original_ep: false, ...cfg },
      },
    };
  };

  const enqueue = (account: Account, event: Omit<QueuedEvent, 'uid' | 'timestamp'>): QueuedEvent => {
    const queued = { ...event, uid: randomUUID(), timestamp: clock.now };
    // Without a channel there is nobody to deliver to; the service keeps nothing for it.
    if (account.callback) account.queue.push(queued);
    return queued;
  };

  /** The device's answer to a subscription: in place when accepted, and its outcome queued as an async response. */
  const answerSubscription = (account: Account, device: Device, id: string, path: string): void => {
    const resource = device.resources.get(path);
    const outcome = device.subscribeOutcome ?? (!resource ? { status: 404, error: 'NOT_FOUND' } : !resource.observable ? { status: 412, error: 'PRECONDITION_FAILED' } : { status: 200 });
    if (outcome.status === 200) account.subscriptions.set(device.id, new Set([...(account.subscriptions.get(device.id) ?? []), path]));
    enqueue(account, { kind: 'async-responses', item: { id, status: outcome.status, ...(outcome.error ? { error: outcome.error } : {}), ct: 'text/plain', 'max-age': 0, payload: '' }, ep: device.id });
  };

  /** Pre-subscription rules: endpoint-name (a trailing * matches a prefix) and resource-path. */
  const ruleMatches = (rule: Record<string, unknown>, device: Device, path: string): boolean => {
    const match = (pattern: unknown, value: string) =>
      pattern === undefined || (typeof pattern === 'string' && (pattern.endsWith('*') ? value.startsWith(pattern.slice(0, -1)) : pattern === value));
    const paths = rule['resource-path'] as string[] | undefined;
    return match(rule['endpoint-name'], device.id) && match(rule['endpoint-type'], device.type) && (!paths || paths.some((p) => match(p, path)));
  };

  /** One event as the serialization asks: uid, timestamp and original-ep only when configured. */
  const serialize = (event: QueuedEvent, cfg: Serialization['cfg'] = {}): Record<string, unknown> => {
    const device = event.ep ? devices.get(event.ep) : undefined;
    return {
      ...event.item,
      ...(cfg.include_uid ? { uid: event.uid } : {}),
      // The spec names no format; Izuma sends epoch milliseconds.
      ...(cfg.include_timestamp ? { timestamp: event.timestamp } : {}),
      ...(cfg.include_original_ep && device && event.kind !== 'async-responses' ? { 'original-ep': device.name } : {}),
    };
  };

  async function attempt(key: string, account: Account): Promise<Delivery | null> {
    const callback = account.callback;
    if (!callback || account.queue.length === 0) return null;
    // At most max_chunk_size (default 10000); a test may make the service send fewer.
    const size = Math.min(callback.serialization?.max_chunk_size ?? 10_000, options.chunkSize ?? Infinity);
    const batch = account.queue.slice(0, size);
    const message: Record<string, Array<Record<string, unknown>>> = {};
    for (const event of batch) (message[event.kind] ??= []).push(serialize(event, callback.serialization?.cfg));
    const body = JSON.stringify(message);
    let status = 0;
    let answer = '';
    try {
      const response = await fetch(callback.url, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', ...callback.headers },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      });
      status = response.status;
      answer = await response.text();
    } catch (e) {
      answer = String((e as Error).message);
    }
    const lost = losing.get(key) ?? 0;
    if (lost > 0) {
      // The webhook acted, but its answer never arrived: a timeout, as far as the service knows.
      losing.set(key, lost - 1);
      status = 0;
      answer = 'timeout (answer lost)';
      clock.now += DELIVERY_TIMEOUT_MS;
    }
    const delivery = { at: clock.now, status, body, answer, items: batch.length };
    account.deliveries.push(delivery);
    if (status >= 200 && status < 300) {
      account.queue.splice(0, batch.length);
      account.failingSince = null;
      account.backoffMs = 1000;
      account.nextAttemptAt = clock.now;
    } else {
      account.failingSince ??= delivery.at;
      account.nextAttemptAt = clock.now + account.backoffMs;
      account.backoffMs = Math.min(account.backoffMs * 2, MAX_BACKOFF_MS);
      if (clock.now - account.failingSince >= GIVE_UP_MS) {
        account.deleted = `deliveries failed for 24 hours (last: ${status || answer})`;
        account.callback = null;
        account.queue.length = 0;
      }
    }
    return delivery;
  }

  async function handle(request: IncomingMessage, response: ServerResponse, body: string): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://fake');
    const method = request.method ?? 'GET';
    requests.push({ method, path: url.pathname, body, query: url.search });
    const key = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    const account = key ? accounts.get(key) : undefined;
    if (!account) return error(response, 401, 'unauthorized', 'Invalid access token.');
    if (account.forbidden) return error(response, 403, 'forbidden', 'Access is denied.');
    const outage = account.unavailable;
    if (outage && outage.times > 0 && (!outage.methods || outage.methods.includes(method)) && (!outage.path || outage.path === url.pathname) && !(outage.skip && outage.skip-- > 0)) {
      outage.times -= 1;
      const words = { 429: 'Too many requests.', 502: 'Bad gateway.', 503: 'Service unavailable.', 504: 'Gateway timeout.' }[outage.status];
      return error(response, outage.status, 'unavailable', words, outage.status === 429 || outage.status === 503 ? { 'retry-after': '2' } : {});
    }
    const json = () => {
      if (!String(request.headers['content-type'] ?? '').startsWith('application/json')) return { ok: false as const };
      try {
        return { ok: true as const, value: JSON.parse(body) as unknown };
      } catch {
        return { ok: false as const };
      }
    };

    if (url.pathname === '/v2/notification/channel' && !legacy) {
      if (account.callback) return reply(response, 200, { delivery_mechanism: 'CALLBACK' });
      if (account.otherChannel) return reply(response, 200, { delivery_mechanism: account.otherChannel });
      return error(response, 404, 'not_found', 'Channel was not found.');
    }
    if (url.pathname === '/v2/notification/websocket' && method === 'DELETE' && !legacy) {
      if (account.otherChannel !== 'WEB_SOCKET') return error(response, 404, 'not_found', "Websocket channel doesn't exist.");
      account.otherChannel = null;
      return reply(response, 204);
    }
    if (url.pathname === '/v2/notification/pull' && method === 'DELETE' && !legacy) {
      if (account.otherChannel !== 'LONG_POLLING') return error(response, 404, 'not_found', 'Channel not found.');
      account.otherChannel = null;
      return reply(response, 204);
    }

    if (url.pathname === '/v2/notification/callback') {
      if (method === 'GET') return account.callback ? reply(response, 200, echoed(account.callback)) : error(response, 404, 'not_found', 'The callback URL does not exist.');
      if (method === 'DELETE') {
        if (!account.callback) return error(response, 404, 'not_found', 'Callback URL does not exist.');
        account.callback = null;
        // Deleting the callback removes its queue: undelivered events are lost.
        account.queue.length = 0;
        if (legacy) account.subscriptions.clear();
        return reply(response, 204);
      }
      if (method === 'PUT') {
        const parsed = json();
        if (!parsed.ok) return error(response, 415, 'unsupported_media_type', 'Unsupported Media Type.');
        const value = parsed.value as { url?: unknown; headers?: unknown; serialization?: unknown };
        const headers = (value.headers ?? {}) as Record<string, string>;
        if (typeof value.url !== 'string' || !/^https?:\/\//.test(value.url)) return error(response, 400, 'validation_error', 'url must be http or https');
        if (typeof headers !== 'object' || Object.values(headers).some((h) => typeof h !== 'string')) {
          return error(response, 400, 'validation_error', 'headers must map strings to strings');
        }
        const length = value.url.length + Object.keys(headers).join('').length + Object.values(headers).join('').length;
        if (length > 400) return error(response, 400, 'validation_error', 'url and headers longer than 400 characters');
        // One channel per key: another kind must be deleted first.
        if (account.otherChannel) return error(response, 400, 'validation_error', 'Other type of channel already exists.');
        const serialization = value.serialization as Serialization | undefined;
        if (serialization !== undefined && (legacy || serialization.type !== 'v2')) return error(response, 400, 'validation_error', 'Unsupported serialization.');
        const chunk = serialization?.max_chunk_size;
        if (chunk !== undefined && (!Number.isInteger(chunk) || chunk < 100 || chunk > 10_000)) return error(response, 400, 'validation_error', 'max_chunk_size must be 100 to 10000.');
        const problem = await verify({ url: value.url, headers });
        if (problem) return error(response, 400, 'validation_error', `Given URL is not accessible: ${problem}`);
        const replacing = account.callback;
        account.callback = { url: value.url, headers, ...(serialization ? { serialization } : {}) };
        if (!replacing) {
          account.failingSince = null;
          account.backoffMs = 1000;
        }
        return reply(response, 204);
      }
      return error(response, 405, 'method_not_allowed', 'Method not allowed');
    }

    if (url.pathname === '/v3/devices/' || url.pathname === '/v3/devices') {
      if (legacy) return error(response, 404, 'not_found', 'Not found');
      if (method !== 'GET') return error(response, 405, 'method_not_allowed', 'Method not allowed');
      const name = url.searchParams.get('endpoint_name__eq');
      const id = url.searchParams.get('id__eq');
      const data = [...devices.values()]
        .filter((d) => (name === null || d.name === name) && (id === null || d.id === id))
        .map((d) => ({ object: 'device', id: d.id, endpoint_name: d.name, endpoint_type: d.type, state: 'registered' }));
      return reply(response, 200, { object: 'list', data, has_more: false, limit: Number(url.searchParams.get('limit') ?? 50), order: 'ASC' });
    }

    if (url.pathname === '/v2/subscriptions') {
      if (method === 'GET') return reply(response, 200, account.preSubscriptions);
      if (method === 'PUT') {
        const parsed = json();
        if (!parsed.ok) return error(response, 400, 'validation_error', 'Body must be a JSON array');
        const rules = parsed.value;
        const valid =
          Array.isArray(rules) &&
          rules.length <= 1024 &&
          rules.every(
            (r) =>
              typeof r === 'object' &&
              r !== null &&
              Object.keys(r).every((k) => ['endpoint-name', 'endpoint-type', 'resource-path'].includes(k)) &&
              (r['endpoint-name'] === undefined || (typeof r['endpoint-name'] === 'string' && r['endpoint-name'].length <= 64)) &&
              (r['endpoint-type'] === undefined || (typeof r['endpoint-type'] === 'string' && r['endpoint-type'].length <= 64)) &&
              (r['resource-path'] === undefined ||
                (Array.isArray(r['resource-path']) && r['resource-path'].length >= 1 && r['resource-path'].every((p: unknown) => typeof p === 'string' && p.length <= 128))),
          );
        if (!valid) return error(response, 400, 'validation_error', 'Malformed pre-subscription rules');
        account.preSubscriptions = rules as unknown[];
        // The legacy Connector deleted every subscription when the rules changed.
        if (legacy) account.subscriptions.clear();
        return reply(response, 204);
      }
      return error(response, 405, 'method_not_allowed', 'Method not allowed');
    }

    const match = /^\/v2\/subscriptions\/([^/]+)(\/.*)?$/.exec(url.pathname);
    if (match) {
      const ep = decodeURIComponent(match[1]!);
      const path = match[2] ? match[2].replace(/\/+$/, '') : undefined;
      const device = devices.get(ep);
      const subscribed = account.subscriptions.get(ep) ?? new Set<string>();
      if (path === undefined) {
        if (method === 'GET') {
          if (!device || subscribed.size === 0) return error(response, 404, 'not_found', 'Not found');
          const lines = [...subscribed].map((p) => (legacy ? `/subscriptions/${ep}${p}` : p));
          return reply(response, 200, `${lines.join('\n')}\n`, 'text/uri-list');
        }
        if (method === 'DELETE') {
          if (!device && legacy) return error(response, 404, 'not_found', 'Not found');
          account.subscriptions.delete(ep);
          return reply(response, 204);
        }
        return error(response, 405, 'method_not_allowed', 'Method not allowed');
      }
      if (method === 'GET') return subscribed.has(path) ? reply(response, 200, `/subscriptions/${ep}${path}\n`, 'text/uri-list') : error(response, 404, 'not_found', 'Resource is not subscribed.');
      if (method === 'DELETE') {
        if (!subscribed.has(path) && legacy) return error(response, 404, 'not_found', 'Not found');
        subscribed.delete(path);
        return reply(response, 204);
      }
      if (method === 'PUT') {
        if (legacy) {
          // The 2016 Connector: a synchronous 412 without a channel, and the device's answer at once.
          if (!account.callback) return error(response, 412, 'precondition_failed', 'No notification channel');
          if (!device || !device.resources.has(path)) return error(response, 404, 'not_found', 'Endpoint or resource not found');
          if (!device.resources.get(path)!.observable) return error(response, 412, 'precondition_failed', 'Resource is not observable');
          if (device.state === 'busy') return error(response, 429, 'too_many_requests', 'Endpoint queue is full');
          if (device.state === 'offline') return error(response, 502, 'bad_gateway', 'Endpoint not connected');
          subscribed.add(path);
          account.subscriptions.set(ep, subscribed);
          if (device.state === 'sleeping') return reply(response, 202, { 'async-response-id': randomUUID() });
          return reply(response, 200);
        }
        // Izuma: the device's own refusal (not observable, no such resource, timeout) arrives
        // only later, as an async response; the request itself is accepted with 202.
        if (ep.includes('*')) return error(response, 400, 'validation_error', 'Wildcards are not allowed in the device ID.');
        if (!device) return error(response, 404, 'not_found', 'Endpoint or its resource not found.');
        if (device.state === 'busy') return error(response, 429, 'too_many_requests', 'Cannot accept the request at the moment: the queue is full.', { 'retry-after': '2' });
        if (device.state === 'offline') return error(response, 502, 'bad_gateway', 'Subscription failed: endpoint not connected.');
        const id = randomUUID();
        // A sleeping (queue-mode) device answers when it next wakes: until then it is pending.
        if (device.state === 'sleeping') device.held.push({ key: key!, id, path });
        else answerSubscription(account, device, id, path);
        return reply(response, 202, { 'async-response-id': id });
      }
      return error(response, 405, 'method_not_allowed', 'Method not allowed');
    }
    return error(response, 404, 'not_found', 'Not found');
  }

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      handle(request, response, Buffer.concat(chunks).toString('utf8')).catch((e: unknown) => reply(response, 500, { error: String(e) }));
    });
  });
  const remotePorts: number[] = [];
  server.on('connection', (socket) => remotePorts.push(socket.remotePort ?? 0));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const accountOf = (key: string) => {
    const account = accounts.get(key);
    if (!account) throw new Error(`no account for key ${key}`);
    return account;
  };

  const fake: ConnectorFake = {
    url: `http://127.0.0.1:${port}`,
    requests,
    remotePorts,
    clock,
    account: accountOf,
    addEndpoint(id, endpointOptions = {}) {
      const resources = new Map(
        Object.entries(endpointOptions.resources ?? { '/3200/0/5501': {} }).map(([path, o]) => [path, { observable: o.observable ?? true }]),
      );
      const device: Device = {
        id,
        name: endpointOptions.name ?? id,
        type: endpointOptions.type ?? 'mbed-os-example',
        resources,
        state: endpointOptions.state ?? 'online',
        ...(endpointOptions.subscribeOutcome ? { subscribeOutcome: endpointOptions.subscribeOutcome } : {}),
        held: [],
      };
      devices.set(id, device);
      return device;
    },
    device: (id) => devices.get(id),
    publish(key, items) {
      const account = accountOf(key);
      // Only subscribed resources send notifications.
      return items
        .filter((i) => account.subscriptions.get(i.ep)?.has(i.path))
        .map((i) => enqueue(account, { kind: 'notifications', item: { ep: i.ep, path: i.path, ct: 'text/plain', payload: Buffer.from(i.value).toString('base64'), 'max-age': 0 }, ep: i.ep }));
    },
    wake(id) {
      const device = devices.get(id);
      if (!device) throw new Error(`no device ${id}`);
      device.state = 'online';
      for (const held of device.held.splice(0)) answerSubscription(accountOf(held.key), device, held.id, held.path);
    },
    register(key, id) {
      const account = accountOf(key);
      const device = devices.get(id);
      if (!device) throw new Error(`no device ${id}`);
      const resources = [...device.resources].map(([path, r]) => ({ path, obs: r.observable, ct: 'text/plain', rt: 'sensor' }));
      enqueue(account, { kind: 'registrations', item: { ep: id, ept: device.type, q: device.state === 'sleeping', resources }, ep: id });
      // A full registration drops direct subscriptions; the rules apply again.
      const subscribed = new Set<string>();
      for (const [path, r] of device.resources) {
        if (r.observable && account.preSubscriptions.some((rule) => ruleMatches(rule as Record<string, unknown>, device, path))) subscribed.add(path);
      }
      account.subscriptions.set(id, subscribed);
    },
    async deliver(key, deliverOptions = {}) {
      const account = accountOf(key);
      const until = deliverOptions.untilMs === undefined ? Infinity : clock.now + deliverOptions.untilMs;
      const made: Delivery[] = [];
      while (account.callback && account.queue.length > 0) {
        if (account.nextAttemptAt > clock.now) {
          if (account.nextAttemptAt > until) {
            clock.now = until;
            break;
          }
          clock.now = account.nextAttemptAt;
        }
        const delivery = await attempt(key, account);
        if (delivery) made.push(delivery);
        if (clock.now >= until) break;
      }
      return made;
    },
    loseAnswers(key, n) {
      losing.set(key, (losing.get(key) ?? 0) + n);
    },
    async notify(key, items) {
      const account = accountOf(key);
      if (!account.callback) throw new Error('no callback registered');
      fake.publish(key, items);
      const made = await fake.deliver(key, { untilMs: 0 });
      const last = made.at(-1) ?? account.deliveries.at(-1)!;
      return { status: last.status, body: last.answer };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return fake;
}
