// The REST API of Izuma (formerly Pelion) Device Management — and of the 2015–2018 mbed Device
// Connector behind the legacy host — for the calls mbed-tsdb makes, each answer in words
// (statuses.ts). The OpenAPI spec in shared/reference is the authority.

import { ProxyError } from '../net/proxy-error.js';
import { UserFacingError } from '../errors.js';
import { realSleep, retry } from '../util/wait.js';
import { CHUNK_RANGE, maxChunkSize } from './batch.js';
import { subscriptionPath } from './names.js';
import type { PreSubscription } from './presubscriptions.js';
import { explainStatus, type Operation } from './statuses.js';

export interface ConnectorOptions {
  host: string;
  apiKey: string;
  timeoutMs?: number;
  /** Waits between retries; tests pass one that does not wait. */
  sleep?: (ms: number) => Promise<void>;
  fetch?: typeof fetch;
  /** Ends a request in flight (Ctrl+C): its reason is thrown. */
  signal?: AbortSignal;
}

export interface Serialization {
  type: 'v2';
  cfg?: { include_uid?: boolean; include_timestamp?: boolean; include_original_ep?: boolean; deregistrations_as_object?: boolean };
  max_chunk_size?: number;
}

export interface Callback {
  url: string;
  headers: Record<string, string>;
  serialization?: Serialization;
}

/**
 * What the webhook asks the service to add to each event: `uid` to store a redelivered reading
 * once, `timestamp` to chart it when it happened, `original-ep` for the device's own name.
 */
export const IZUMA_SERIALIZATION: Serialization = { type: 'v2', max_chunk_size: maxChunkSize(), cfg: { include_uid: true, include_timestamp: true, include_original_ep: true } };

/**
 * A serialization as the service keeps it: GET echoes the spec's defaults (max_chunk_size 10000,
 * every cfg flag false), so a registered one and its echo compare equal only once both are filled in.
 */
export function normalizedSerialization(serialization: Serialization | undefined): Serialization | null {
  if (!serialization) return null;
  const cfg = serialization.cfg ?? {};
  return {
    type: serialization.type ?? 'v2',
    max_chunk_size: serialization.max_chunk_size ?? CHUNK_RANGE.max,
    cfg: {
      deregistrations_as_object: cfg.deregistrations_as_object ?? false,
      include_uid: cfg.include_uid ?? false,
      include_timestamp: cfg.include_timestamp ?? false,
      include_original_ep: cfg.include_original_ep ?? false,
    },
  };
}

/** The 2015–2018 mbed Device Connector: no serialization, no device directory, its own answers. */
export function isLegacyConnector(host: string): boolean {
  return /^https?:\/\/api\.connector\.mbed\.com(\/|$)/i.test(host);
}

/** 200: subscribed at once. 202: accepted; the device's answer comes later as an async response. */
export type SubscribeResult = { state: 'subscribed' } | { state: 'pending'; asyncId: string };

export type Channel = 'CALLBACK' | 'WEB_SOCKET' | 'LONG_POLLING';

export interface DirectoryDevice {
  id: string;
  name: string;
  type?: string;
}

export class ConnectorError extends UserFacingError {
  override name = 'ConnectorError';
  constructor(
    message: string,
    /** The HTTP status; 0 when the service could not be reached. */
    readonly status: number,
    cause?: unknown,
    /** `callback-check`: the service's check PUT to the webhook URL did not get 200/204 (it may heal). */
    readonly reason?: 'callback-check',
  ) {
    super(message, { code: status === 0 ? 'CONNECTOR_UNREACHABLE' : 'CONNECTOR', cause });
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), status: this.status };
  }
}

const RETRIES = 3;

/** How long to wait before asking again: Retry-After in seconds or as an HTTP date, else back-off. */
export function retryAfterMs(header: string | null, fallbackMs: number, nowMs = Date.now()): number {
  if (!header) return fallbackMs;
  if (/^\d+$/.test(header.trim())) return Math.min(Number(header.trim()) * 1000, 120_000);
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.min(Math.max(0, at - nowMs), 120_000) : fallbackMs;
}

