// A local stand-in for the Connector REST API that follows connector-api.md strictly:
// bearer keys, callback verification by a real PUT, 404/412/429/202 as documented,
// one pre-subscription list per account. `flavour` picks the era's differences.

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type EndpointState = 'online' | 'sleeping' | 'busy' | 'offline';

interface Endpoint {
  resources: Map<string, { observable: boolean }>;
  state: EndpointState;
}

interface Account {
  callback: { url: string; headers: Record<string, string> } | null;
  subscriptions: Map<string, Set<string>>;
  preSubscriptions: unknown[];
}

export interface FakeRequest {
  method: string;
  path: string;
  body: string;
}

export interface ConnectorFake {
  url: string;
  requests: FakeRequest[];
  /** The account of a key: its callback, subscriptions and rules, to arrange and to inspect. */
  account(key: string): Account;
  addEndpoint(name: string, options?: { resources?: Record<string, { observable?: boolean }>; state?: EndpointState }): void;
  /** Delivers notifications to the registered callback, as the service does. */
  notify(key: string, items: Array<{ ep: string; path: string; value: string }>): Promise<{ status: number; body: string }>;
  close(): Promise<void>;
}

export async function startConnectorFake(options: { keys: string[]; flavour?: 'pelion' | 'connector' }): Promise<ConnectorFake> {
  const flavour = options.flavour ?? 'pelion';
  const accounts = new Map<string, Account>(
    options.keys.map((key) => [key, { callback: null, subscriptions: new Map(), preSubscriptions: [] }]),
  );
  const endpoints = new Map<string, Endpoint>();
  const requests: FakeRequest[] = [];

  const reply = (response: ServerResponse, status: number, body?: unknown, type = 'application/json'): void => {
    if (body === undefined) {
      response.writeHead(status).end();
      return;
    }
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    response.writeHead(status, { 'content-type': type }).end(text);
  };
  const error = (response: ServerResponse, status: number, type: string, message: string): void =>
    flavour === 'pelion'
      ? reply(response, status, { object: 'error', code: status, type, message, request_id: randomUUID().replace(/-/g, '') })
      : reply(response, status, message, 'text/plain');

  async function verify(callback: { url: string; headers: Record<string, string> }): Promise<string | null> {
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

  async function handle(request: IncomingMessage, response: ServerResponse, body: string): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://fake');
    const method = request.method ?? 'GET';
    requests.push({ method, path: url.pathname, body });
    const key = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    const account = key ? accounts.get(key) : undefined;
    if (!account) return error(response, 401, 'unauthorized', 'Invalid access token.');
    const json = () => {
      if (!String(request.headers['content-type'] ?? '').startsWith('application/json')) return { ok: false as const };
      try {
        return { ok: true as const, value: JSON.parse(body) as unknown };
      } catch {
        return { ok: false as const };
      }
    };

    if (url.pathname === '/v2/notification/callback') {
      if (method === 'GET') return account.callback ? reply(response, 200, account.callback) : error(response, 404, 'not_found', 'No callback');
      if (method === 'DELETE') {
        if (!account.callback) return error(response, 404, 'not_found', 'No callback');
        account.callback = null;
        if (flavour === 'connector') account.subscriptions.clear();
        return reply(response, 204);
      }
      if (method === 'PUT') {
        const parsed = json();
        if (!parsed.ok) return error(response, 415, 'unsupported_media_type', 'Body must be JSON');
        const value = parsed.value as { url?: unknown; headers?: unknown };
        const headers = (value.headers ?? {}) as Record<string, string>;
        if (typeof value.url !== 'string' || !/^https?:\/\//.test(value.url)) return error(response, 400, 'validation_error', 'url must be http or https');
        if (typeof headers !== 'object' || Object.values(headers).some((h) => typeof h !== 'string')) {
          return error(response, 400, 'validation_error', 'headers must map strings to strings');
        }
        const length = value.url.length + Object.keys(headers).join('').length + Object.values(headers).join('').length;
        if (length > 400) return error(response, 400, 'validation_error', 'url and headers longer than 400 characters');
        const problem = await verify({ url: value.url, headers });
        if (problem) return error(response, 400, 'validation_error', `Callback URL verification failed: ${problem}`);
        account.callback = { url: value.url, headers };
        return reply(response, 204);
      }
      return error(response, 405, 'method_not_allowed', 'Method not allowed');
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
              (r['resource-path'] === undefined ||
                (Array.isArray(r['resource-path']) && r['resource-path'].length >= 1 && r['resource-path'].every((p: unknown) => typeof p === 'string' && p.length <= 128))),
          );
        if (!valid) return error(response, 400, 'validation_error', 'Malformed pre-subscription rules');
        account.preSubscriptions = rules as unknown[];
        // The legacy Connector deleted every subscription when the rules changed.
        if (flavour === 'connector') account.subscriptions.clear();
        return reply(response, 204);
      }
      return error(response, 405, 'method_not_allowed', 'Method not allowed');
    }

    const match = /^\/v2\/subscriptions\/([^/]+)(\/.*)?$/.exec(url.pathname);
    if (match) {
      const ep = decodeURIComponent(match[1]!);
      const path = match[2] ? match[2].replace(/\/+$/, '') : undefined;
      const endpoint = endpoints.get(ep);
      const subscribed = account.subscriptions.get(ep) ?? new Set<string>();
      if (path === undefined) {
        if (method === 'GET') {
          if (!endpoint || subscribed.size === 0) return error(response, 404, 'not_found', 'Not found');
          const lines = [...subscribed].map((p) => (flavour === 'connector' ? `/subscriptions/${ep}${p}` : p));
          return reply(response, 200, `${lines.join('\n')}\n`, 'text/uri-list');
        }
        if (method === 'DELETE') {
          if (!endpoint && flavour === 'connector') return error(response, 404, 'not_found', 'Not found');
          account.subscriptions.delete(ep);
          return reply(response, 204);
        }
        return error(response, 405, 'method_not_allowed', 'Method not allowed');
      }
      if (method === 'GET') return subscribed.has(path) ? reply(response, 200, `/subscriptions/${ep}${path}\n`, 'text/uri-list') : error(response, 404, 'not_found', 'Not subscribed');
      if (method === 'DELETE') {
        if (!subscribed.has(path) && flavour === 'connector') return error(response, 404, 'not_found', 'Not found');
        subscribed.delete(path);
        return reply(response, 204);
      }
      if (method === 'PUT') {
        if (!account.callback) return error(response, 412, 'precondition_failed', 'No notification channel');
        if (!endpoint || !endpoint.resources.has(path)) return error(response, 404, 'not_found', 'Endpoint or resource not found');
        if (!endpoint.resources.get(path)!.observable) return error(response, 412, 'precondition_failed', 'Resource is not observable');
        if (endpoint.state === 'busy') return error(response, 429, 'too_many_requests', 'Endpoint queue is full');
        if (endpoint.state === 'offline') return error(response, 502, 'bad_gateway', 'Endpoint not connected');
        subscribed.add(path);
        account.subscriptions.set(ep, subscribed);
        if (endpoint.state === 'sleeping') return reply(response, 202, { 'async-response-id': randomUUID() });
        return reply(response, 200);
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
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    account(key) {
      const account = accounts.get(key);
      if (!account) throw new Error(`no account for key ${key}`);
      return account;
    },
    addEndpoint(name, endpointOptions = {}) {
      const resources = new Map(
        Object.entries(endpointOptions.resources ?? { '/3200/0/5501': {} }).map(([path, o]) => [path, { observable: o.observable ?? true }]),
      );
      endpoints.set(name, { resources, state: endpointOptions.state ?? 'online' });
    },
    async notify(key, items) {
      const callback = accounts.get(key)?.callback;
      if (!callback) throw new Error('no callback registered');
      const notifications = items.map((i) => ({ ep: i.ep, path: i.path, ct: 'text/plain', payload: Buffer.from(i.value).toString('base64'), 'max-age': 0 }));
      const response = await fetch(callback.url, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', ...callback.headers },
        body: JSON.stringify({ notifications }),
      });
      return { status: response.status, body: await response.text() };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
