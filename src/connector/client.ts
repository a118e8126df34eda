// The Connector REST API (mbed Device Connector / Mbed Cloud / Pelion / Izuma): the calls
// mbed-tsdb makes, with each documented answer turned into words (connector-api.md).

import { UserFacingError } from '../errors.js';
import type { PreSubscription } from './presubscriptions.js';
import { subscriptionPath } from './names.js';
import { realSleep, retry } from '../util/wait.js';

export interface ConnectorOptions {
  host: string;
  apiKey: string;
  timeoutMs?: number;
  /** Waits between retries; tests pass one that does not wait. */
  sleep?: (ms: number) => Promise<void>;
  fetch?: typeof fetch;
}

export interface Callback {
  url: string;
  headers: Record<string, string>;
}

export type SubscribeResult = { state: 'subscribed' } | { state: 'queued'; asyncId: string };

export class ConnectorError extends UserFacingError {
  override name = 'ConnectorError';
  constructor(
    message: string,
    /** The HTTP status; 0 when the Connector could not be reached. */
    readonly status: number,
    cause?: unknown,
  ) {
    super(message, { code: status === 0 ? 'CONNECTOR_UNREACHABLE' : 'CONNECTOR', cause });
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), status: this.status };
  }
}

const RETRIES = 3;

export class ConnectorClient {
  private readonly host: string;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: ConnectorOptions) {
    this.host = options.host.replace(/\/+$/, '');
    this.sleep = options.sleep ?? realSleep;
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  /** The registered webhook, or null when there is none. */
  async getCallback(): Promise<Callback | null> {
    const response = await this.call('GET', '/v2/notification/callback');
    if (response.status === 404) return null;
    await this.expect(response, [200], 'reading the webhook');
    const body = (await response.json()) as { url?: string; headers?: Record<string, string> };
    return { url: String(body.url ?? ''), headers: body.headers ?? {} };
  }

  /** Registers (or replaces: one per key) the webhook. The service checks the URL with a PUT first. */
  async registerCallback(callback: Callback): Promise<void> {
    if (callback.url.length + Object.values(callback.headers).join('').length + Object.keys(callback.headers).join('').length > 400) {
      throw new ConnectorError('the webhook URL and its headers are longer than the 400 characters the Connector accepts', 400);
    }
    const response = await this.call('PUT', '/v2/notification/callback', JSON.stringify(callback));
    if (response.status === 400) {
      const reason = (await response.text()).slice(0, 300).trim();
      throw new ConnectorError(
        `the Connector could not verify the webhook ${callback.url} (400${reason ? `: ${reason}` : ''}): ` +
          'it must answer a PUT with 200 or 204; check that the API is deployed and the function is Active',
        400,
      );
    }
    await this.expect(response, [200, 204], 'registering the webhook');
  }

  /** Removes the webhook; false when there was none. */
  async deleteCallback(): Promise<boolean> {
    const response = await this.call('DELETE', '/v2/notification/callback');
    if (response.status === 404) return false;
    await this.expect(response, [200, 204], 'removing the webhook');
    return true;
  }

  /** Subscribes an endpoint's resource. Retries while the endpoint is busy (429). */
  async subscribe(endpoint: string, resource: string): Promise<SubscribeResult> {
    const response = await retry(
      async () => {
        const answer = await this.call('PUT', subscriptionPath(endpoint, resource));
        if (answer.status === 429) {
          await answer.body?.cancel();
          throw new ConnectorError(`subscribing ${endpoint}${resource}: ${explainStatus(429, { endpoint, resource }, this.host)}`, 429);
        }
        return answer;
      },
      {
        what: `${endpoint} to accept the subscription`,
        delay: { baseMs: 1000, maxMs: 8000 },
        attempts: RETRIES + 1,
        sleep: this.sleep,
        shouldRetry: (error) => error instanceof ConnectorError && error.status === 429,
      },
    );
    if (response.status === 202) {
      const body = (await response.json().catch(() => ({}))) as { 'async-response-id'?: string };
      return { state: 'queued', asyncId: String(body['async-response-id'] ?? '') };
    }
    await this.expect(response, [200, 204], `subscribing ${endpoint}${resource}`, { endpoint, resource });
    return { state: 'subscribed' };
  }

  /** Removes a subscription; false when it did not exist. */
  async unsubscribe(endpoint: string, resource: string): Promise<boolean> {
    const response = await this.call('DELETE', subscriptionPath(endpoint, resource));
    if (response.status === 404) return false;
    await this.expect(response, [200, 204], `unsubscribing ${endpoint}${resource}`, { endpoint, resource });
    return true;
  }

  /** The endpoint's subscribed resource paths; [] when it has none (or is unknown). */
  async subscriptions(endpoint: string): Promise<string[]> {
    const response = await this.call('GET', subscriptionPath(endpoint));
    if (response.status === 404) return [];
    await this.expect(response, [200], `listing the subscriptions of ${endpoint}`, { endpoint });
    const prefix = `/subscriptions/${endpoint}`;
    return (await response.text())
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean)
      .map((line) => (line.startsWith(`${prefix}/`) ? line.slice(prefix.length) : line));
  }

  async preSubscriptions(): Promise<PreSubscription[]> {
    const response = await this.call('GET', '/v2/subscriptions');
    await this.expect(response, [200], 'reading the pre-subscription rules');
    const body = (await response.json()) as unknown;
    return Array.isArray(body) ? (body as PreSubscription[]) : [];
  }

  async setPreSubscriptions(rules: PreSubscription[]): Promise<void> {
    const response = await this.call('PUT', '/v2/subscriptions', JSON.stringify(rules));
    await this.expect(response, [200, 204], 'writing the pre-subscription rules');
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
            signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
          });
        } catch (error) {
          throw new ConnectorError(`cannot reach the Connector at ${this.host}: ${(error as Error).message}`, 0, error);
        }
        if (serviceTrouble(response.status)) {
          // Kept whole: if this was the last attempt, its body explains the failure.
          const kept = new Response(await response.text().catch(() => ''), { status: response.status, headers: response.headers });
          throw Object.assign(new ConnectorError(`the Connector at ${this.host} answered ${response.status}`, response.status), { response: kept });
        }
        return response;
      },
      {
        what: `the Connector at ${this.host} to answer`,
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

  private async expect(response: Response, ok: number[], doing: string, about: { endpoint?: string; resource?: string } = {}): Promise<void> {
    if (ok.includes(response.status)) return;
    const detail = (await response.text().catch(() => '')).slice(0, 200).trim();
    throw new ConnectorError(`${doing}: ${explainStatus(response.status, about, this.host)}${detail ? ` [${detail}]` : ''}`, response.status);
  }
}