export class ConnectorClient {
  readonly host: string;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: ConnectorOptions) {
    this.host = options.host.replace(/\/+$/, '');
    this.sleep = options.sleep ?? realSleep;
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  get legacy(): boolean {
    return isLegacyConnector(this.host);
  }

  /** The registered webhook, or null when there is none. */
  async getCallback(): Promise<Callback | null> {
    const response = await this.call('GET', '/v2/notification/callback');
    if (response.status === 404) return null;
    await this.expect(response, [200], 'callback');
    const body = (await response.json()) as { url?: string; headers?: Record<string, string>; serialization?: Serialization };
    return { url: String(body.url ?? ''), headers: body.headers ?? {}, ...(body.serialization ? { serialization: body.serialization } : {}) };
  }

  /** Which kind of notification channel the key has (one at most), or null. */
  async channel(): Promise<Channel | null> {
    if (this.legacy) return (await this.getCallback()) ? 'CALLBACK' : null;
    const response = await this.call('GET', '/v2/notification/channel');
    if (response.status === 404) return null;
    await this.expect(response, [200], 'channel');
    const body = (await response.json()) as { delivery_mechanism?: string };
    return (body.delivery_mechanism as Channel | undefined) ?? null;
  }

  /**
   * Registers the webhook (replacing this key's callback, if any). The service checks the URL
   * with a PUT of `{}` first; it refuses while the key has a websocket or long-poll channel.
   */
  async registerCallback(callback: Callback): Promise<void> {
    if (callback.url.length + Object.values(callback.headers).join('').length + Object.keys(callback.headers).join('').length > 400) {
      throw new ConnectorError('the webhook URL and its headers are longer than the 400 characters the service accepts', 400);
    }
    const response = await this.call('PUT', '/v2/notification/callback', JSON.stringify(callback));
    if (response.status === 400) {
      const reason = (await response.text()).slice(0, 300).trim();
      const channel = await this.channel().catch(() => null);
      if (channel === 'WEB_SOCKET' || channel === 'LONG_POLLING') {
        const kind = channel === 'WEB_SOCKET' ? 'websocket' : 'long-poll';
        const path = channel === 'WEB_SOCKET' ? '/v2/notification/websocket' : '/v2/notification/pull';
        throw new ConnectorError(
          `this access key already has a ${kind} notification channel, and the service allows one channel per key (400): ` +
            `create another access key for mbed-tsdb, or, if nothing uses that ${kind} any more, delete it ` +
            `(curl -X DELETE ${this.host}${path} -H 'Authorization: Bearer <key>') and run setup again`,
          400,
        );
      }
      throw new ConnectorError(
        `the service could not verify the webhook ${callback.url} (400${reason ? `: ${reason}` : ''}): ` +
          'it must answer a PUT with 200 or 204; check that the API is deployed and the function is Active',
        400,
        undefined,
        'callback-check',
      );
    }
    await this.expect(response, [200, 204], 'register');
  }

  /** Removes the webhook; false when there was none. */
  async deleteCallback(): Promise<boolean> {
    const response = await this.call('DELETE', '/v2/notification/callback');
    if (response.status === 404) return false;
    await this.expect(response, [200, 204], 'unregister');
    return true;
  }

  /** The device with this ID or endpoint name in the device directory, or null (legacy: no directory). */
  async findDevice(nameOrId: string): Promise<DirectoryDevice | null> {
    if (this.legacy) return null;
    for (const filter of /^[0-9a-f]{32}$/.test(nameOrId) ? ['id__eq', 'endpoint_name__eq'] : ['endpoint_name__eq']) {
      const response = await this.call('GET', `/v3/devices/?${filter}=${encodeURIComponent(nameOrId)}&limit=2`);
      await this.expect(response, [200], 'devices');
      const body = (await response.json()) as { data?: Array<{ id?: string; endpoint_name?: string; endpoint_type?: string }> };
      const found = body.data?.find((d) => d.id);
      if (found) return { id: found.id!, name: found.endpoint_name ?? found.id!, ...(found.endpoint_type ? { type: found.endpoint_type } : {}) };
    }
    return null;
  }

  /** Subscribes a device's resource. Waits out a full request queue (429, as Retry-After says). */
  async subscribe(endpoint: string, resource: string): Promise<SubscribeResult> {
    let wait = 0;
    const response = await retry(
      async (attempt) => {
        const answer = await this.call('PUT', subscriptionPath(endpoint, resource));
        if (answer.status === 429) {
          // As long as the service says (Retry-After), else 1 s doubling.
          wait = retryAfterMs(answer.headers.get('retry-after'), 1000 * 2 ** (attempt - 1));
          await answer.body?.cancel();
          throw new ConnectorError(`subscribing ${endpoint}${resource}: ${explainStatus(429, 'subscribe', { endpoint, resource, host: this.host })}`, 429);
        }
        return answer;
      },
      {
        what: `${endpoint} to accept the subscription`,
        delay: { everyMs: 0 },
        attempts: RETRIES + 1,
        sleep: () => this.sleep(wait),
        shouldRetry: (error) => error instanceof ConnectorError && error.status === 429,
      },
    );
    if (response.status === 202) {
      const body = (await response.json().catch(() => ({}))) as { 'async-response-id'?: string };
      return { state: 'pending', asyncId: String(body['async-response-id'] ?? '') };
    }
    await this.expect(response, [200, 204], 'subscribe', { endpoint, resource });
    return { state: 'subscribed' };
  }

  /** Removes a subscription; false when it did not exist. */
  async unsubscribe(endpoint: string, resource: string): Promise<boolean> {
    const response = await this.call('DELETE', subscriptionPath(endpoint, resource));
    if (response.status === 404) return false;
    await this.expect(response, [200, 204], 'unsubscribe', { endpoint, resource });
    return true;
  }

  /** The device's subscribed resource paths; [] when it has none (or is unknown). */
  async subscriptions(endpoint: string): Promise<string[]> {
    const response = await this.call('GET', subscriptionPath(endpoint));
    if (response.status === 404) return [];
    await this.expect(response, [200], 'subscriptions', { endpoint });
    const prefix = `/subscriptions/${endpoint}`;
    return (await response.text())
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean)
      .map((line) => (line.startsWith(`${prefix}/`) ? line.slice(prefix.length) : line));
  }

  async preSubscriptions(): Promise<PreSubscription[]> {
    const response = await this.call('GET', '/v2/subscriptions');
    await this.expect(response, [200], 'rules');
    const body = (await response.json()) as unknown;
    return Array.isArray(body) ? (body as PreSubscription[]) : [];
  }

  async setPreSubscriptions(rules: PreSubscription[]): Promise<void> {
    const response = await this.call('PUT', '/v2/subscriptions', JSON.stringify(rules));
    await this.expect(response, [200, 204], 'set-rules');
  }

  private async call(method: string, path: string, body?: string): Promise<Response> {
    // A 5xx from the service itself (not the device's 502–504 on subscribe) is worth another try.
    const serviceTrouble = (status: number) => (status === 500 || status === 503) && !path.startsWith('/v2/subscriptions/');
    return retry(
      async () => {
        let response: Response;
        try {
          response = await this.fetch(`${this.host}${path}`, {
            method,
            headers: {
              authorization: `Bearer ${this.options.apiKey}`,
              accept: 'application/json, text/uri-list, text/plain',
              ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
            },
            ...(body !== undefined ? { body } : {}),
            redirect: 'error',
            signal: this.options.signal
              ? AbortSignal.any([AbortSignal.timeout(this.options.timeoutMs ?? 30_000), this.options.signal])
              : AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
          });
        } catch (error) {
          if (this.options.signal?.aborted) throw this.options.signal.reason;
          // The proxy's own words (refused, wants credentials) are the whole story: no retry.
          if (error instanceof ProxyError) throw error;
          throw new ConnectorError(`cannot reach the service at ${this.host}: ${(error as Error).message}`, 0, error);
        }
        if (serviceTrouble(response.status)) {
          // Kept whole: if this was the last attempt, its body explains the failure.
          const kept = new Response(await response.text().catch(() => ''), { status: response.status, headers: response.headers });
          throw Object.assign(new ConnectorError(`the service at ${this.host} answered ${response.status}`, response.status), { response: kept });
        }
        return response;
      },
      {
        what: `the service at ${this.host} to answer`,
        delay: { baseMs: 500, maxMs: 4000 },
        attempts: RETRIES + 1,
        sleep: this.sleep,
        shouldRetry: (error) => error instanceof ConnectorError && (error.status === 0 || serviceTrouble(error.status)),
      },
    ).catch((error: unknown) => {
      // Out of attempts on a 5xx: hand the last answer on, to be explained like any other.
      const last = (error as { response?: Response }).response;
      if (last) return last;
      throw error;
    });
  }

  private async expect(response: Response, ok: number[], operation: Operation, about: { endpoint?: string; resource?: string } = {}): Promise<void> {
    if (ok.includes(response.status)) return;
    const text = (await response.text().catch(() => '')).trim();
    // The service's own message, without its JSON wrapping.
    let detail = text;
    try {
      const parsed = JSON.parse(text) as { message?: unknown };
      if (typeof parsed.message === 'string') detail = parsed.message;
    } catch {
      // plain text
    }
    const subject = about.endpoint ? `${about.endpoint}${about.resource ?? ''}: ` : '';
    throw new ConnectorError(`${subject}${explainStatus(response.status, operation, { ...about, host: this.host })}${detail ? ` [${detail.slice(0, 200)}]` : ''}`, response.status);
  }
}