/** What each documented status means, and what to do about it. */
export function explainStatus(status: number, about: { endpoint?: string; resource?: string }, host: string): string {
  const endpoint = about.endpoint ? `endpoint ${about.endpoint}` : 'the endpoint';
  switch (status) {
    case 401:
      return `the Connector at ${host} refused the API key (401): check MBED_CLOUD_SDK_API_KEY, and MBED_CLOUD_SDK_HOST for its region`;
    case 403:
      return 'the key is not an API key (403): create an API key (it starts with ak_) in the Device Management portal';
    case 404:
      return `${endpoint} is not registered with the Connector${about.resource ? ` or has no resource ${about.resource}` : ''} (404): check the name and that the device is online`;
    case 412:
      return 'no notification channel (412): the webhook must be registered first, or the resource is not observable';
    case 413:
      return 'precondition failed (413)';
    case 415:
      return 'the Connector did not accept the request format (415)';
    case 429:
      return `${endpoint} is busy: its request queue is full (429); try again in a moment`;
    case 502:
      return `${endpoint} is not connected, or the subscription failed (502); try again when the device is online`;
    case 503:
      return `${endpoint} is unavailable (503)`;
    case 504:
      return `${endpoint} did not answer in time (504); sleeping devices answer when they wake`;
    default:
      return `unexpected answer ${status} from the Connector`;
  }
}
